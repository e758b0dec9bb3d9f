import type { Context, Middleware } from 'koa';
import type { z } from 'zod';
import { runWithLogContext } from '../logging/log-context.js';
import { getLogger } from '../logging/logger.js';
import { isTraceparent } from '../logging/traceparent.js';
import { HttpError, parseJson, readRawBody } from '../http/read-raw-body.js';
import type { ClaimResult, IdempotencyStore } from '../idempotency/idempotency-store.js';
import { DeadlineExceededError, withDeadline } from '../runtime/deadline.js';
import { ATTR, type ConsumerDefinition } from '../topology/topology.js';
import { PermanentError, errorReason } from './handler-errors.js';
import type { Publisher } from './publisher.js';
import { decodeBase64Strict, isPushEnvelope, normaliseEnvelope } from './push-envelope.js';
import {
  decideAfterTransientFailure,
  encodeFailure,
  failureAttributeName,
  readAttempt,
  readFailureHistory,
  readNotBefore,
  truncate,
  type FailureRecord,
} from './retry-schedule.js';

export interface PushMessage<T> {
  data: T;
  attributes: Record<string, string>;
  messageId: string;
  /** 0 on the first delivery of the original message, n on the n-th scheduled retry. */
  attempt: number;
  /** Pub/Sub's own counter (production only). */
  deliveryAttempt?: number;
  /**
   * Fires when the push request's budget runs out (the handler's result no longer counts: a retry is scheduled).
   * Pass it to calls that take one and check it between steps, so abandoned work stops instead of racing its retry.
   */
  signal: AbortSignal;
}

export interface DeadLetterRecord {
  consumer: ConsumerDefinition;
  messageId: string;
  attributes: Record<string, string>;
  data: Buffer;
  reason: string;
  history: FailureRecord[];
}

export type PushOutcome =
  | 'done'
  | 'retry_scheduled'
  | 'dead_lettered'
  | 'already_handed_on'
  | 'not_yet_due'
  | 'republish_failed';

export interface PushHandlerOptions<S extends z.ZodType> {
  consumer: ConsumerDefinition;
  /** Validates the decoded JSON (schema_version included); failure = permanent. */
  schema: S;
  handle: (message: PushMessage<z.output<S>>) => Promise<void>;
  publisher: Publisher;
  /** Delays (ms) of the retries after each transient failure. */
  retrySchedule: readonly number[];
  now?: () => number;
  /** Extra recording of dead letters (BigQuery); its failure never blocks the dead-lettering. */
  onDeadLetter?: (record: DeadLetterRecord) => Promise<void>;
  /**
   * Hands each failed delivery on (retry or dead letter) once per Pub/Sub message: Pub/Sub may push one message twice
   * at once, and two copies that each schedule a retry run two retry chains to the end (two dead letters for one
   * message). Without it, every copy hands the message on.
   */
  handoffs?: IdempotencyStore;
  /** Called with each outcome (metrics, tests). */
  onOutcome?: (outcome: PushOutcome, message: { messageId: string; attempt: number }) => void;
  maxBodyBytes?: number;
  /**
   * Time a push request may take, from its arrival, before the handler is abandoned and the message treated as a
   * transient failure (retry scheduled, push answered). Default: the subscription's ack deadline minus
   * `budgetMarginMs`, so Pub/Sub always gets its answer before it would redeliver.
   */
  budgetMs?: number;
  /**
   * Margin kept below the ack deadline for answering after the budget ran out: it must cover re-publishing to the
   * retry topic (the publisher's deadline). Default 10 s (`PUSH_BUDGET_MARGIN`).
   */
  budgetMarginMs?: number;
}

export const DEFAULT_PUSH_BUDGET_MARGIN_MS = 10_000;

/** The work budget of one push request of `consumer`: its ack deadline minus the margin (at least 1 s). */
export function pushBudgetMs(consumer: Pick<ConsumerDefinition, 'ackDeadlineSeconds'>, marginMs = DEFAULT_PUSH_BUDGET_MARGIN_MS): number {
  return Math.max(1000, consumer.ackDeadlineSeconds * 1000 - marginMs);
}

/**
 * Turns a handler into a Pub/Sub push endpoint that maps every outcome to the answer Pub/Sub needs:
 * - done → 204;
 * - permanent (undecodable, schema-invalid, PermanentError) → recorded + dead-lettered with the reason → 204
 *   (a non-2xx would loop the poison message until the native dead-letter policy);
 * - transient (anything else) → re-published to the consumer's retry topic with `not_before` per the
 *   schedule → 204; after the last retry → dead-lettered with the whole failure history → 204;
 * - a retry delivered before its `not_before` → 429 without work (Pub/Sub redelivers later);
 * - re-publishing itself failed → 503, so Pub/Sub redelivers the original and nothing is lost;
 * - the handler still running when the request's budget (ack deadline − margin) runs out → its signal is aborted
 *   and the message is a transient failure (`deadline_exceeded`, retry scheduled), answered before Pub/Sub gives up
 *   on the push and redelivers it while the first run goes on.
 */
export function createPushHandler<S extends z.ZodType>(options: PushHandlerOptions<S>): Middleware {
  const log = getLogger();
  const now = options.now ?? Date.now;
  const { consumer, publisher } = options;
  const maxBody = options.maxBodyBytes ?? 10 * 1024 * 1024;
  const budgetMs = options.budgetMs ?? pushBudgetMs(consumer, options.budgetMarginMs);

  const deadLetter = async (
    data: Buffer,
    attributes: Record<string, string>,
    messageId: string,
    reason: string,
    history: FailureRecord[],
  ) => {
    const attrs: Record<string, string> = {
      ...attributes,
      [ATTR.originalTopic]: attributes[ATTR.originalTopic] ?? consumer.topic,
      [ATTR.originalMessageId]: attributes[ATTR.originalMessageId] ?? messageId,
      [ATTR.deadLetterReason]: truncate(reason, 1000),
      [ATTR.deadLetteredAt]: new Date(now()).toISOString(),
    };
    for (const f of history) attrs[failureAttributeName(f.attempt)] = encodeFailure(f);
    await publisher.publishRaw(consumer.deadLetterTopic, data, attrs);
    log.error('message dead-lettered', {
      consumer: consumer.subscription,
      messageId,
      reason,
      failures: history.length,
    });
    if (options.onDeadLetter) {
      await options
        .onDeadLetter({ consumer, messageId, attributes: attrs, data, reason, history })
        .catch((e) => log.warn('dead letter recording failed (the message is in the DLQ topic)', { error: e }));
    }
  };

  /**
   * `publish` (the retry or dead-letter publish of a failed delivery) once per delivered message, keyed by the
   * subscription that delivered it and its message id (Pub/Sub message ids are unique within a topic only: the main
   * and the retry topic may share one). A replayed dead letter is a new message and starts afresh. The claim only gets the time the ack
   * deadline leaves beside the margin kept for the publish (at most 2 s); without that time, or without Firestore,
   * the message is handed on anyway: a possible second chain, which the handlers' idempotency absorbs, beats a lost
   * retry. A copy being handed on right now by another delivery is "retry later" (503), never success.
   */
  const handOnOnce = async (subscription: string, messageId: string, elapsedMs: number, publish: () => Promise<void>): Promise<'handed_on' | 'duplicate'> => {
    const store = options.handoffs;
    const claimMs = Math.min(2000, consumer.ackDeadlineSeconds * 1000 - elapsedMs - (options.budgetMarginMs ?? DEFAULT_PUSH_BUDGET_MARGIN_MS));
    if (!store || claimMs < 500) {
      await publish();
      return 'handed_on';
    }
    let claim: ClaimResult;
    try {
      claim = await withDeadline('handoff claim', claimMs, () => store.claim(`handoff:${subscription}:${messageId}`, 'handoff'));
    } catch (e) {
      log.warn('could not claim the hand-off; handing the message on without it', { error: e });
      await publish();
      return 'handed_on';
    }
    if (claim.status === 'duplicate') return 'duplicate';
    if (claim.status === 'in_progress') throw new Error(`another delivery of message ${messageId} is handing it on right now`);
    try {
      await publish();
    } catch (e) {
      await store.release(claim.claim).catch(() => undefined);
      throw e;
    }
    // Not awaited: the answer does not wait for the done mark (a lost mark only lets a late copy hand on again).
    store.complete(claim.claim).catch((e) => log.warn('handed on, but the hand-off key was not marked done', { error: e }));
    return 'handed_on';
  };

  return async (ctx: Context) => {
    // The ack deadline runs from delivery: the budget counts from the request's arrival, body reading included.
    const arrived = performance.now();
    const raw = await readRawBody(ctx, maxBody);
    const body = parseJson(raw);
    if (!isPushEnvelope(body)) throw new HttpError(400, 'not a Pub/Sub push envelope', 'bad_envelope');
    const envelope = normaliseEnvelope(body);
    const { messageId } = envelope.message;
    const attributes = envelope.message.attributes ?? {};
    const attempt = readAttempt(attributes);
    const history = readFailureHistory(attributes);
    const report = (outcome: PushOutcome) => options.onOutcome?.(outcome, { messageId, attempt });
    const context = {
      messageId,
      subscription: envelope.subscription,
      event: attributes[ATTR.event],
      attempt,
      ...(isTraceparent(attributes[ATTR.traceparent]) ? { traceparent: attributes[ATTR.traceparent] } : {}),
      ...(attributes[ATTR.tiendaId] ? { tienda_id: attributes[ATTR.tiendaId] } : {}),
    };

    await runWithLogContext(context, async () => {
      const notBefore = readNotBefore(attributes);
      if (notBefore !== null && notBefore > now()) {
        ctx.status = 429;
        ctx.set('Retry-After', String(Math.ceil((notBefore - now()) / 1000)));
        report('not_yet_due');
        return;
      }

      const dataBytes = decodeBase64Strict(envelope.message.data ?? '');
      const fail = async (kind: 'transient' | 'permanent', reason: string, error: string) => {
        const record: FailureRecord = { attempt, at: new Date(now()).toISOString(), kind, reason, error };
        const fullHistory = [...history, record];
        const elapsed = performance.now() - arrived;
        try {
          const decision = kind === 'permanent' ? null : decideAfterTransientFailure(attempt, options.retrySchedule, now());
          if (decision === null || decision.action === 'dead_letter') {
            const why = decision === null ? `${reason}: ${error}` : `retries_exhausted: ${reason}: ${error}`;
            const handed = await handOnOnce(envelope.subscription || consumer.subscription, messageId, elapsed, () => deadLetter(dataBytes ?? Buffer.alloc(0), attributes, messageId, why, fullHistory));
            report(handed === 'duplicate' ? 'already_handed_on' : 'dead_lettered');
            return;
          }
          const retryAttrs: Record<string, string> = {
            ...attributes,
            [ATTR.originalTopic]: attributes[ATTR.originalTopic] ?? consumer.topic,
            [ATTR.originalMessageId]: attributes[ATTR.originalMessageId] ?? messageId,
            [ATTR.retryAttempt]: String(decision.nextAttempt),
            [ATTR.notBefore]: new Date(decision.notBefore).toISOString(),
            [failureAttributeName(attempt)]: encodeFailure(record),
          };
          const handed = await handOnOnce(envelope.subscription || consumer.subscription, messageId, elapsed, async () => void (await publisher.publishRaw(consumer.retryTopic, dataBytes ?? Buffer.alloc(0), retryAttrs)));
          if (handed === 'duplicate') {
            log.info('another delivery of this message already scheduled its retry', { reason, error });
            report('already_handed_on');
            return;
          }
          log.warn('transient failure, retry scheduled', {
            reason,
            error,
            nextAttempt: decision.nextAttempt,
            notBefore: retryAttrs[ATTR.notBefore],
          });
          report('retry_scheduled');
        } catch (e) {
          // Could not hand the message on: let Pub/Sub redeliver the original (nothing lost).
          log.error('could not republish after failure; answering 503 for redelivery', { error: e });
          ctx.status = 503;
          report('republish_failed');
          return;
        }
      };

      ctx.status = 204;
      if (dataBytes === null) return fail('permanent', 'undecodable_data', 'message data is not valid base64');
      let json: unknown;
      try {
        json = JSON.parse(dataBytes.toString('utf8'));
      } catch {
        return fail('permanent', 'malformed_json', 'message data is not valid JSON');
      }
      const parsed = options.schema.safeParse(json);
      if (!parsed.success) {
        const first = parsed.error.issues[0];
        return fail('permanent', 'schema_invalid', `${first?.path.join('.') || '(root)'}: ${first?.message ?? 'invalid'}`);
      }
      const remaining = Math.max(0, budgetMs - (performance.now() - arrived));
      try {
        await withDeadline(`push ${consumer.subscription}`, remaining, (signal) =>
          options.handle({
            data: parsed.data,
            attributes,
            messageId,
            attempt,
            ...(envelope.deliveryAttempt !== undefined ? { deliveryAttempt: envelope.deliveryAttempt } : {}),
            signal,
          }),
        );
        report('done');
      } catch (e) {
        if (e instanceof DeadlineExceededError && e.dependency === `push ${consumer.subscription}`) {
          log.warn('push budget ran out; abandoning the handler and scheduling a retry', { budgetMs, ackDeadlineSeconds: consumer.ackDeadlineSeconds });
          return fail('transient', 'deadline_exceeded', `handler did not finish within the push budget of ${budgetMs} ms`);
        }
        const kind = e instanceof PermanentError ? 'permanent' : 'transient';
        return fail(kind, errorReason(e), (e as Error)?.message ?? String(e));
      }
    });
  };
}
