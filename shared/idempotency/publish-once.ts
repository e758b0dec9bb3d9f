import type { BasePayload } from '../events/event-schemas.js';
import { getLogger } from '../logging/logger.js';
import type { Publisher } from '../pubsub/publisher.js';
import type { IdempotencyStore } from './idempotency-store.js';

/** One message to publish exactly once under its idempotency key. */
export interface OnceMessage {
  topic: string;
  payload: BasePayload | Record<string, unknown>;
  event: string;
  key: string;
  tiendaId: string | null;
  schemaVersion: string;
}

export interface PublishOnceSummary {
  published: number;
  duplicates: number;
}

/** Some message of the batch could not be published; its claim was released. Retrying is safe. */
export class PublishOnceError extends Error {
  constructor(
    readonly failed: number,
    readonly of: number,
    cause: unknown,
  ) {
    super(`${failed} of ${of} message(s) could not be published: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'PublishOnceError';
  }
}

/**
 * The pipeline's one way to publish a side effect once: claim the key in Firestore; the winner publishes
 * and, only after Pub/Sub acknowledged, marks the key done. A failure releases that key and rejects, so the
 * caller's retry (webhook sender or Pub/Sub) publishes what is missing and nothing twice.
 */
export async function publishOnce(
  messages: OnceMessage[],
  deps: { idempotency: IdempotencyStore; publisher: Publisher },
): Promise<PublishOnceSummary> {
  const log = getLogger();
  const results = await Promise.allSettled(
    messages.map(async (m): Promise<'published' | 'duplicate'> => {
      const claim = await deps.idempotency.claim(m.key, m.event);
      // `in_progress`: a concurrent delivery holds the key; if it fails, its own sender retries.
      if (claim.status !== 'claimed') return 'duplicate';
      try {
        await deps.publisher.publishJson(m.topic, m.payload, {
          event: m.event,
          idempotencyKey: m.key,
          schemaVersion: m.schemaVersion,
          tiendaId: m.tiendaId,
        });
      } catch (err) {
        await deps.idempotency.release(claim.claim);
        throw err;
      }
      // Published: the event is safe. If marking done fails the lease expires on its own.
      await deps.idempotency.complete(claim.claim).catch((err) =>
        log.warn('published but could not mark the idempotency key done', { key: m.key, error: err }),
      );
      return 'published';
    }),
  );
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length > 0) throw new PublishOnceError(failed.length, messages.length, failed[0]!.reason);
  const summary = { published: 0, duplicates: 0 };
  for (const r of results) if (r.status === 'fulfilled') summary[r.value === 'published' ? 'published' : 'duplicates']++;
  return summary;
}
