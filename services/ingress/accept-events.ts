import type { BasePayload } from '../../shared/events/event-schemas.js';
import { HttpError } from '../../shared/http/read-raw-body.js';
import { IdempotencyUnavailableError, type IdempotencyStore } from '../../shared/idempotency/idempotency-store.js';
import { ClaimInProgressError, PublishOnceError, publishOnce, type PublishOnceSummary } from '../../shared/idempotency/publish-once.js';
import { PubSubLimitError } from '../../shared/pubsub/pubsub-limits.js';
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

/**
 * The ingress's one write path (publish-once): any failure is answered 503, so the sender retries; keys
 * already done are duplicates on that retry, so nothing is published twice and nothing acknowledged is lost.
 * A key another request holds right now is 503 too, never 200: that holder may never publish (it crashed, or
 * its claim committed after its own timeout); the sender's retry finds the key done or its lease run out.
 */
export async function acceptEvents(
  events: OutgoingEvent[],
  deps: { idempotency: IdempotencyStore; publisher: Publisher },
): Promise<PublishOnceSummary> {
  try {
    return await publishOnce(
      events.map((e) => ({ ...e, event: e.payload.event })),
      deps,
    );
  } catch (e) {
    if (e instanceof ClaimInProgressError) {
      getLogger().warn('event(s) claimed by another request right now; answering 503 for a retry', { inProgress: e.inProgress, of: e.of, ...e.summary });
      throw new HttpError(503, 'the event is being accepted by another request, retry later', 'in_progress');
    }
    // An event Pub/Sub would refuse (over its byte limits) can never be accepted: no retry can help.
    if (e instanceof PubSubLimitError) throw new HttpError(413, 'the event is larger than Pub/Sub accepts', 'too_large_for_pubsub');
    const cause = e instanceof PublishOnceError ? e.cause : e;
    getLogger().error('could not accept event(s); answering 503 for a retry', {
      error: e,
      dependency: cause instanceof IdempotencyUnavailableError ? 'firestore' : 'pubsub',
    });
    throw new HttpError(503, 'temporarily unable to accept the event, retry later', 'unavailable');
  }
}
