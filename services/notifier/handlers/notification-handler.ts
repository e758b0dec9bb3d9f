import type { NotificationDeliveryV1 } from '../../../shared/events/event-schemas.js';
import type { IdempotencyStore } from '../../../shared/idempotency/idempotency-store.js';
import { addLogContext } from '../../../shared/logging/log-context.js';
import { getLogger } from '../../../shared/logging/logger.js';
import { PermanentError, TransientError, errorReason } from '../../../shared/pubsub/handler-errors.js';
import { SecretNotFoundError, type SecretSource } from '../../../shared/secrets/secret-source.js';
import type { AnalyticsSink } from '../../../shared/analytics/analytics-recorder.js';
import type { ConversationStore } from '../conversation-store.js';
import {
  MetaOutsideWindowError,
  MetaPermanentError,
  MetaTransientError,
  mayHaveBeenSent,
  type GraphClient,
  type MetaErrorInfo,
  type PageTokenProvider,
  type SendOutcome,
  type SendRequest,
} from '../graph-client.js';
import { buildPrivateReply, buildThreadMessage, buildUtilityMessage, type BuiltMessage, type MessageFormat } from '../message-builder.js';
import type { PagePacer } from '../page-pacer.js';

export interface NotificationDeps {
  idempotency: IdempotencyStore;
  secrets: SecretSource;
  graph: GraphClient;
  analytics: AnalyticsSink;
  conversations: ConversationStore;
  pacer: PagePacer;
  /** The push retry schedule: a transient failure on its last attempt is recorded as `failed`, not `retrying`. */
  retrySchedule: readonly number[];
  now?: () => number;
}

/**
 * - `sent`: Meta accepted the message now (private reply, thread or utility template);
 * - `already_replied`: Meta said 10900 to a redelivery of the notification that owns the comment's private reply
 *   (its earlier attempt got through but the answer was lost);
 * - `undeliverable`: no channel Meta allows reaches the buyer (recorded with the reason; not retried);
 * - `duplicate`: this notification_id was completed before, nothing was sent.
 */
export type NotificationDisposition = 'sent' | 'already_replied' | 'undeliverable' | 'duplicate';

export type Channel = 'private_reply' | 'thread' | 'utility_template';

/** Per-tienda Page token (DESIGN §5): Secret Manager id, env `TIENDA_<ID>_META_PAGE_TOKEN` locally. */
export const pageTokenSecretId = (tiendaId: string) => `tienda-${tiendaId}-meta-page-token`;

export const notificationIdempotencyKey = (notificationId: string) => `notification:${notificationId}`;

/** Meta's Standard Messaging Window. */
export const MESSAGING_WINDOW_MS = 24 * 3600_000;
/** Sends this close to the window's end are not started: the request would race the close. */
const WINDOW_MARGIN_MS = 60_000;

interface Delivered {
  disposition: 'sent' | 'already_replied' | 'undeliverable';
  channel: Channel | null;
  format: MessageFormat | null;
  httpStatus: number | null;
  errorCode: string | null;
  reason: string | null;
  messageId: string | null;
}

/** A failure that knows which channel it happened on (for the analytics row). */
class ChannelFailure extends Error {
  constructor(
    readonly channel: Channel,
    readonly format: MessageFormat,
    readonly error: unknown,
  ) {
    super((error as Error)?.message ?? String(error));
  }
}

/**
 * `notification_delivery` v1.0 → one message to the buyer, on the channel Meta allows for it:
 *
 * 1. the comment's private reply, if no other notification used it (claimed per comment in Firestore before the
 *    send; a claim someone else holds is "retry later"); it invites an answer, which opens the 24 h window;
 *    Instagram: not attempted once the live has ended;
 * 2. otherwise the buyer's thread (`recipient.id`) while the window their last message opened is running;
 * 3. otherwise a Messenger utility template where the Page has one;
 * 4. otherwise `undeliverable`, recorded with the reason, 2xx (no retry can open a channel).
 *
 * The notification_id is claimed in the idempotency store first and completed after Meta answered, so a
 * redelivery of a handled notification never reaches Meta. Every attempt is a `notifications` row.
 */
export async function handleNotification(
  msg: NotificationDeliveryV1,
  deps: NotificationDeps,
  delivery: { attempt: number },
): Promise<NotificationDisposition> {
  const log = getLogger();
  const now = deps.now ?? Date.now;
  addLogContext({ tienda_id: msg.tienda_id, notification_id: msg.notification_id, comment_id: msg.comment_id });

  const eventAt = Date.parse(msg.event_at);
  const row = (
    status: 'sent' | 'skipped' | 'retrying' | 'failed' | 'undeliverable',
    d: { channel: Channel | null; format: MessageFormat | null; httpStatus: number | null; errorCode: string | null; reason: string | null },
  ) => ({
    notification_id: msg.notification_id,
    tienda_id: msg.tienda_id,
    live_id: msg.live_id,
    platform: msg.platform,
    comment_id: msg.comment_id,
    order_id: msg.order_id,
    kind: msg.kind,
    status,
    channel: d.channel,
    format: d.format,
    reason: d.reason,
    // Our attempt number across the retry schedule (1 = first delivery); Pub/Sub's own counter restarts on the
    // retry topic and is absent on the emulator.
    attempt: delivery.attempt + 1,
    http_status: d.httpStatus,
    error_code: d.errorCode,
    latency_ms: Number.isFinite(eventAt) ? Math.max(0, now() - eventAt) : null,
    created_at: new Date(now()).toISOString(),
  });
  const doneInsertId = `notification:${msg.notification_id}`;

  const claim = await deps.idempotency.claim(notificationIdempotencyKey(msg.notification_id), 'notification_delivery');
  if (claim.status === 'duplicate') {
    // Done before. Re-write the row under the same insertId: a no-op when it landed (BigQuery de-duplicates),
    // the repair when the earlier attempt failed on BigQuery after the message went out.
    log.info('notification already handled; not sending again');
    await deps.analytics.record('notifications', doneInsertId, row('sent', { channel: null, format: null, httpStatus: null, errorCode: null, reason: null }));
    return 'duplicate';
  }
  if (claim.status === 'in_progress') {
    throw new TransientError('another delivery of this notification is sending it right now', 'reply_in_progress');
  }

  let result: Delivered;
  try {
    result = await deliver(msg, deps, now);
  } catch (e) {
    // Nothing went out (or the private-reply claim remembers that it may have): give the key back for the retry.
    await deps.idempotency.release(claim.claim);
    const failure = e instanceof ChannelFailure ? e : null;
    const err = failure ? failure.error : e;
    const meta = err instanceof MetaTransientError || err instanceof MetaPermanentError ? err.meta : undefined;
    const last = !(err instanceof PermanentError) && delivery.attempt >= deps.retrySchedule.length;
    const status = err instanceof PermanentError || last ? 'failed' : 'retrying';
    log.warn('notification not sent', { status, channel: failure?.channel, reason: errorReason(err), code: meta?.code, subcode: meta?.subcode, httpStatus: meta?.httpStatus, fbtraceId: meta?.fbtraceId });
    await deps.analytics
      .record(
        'notifications',
        `${doneInsertId}:attempt:${delivery.attempt + 1}`,
        row(status, { channel: failure?.channel ?? null, format: failure?.format ?? null, httpStatus: meta?.httpStatus ?? null, errorCode: errorCode(meta, errorReason(err)), reason: errorReason(err) }),
      )
      .catch((re) => log.warn('could not record the failed notification (the failure itself is retried or dead-lettered)', { error: re }));
    throw err;
  }

  await deps.idempotency.complete(claim.claim, { outcome: result.disposition, channel: result.channel, message_id: result.messageId, reason: result.reason });
  const status = result.disposition === 'sent' ? 'sent' : result.disposition === 'already_replied' ? 'skipped' : 'undeliverable';
  if (result.disposition === 'undeliverable') log.notice('notification undeliverable: no channel Meta allows reaches the buyer', { reason: result.reason, kind: msg.kind });
  else log.info('notification delivered', { disposition: result.disposition, channel: result.channel, format: result.format, kind: msg.kind, messageId: result.messageId });
  await deps.analytics.record('notifications', doneInsertId, row(status, result));
  return result.disposition;
}

async function deliver(msg: NotificationDeliveryV1, deps: NotificationDeps, now: () => number): Promise<Delivered> {
  const log = getLogger();
  const secretId = pageTokenSecretId(msg.tienda_id);
  const tokens: PageTokenProvider = {
    get: () => readToken(() => deps.secrets.get(secretId), secretId),
    refresh: () => readToken(() => deps.secrets.refresh(secretId), secretId),
  };
  const send = (channel: Channel, built: BuiltMessage, req: Omit<SendRequest, 'message'>): Promise<SendOutcome> =>
    deps.pacer.schedule(msg.account_id, () => deps.graph.send({ ...req, message: built.message }, tokens)).catch((e: unknown) => {
      throw new ChannelFailure(channel, built.format, e);
    });

  // 1. The comment's one private reply.
  const notes: string[] = [];
  let buyerId: string | null = null;
  const reply = await deps.conversations.claimPrivateReply(msg.platform, msg.account_id, msg.comment_id, msg.notification_id);
  if (reply.status === 'busy') {
    throw new TransientError(`the private reply of this comment is being sent by ${reply.by}; this message waits for it`, 'private_reply_in_progress');
  }
  if (reply.status === 'claimed') {
    const liveEnded = msg.platform === 'instagram' && msg.live_id !== null && !(await deps.conversations.liveOnAir(msg.tienda_id, msg.live_id));
    if (liveEnded) {
      // Instagram: "Once the broadcast ends, private replies cannot be sent" — not attempted.
      await deps.conversations.closePrivateReply(reply.claim, 'instagram_live_ended');
      notes.push('instagram_live_ended');
    } else {
      const built = buildPrivateReply(msg);
      let outcome: SendOutcome | null;
      try {
        outcome = await send('private_reply', built, { platform: msg.platform, accountId: msg.account_id, recipient: { comment_id: msg.comment_id } });
      } catch (e) {
        const err = e instanceof ChannelFailure ? e.error : e;
        const impossible = privateReplyImpossible(err);
        if (!impossible) {
          await deps.conversations.releasePrivateReply(reply.claim, mayHaveBeenSent(err));
          throw e;
        }
        // Meta will never take a private reply for this comment (too old, deleted, not eligible): the thread may still work.
        await deps.conversations.closePrivateReply(reply.claim, impossible);
        notes.push(impossible);
        outcome = null;
      }
      if (outcome === null) {
        // fall through to the thread
      } else if (outcome.status === 'sent' || reply.resumed) {
        // Sent now, or 10900 to our own earlier attempt whose answer was lost: either way this comment's reply is ours.
        const recipientId = outcome.status === 'sent' ? outcome.recipientId : null;
        await deps.conversations.completePrivateReply(reply.claim, { recipientId, messageId: outcome.status === 'sent' ? outcome.messageId : null, tiendaId: msg.tienda_id, authorId: msg.author_id });
        if (recipientId) await deps.conversations.linkConversation(msg.platform, msg.account_id, recipientId, { tiendaId: msg.tienda_id, commentId: msg.comment_id, orderId: msg.order_id });
        return {
          disposition: outcome.status === 'sent' ? 'sent' : 'already_replied',
          channel: 'private_reply',
          format: built.format,
          httpStatus: outcome.httpStatus,
          errorCode: outcome.status === 'sent' ? null : '10900',
          reason: null,
          messageId: outcome.status === 'sent' ? outcome.messageId : null,
        };
      } else {
        // 10900 and no earlier attempt of ours: someone else (a person in the Page inbox, another app) replied.
        // Not our success — this message still has to reach the buyer, through the thread.
        log.notice('comment already had a private reply that is not ours (Meta 10900); trying the thread', { fbtraceId: outcome.meta.fbtraceId });
        await deps.conversations.closePrivateReply(reply.claim, 'replied_outside_notifier');
        notes.push('private_reply_used_elsewhere');
      }
    }
  } else {
    buyerId = reply.recipientId;
    notes.push(reply.closedReason ? `private_reply_${reply.closedReason}` : `private_reply_used_by:${reply.by ?? 'unknown'}`);
  }

  // 2. The buyer's thread. Their id: what Meta returned for the private reply, or what their own answer carried;
  //    on Instagram a comment's `from.id` is already the IGSID the thread uses (on Facebook it may not be the PSID).
  buyerId ??= await deps.conversations.replyRecipient(msg.platform, msg.account_id, msg.comment_id);
  if (!buyerId && msg.platform === 'instagram' && msg.author_id) buyerId = msg.author_id;
  if (!buyerId) return undeliverable([...notes, 'buyer_thread_unknown']);

  const conversation = await deps.conversations.conversation(msg.platform, msg.account_id, buyerId);
  const windowOpen = conversation?.lastInboundAt != null && now() < conversation.lastInboundAt + MESSAGING_WINDOW_MS - WINDOW_MARGIN_MS;
  if (windowOpen) {
    const built = buildThreadMessage(msg);
    try {
      const outcome = await send('thread', built, { platform: msg.platform, accountId: msg.account_id, recipient: { id: buyerId }, messagingType: 'UPDATE' });
      if (outcome.status !== 'sent') throw new ChannelFailure('thread', built.format, new PermanentError('10900 on a thread message', 'meta_unexpected_answer'));
      await deps.conversations.linkConversation(msg.platform, msg.account_id, buyerId, { tiendaId: msg.tienda_id, commentId: msg.comment_id, orderId: msg.order_id });
      return { disposition: 'sent', channel: 'thread', format: built.format, httpStatus: outcome.httpStatus, errorCode: null, reason: null, messageId: outcome.messageId };
    } catch (e) {
      // Our clock and Meta's disagree about the window: Meta is right; fall through to what is left.
      if (!(e instanceof ChannelFailure && e.error instanceof MetaOutsideWindowError)) throw e;
      notes.push('meta_outside_window');
    }
  } else {
    notes.push(conversation?.lastInboundAt != null ? 'window_closed' : 'buyer_never_wrote');
  }

  // 3. A Messenger utility template, where the Page has one approved.
  const template = await deps.conversations.utilityTemplate(msg.platform, msg.account_id);
  if (template) {
    const built = buildUtilityMessage(msg, template);
    const outcome = await send('utility_template', built, { platform: msg.platform, accountId: msg.account_id, recipient: { id: buyerId }, messagingType: 'UTILITY' });
    if (outcome.status === 'sent') return { disposition: 'sent', channel: 'utility_template', format: built.format, httpStatus: outcome.httpStatus, errorCode: null, reason: null, messageId: outcome.messageId };
  }
  notes.push(msg.platform === 'instagram' ? 'instagram_has_no_send_outside_window' : 'no_utility_template');
  return undeliverable(notes);
}

/**
 * Meta errors that mean this comment can never get a private reply: 10903 "This user cant reply to this activity"
 * (also seen for comments older than 7 days), 100/2534025 "The comment is invalid for a private reply" (IG),
 * 100/33 (the comment was deleted). The reason, or null for any other error.
 */
function privateReplyImpossible(e: unknown): string | null {
  if (!(e instanceof MetaPermanentError)) return null;
  const { code, subcode } = e.meta;
  if (code === 10903) return 'private_reply_refused_10903';
  if (code === 100 && (subcode === 2534025 || subcode === 33)) return `private_reply_refused_100/${subcode}`;
  return null;
}

function undeliverable(notes: string[]): Delivered {
  return { disposition: 'undeliverable', channel: null, format: null, httpStatus: null, errorCode: null, reason: notes.join('; ').slice(0, 1000), messageId: null };
}

/** Secret missing = nobody configured this tienda's Page: dead-letter (replayable once it exists). Unreadable = retry. */
async function readToken(read: () => Promise<string>, secretId: string): Promise<string> {
  try {
    return await read();
  } catch (e) {
    if (e instanceof SecretNotFoundError) throw new PermanentError(`Page token secret ${secretId} does not exist`, 'page_token_missing', { cause: e });
    throw new TransientError(`Page token secret ${secretId} could not be read: ${(e as Error).message}`, 'page_token_unavailable', { cause: e });
  }
}

/** `code` or `code/subcode` when Meta gave one, else our reason. Never Meta's message (it may quote user data). */
function errorCode(meta: MetaErrorInfo | undefined, reason: string): string {
  if (meta?.code === undefined) return meta?.httpStatus !== undefined ? `http_${meta.httpStatus}` : reason;
  return meta.subcode !== undefined ? `${meta.code}/${meta.subcode}` : String(meta.code);
}
