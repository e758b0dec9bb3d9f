/**
 * Idempotency key rules (DESIGN §2, §4), in one place so the ingress and the contract tests agree:
 * - a Meta comment: its comment id;
 * - a payment: `<provider>:<transaction id>:<state reached>` (built by the provider modules), so
 *   pending → approved publishes each state once;
 * - `POST /events`: the caller's `X-Idempotency-Key`, namespaced so it cannot collide with the above.
 */
export const idempotencyKeys = {
  comment: (commentId: string) => `comment:${commentId}`,
  internal: (key: string) => `events:${key}`,
  /** A buyer's Messenger / Instagram message or postback: Meta's message id (`mid`). */
  metaMessage: (mid: string) => `meta_message:${mid}`,
  /**
   * Publishing one `notification_delivery` (the worker). Distinct from the notifier's own key for *sending* it
   * (`notification:<id>`): the same key on both sides made the notifier take a published message for a sent one.
   */
  notificationPublish: (notificationId: string) => `notification_publish:${notificationId}`,
} as const;
