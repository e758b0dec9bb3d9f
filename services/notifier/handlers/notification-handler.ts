import type { NotificationDeliveryV1 } from '../../../shared/events/event-schemas.js';
import type { IdempotencyStore } from '../../../shared/idempotency/idempotency-store.js';
import { addLogContext } from '../../../shared/logging/log-context.js';
import { getLogger } from '../../../shared/logging/logger.js';
import { PermanentError, TransientError, errorReason } from '../../../shared/pubsub/handler-errors.js';
import { SecretNotFoundError, type SecretSource } from '../../../shared/secrets/secret-source.js';
import type { AnalyticsSink } from '../../../shared/analytics/analytics-recorder.js';
import { MetaPermanentError, MetaTransientError, type GraphClient, type MetaErrorInfo, type PageTokenProvider } from '../graph-client.js';

export interface NotificationDeps {
  idempotency: IdempotencyStore;
  secrets: SecretSource;
  graph: GraphClient;
  analytics: AnalyticsSink;
  /** The push retry schedule: a transient failure on its last attempt is recorded as `failed`, not `retrying`. */
  retrySchedule: readonly number[];
  now?: () => number;
}

/**
 * - `sent`: Meta accepted the reply now;
 * - `already_replied`: Meta said 10900 (an earlier attempt of ours got through but its answer was lost);
 * - `duplicate`: this notification_id was completed before, nothing was sent.
 */
export type NotificationDisposition = 'sent' | 'already_replied' | 'duplicate';

/** Per-tienda Page token (DESIGN §5): Secret Manager id, env `TIENDA_<ID>_META_PAGE_TOKEN` locally. */
export const pageTokenSecretId = (tiendaId: string) => `tienda-${tiendaId}-meta-page-token`;

export const notificationIdempotencyKey = (notificationId: string) => `notification:${notificationId}`;

/**
 * `notification_delivery` v1.0 → one Meta private reply (the push handler already validated the schema).
 *
 * A reply must never go out twice, so: claim the notification_id in the idempotency store *before* calling
 * Meta; complete it once Meta answered (sent, or 10900 "already replied" — the second half of the same
 * guarantee: if our answer got lost, the retry is refused by Meta and counted as done); release it on any
 * failure so the retry — or a replay from the dead-letter topic after someone fixed the token — can send.
 * Every outcome is a `notifications` row; a BigQuery outage after a reply went out makes the message retry
 * only to re-write that row (the claim is then `duplicate`).
 */
export async function handleNotification(
  msg: NotificationDeliveryV1,
  deps: NotificationDeps,
  delivery: { attempt: number },
): Promise<NotificationDisposition> {
  const log = getLogger();
  const now = deps.now ?? Date.now;
  addLogContext({ tienda_id: msg.tienda_id, notification_id: msg.notification_id, comment_id: msg.comment_id });

  const row = (status: 'sent' | 'skipped' | 'retrying' | 'failed', httpStatus: number | null, errorCode: string | null) => ({
    notification_id: msg.notification_id,
    tienda_id: msg.tienda_id,
    live_id: msg.live_id,
    platform: msg.platform,
    comment_id: msg.comment_id,
    order_id: msg.order_id,
    kind: msg.kind,
    status,
    // Our attempt number across the retry schedule (1 = first delivery); Pub/Sub's own counter restarts on the
    // retry topic and is absent on the emulator.
    attempt: delivery.attempt + 1,
    http_status: httpStatus,
    error_code: errorCode,
    // "From the intent" needs a time the v1.0 message does not carry; left empty rather than mislabelled.
    latency_ms: null,
    created_at: new Date(now()).toISOString(),
  });
  const doneInsertId = `notification:${msg.notification_id}`;

  const claim = await deps.idempotency.claim(notificationIdempotencyKey(msg.notification_id), 'notification_delivery');
  if (claim.status === 'duplicate') {
    // Done before. Re-write the row under the same insertId: a no-op when it landed (BigQuery de-duplicates),
    // the repair when the earlier attempt failed on BigQuery after the reply went out.
    log.info('notification already delivered; not sending again');
    await deps.analytics.record('notifications', doneInsertId, row('sent', null, null));
    return 'duplicate';
  }
  if (claim.status === 'in_progress') {
    throw new TransientError('another delivery of this notification is sending it right now', 'reply_in_progress');
  }

  const secretId = pageTokenSecretId(msg.tienda_id);
  const tokens: PageTokenProvider = {
    get: () => readToken(() => deps.secrets.get(secretId), secretId),
    refresh: () => readToken(() => deps.secrets.refresh(secretId), secretId),
  };

  let outcome;
  const started = now();
  try {
    outcome = await deps.graph.sendPrivateReply(
      { platform: msg.platform, accountId: msg.account_id, commentId: msg.comment_id, text: msg.text },
      tokens,
    );
  } catch (e) {
    // Nothing went out (or Meta will answer 10900 if it did): give the key back for the retry / a replay.
    await deps.idempotency.release(claim.claim);
    const meta = e instanceof MetaTransientError || e instanceof MetaPermanentError ? e.meta : undefined;
    const last = !(e instanceof PermanentError) && delivery.attempt >= deps.retrySchedule.length;
    const status = e instanceof PermanentError || last ? 'failed' : 'retrying';
    log.warn('private reply not sent', { status, reason: errorReason(e), code: meta?.code, subcode: meta?.subcode, httpStatus: meta?.httpStatus, fbtraceId: meta?.fbtraceId });
    await deps.analytics
      .record('notifications', `${doneInsertId}:attempt:${delivery.attempt + 1}`, row(status, meta?.httpStatus ?? null, errorCode(meta, errorReason(e))))
      .catch((re) => log.warn('could not record the failed notification (the failure itself is retried or dead-lettered)', { error: re }));
    throw e;
  }

  await deps.idempotency.complete(claim.claim, {
    outcome: outcome.status,
    ...(outcome.status === 'sent' ? { message_id: outcome.messageId } : {}),
  });
  if (outcome.status === 'sent') {
    log.info('private reply sent', { kind: msg.kind, messageId: outcome.messageId, graphLatencyMs: now() - started, tokenRefreshed: outcome.tokenRefreshed });
    await deps.analytics.record('notifications', doneInsertId, row('sent', outcome.httpStatus, null));
    return 'sent';
  }
  log.notice('comment already had a private reply (Meta 10900); counted as delivered', { fbtraceId: outcome.meta.fbtraceId });
  await deps.analytics.record('notifications', doneInsertId, row('skipped', outcome.httpStatus, '10900'));
  return 'already_replied';
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
