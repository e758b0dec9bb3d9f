import type { BasePayload } from '../../shared/events/event-schemas.js';
import { HttpError } from '../../shared/http/read-raw-body.js';
import { IdempotencyUnavailableError, type IdempotencyStore } from '../../shared/idempotency/idempotency-store.js';
import { getLogger } from '../../shared/logging/logger.js';
import type { Publisher } from '../../shared/pubsub/publisher.js';

/** One normalised event ready to publish. */
export interface OutgoingEvent {
  topic: string;
  payload: BasePayload;
  /** The idempotency key: comment id, transaction id + state, or the caller's X-Idempotency-Key. */
  key: string;
  tiendaId: string | null;
  schemaVersion: string;
}

export interface AcceptSummary {
  published: number;
  duplicates: number;
}

/**
 * The ingress's one write path: for each event, claim its key in Firestore; the winner publishes and, only
 * after Pub/Sub acknowledged, marks the key done. Any failure releases that key and the whole request is
 * answered 503, so the sender retries; keys already done are duplicates on that retry, so nothing is
 * published twice and nothing acknowledged is lost.
 */
export async function acceptEvents(
  events: OutgoingEvent[],
  deps: { idempotency: IdempotencyStore; publisher: Publisher },
): Promise<AcceptSummary> {
  const log = getLogger();
  const results = await Promise.allSettled(
    events.map(async (e): Promise<'published' | 'duplicate'> => {
      const claim = await deps.idempotency.claim(e.key, e.payload.event);
      // `in_progress`: a concurrent delivery of the same key holds it; if that one fails, it answers 503 and
      // its sender retries, so answering this copy 200 loses nothing.
      if (claim.status !== 'claimed') return 'duplicate';
      try {
        await deps.publisher.publishJson(e.topic, e.payload, {
          event: e.payload.event,
          idempotencyKey: e.key,
          schemaVersion: e.schemaVersion,
          tiendaId: e.tiendaId,
        });
      } catch (err) {
        await deps.idempotency.release(claim.claim);
        throw err;
      }
      // Published: from here the event is safe. If marking done fails the lease simply expires, and a retry
      // inside the lease is still seen as in progress.
      await deps.idempotency.complete(claim.claim).catch((err) =>
        log.warn('published but could not mark the idempotency key done', { key: e.key, error: err }),
      );
      return 'published';
    }),
  );
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length > 0) {
    const reason = failed[0]!.reason as Error;
    log.error('could not accept event(s); answering 503 for a retry', {
      failed: failed.length,
      of: events.length,
      error: reason,
      store: reason instanceof IdempotencyUnavailableError ? 'firestore' : 'pubsub',
    });
    throw new HttpError(503, 'temporarily unable to accept the event, retry later', 'unavailable');
  }
  const summary = { published: 0, duplicates: 0 };
  for (const r of results) if (r.status === 'fulfilled') summary[r.value === 'published' ? 'published' : 'duplicates']++;
  return summary;
}
