import type { BasePayload } from '../events/event-schemas.js';
import { PubSubLimitError } from '../pubsub/pubsub-limits.js';
import { getLogger } from '../logging/logger.js';
import { TransientError } from '../pubsub/handler-errors.js';
import type { Publisher } from '../pubsub/publisher.js';
import type { Claim, IdempotencyStore } from './idempotency-store.js';
import { IdempotencyUnavailableError } from './idempotency-store.js';

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

export interface PublishOnceOptions {
  /**
   * Deadline of one publish, enforced here whatever the client does. A holder only starts a publish while its
   * lease still covers this deadline plus one store operation (the `complete()`), so a take-over after the
   * lease can never overlap a publish of the holder in a normal run.
   */
  publishTimeoutMs?: number;
  /** Publishes in flight at once (a 1,000-comment Meta batch must not open 1,000 at a time). */
  concurrency?: number;
  /** Messages claimed per round (one batched claim, then their publishes, then one batched complete). */
  chunkSize?: number;
}

export const PUBLISH_ONCE_DEFAULTS = { publishTimeoutMs: 10_000, concurrency: 200, chunkSize: 500 } as const;

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
 * Another delivery holds a live claim on some key of the batch. That is never success: the holder may have
 * crashed after claiming, or its claim may have committed after its own client-side timeout with nobody left
 * to publish. The caller retries later (ingress 503, worker retry schedule); once the holder completes, the key
 * is a duplicate, and once its lease has run out, the key is taken over and published.
 */
export class ClaimInProgressError extends TransientError {
  constructor(
    readonly inProgress: number,
    readonly of: number,
    readonly summary: PublishOnceSummary,
  ) {
    super(`${inProgress} of ${of} message(s) are claimed by another delivery right now; retry later`, 'claim_in_progress');
    this.name = 'ClaimInProgressError';
  }
}

type Outcome = 'published' | 'duplicate' | 'in_progress' | { failed: unknown };

/**
 * The pipeline's one way to publish a side effect once: claim the key in Firestore; the winner publishes
 * and, only after Pub/Sub acknowledged, marks the key done. A failure releases that key and rejects, so the
 * caller's retry (webhook sender or Pub/Sub) publishes what is missing and nothing twice.
 *
 * Resolves only when every message is published or was done before. Rejects with `PublishOnceError` when
 * something failed (Firestore or Pub/Sub), or `ClaimInProgressError` when another delivery holds a key:
 * both mean "retry later", and what this call did publish is marked done, so the retry skips it.
 *
 * Big batches are worked in chunks: one batched claim per chunk, bounded concurrent publishes, one batched
 * complete; the first chunk with a failure stops the rest (unclaimed, so the retry finds them free).
 */
export async function publishOnce(
  messages: OnceMessage[],
  deps: { idempotency: IdempotencyStore; publisher: Publisher; options?: PublishOnceOptions },
): Promise<PublishOnceSummary> {
  const log = getLogger();
  const opts = { ...PUBLISH_ONCE_DEFAULTS, ...deps.options };
  const store = deps.idempotency;

  // One key, one claim: a batch that names a key twice (Meta has re-sent a change inside one batch) must not
  // race against itself and answer 503 for its own claim.
  const unique = new Map<string, OnceMessage>();
  for (const m of messages) if (!unique.has(m.key)) unique.set(m.key, m);
  const work = [...unique.values()];
  const summary: PublishOnceSummary = { published: 0, duplicates: messages.length - work.length };
  let inProgress = 0;
  const failures: unknown[] = [];

  for (let start = 0; start < work.length && failures.length === 0; start += opts.chunkSize) {
    const chunk = work.slice(start, start + opts.chunkSize);
    const claims = await store.claimMany(chunk.map((m) => ({ key: m.key, scope: m.event })));
    const toComplete: Claim[] = [];
    const outcomes = await mapBounded(chunk, opts.concurrency, async (m, i): Promise<Outcome> => {
      const claim = claims[i]!;
      if (claim instanceof IdempotencyUnavailableError) return { failed: claim };
      if (claim.status === 'duplicate') return 'duplicate';
      if (claim.status === 'in_progress') return 'in_progress';
      // Not enough lease left to publish and mark done before another delivery may take the key over
      // (a slow claim, or a long queue in this batch): hand the key back and let the retry do it.
      if (store.leaseRemainingMs(claim.claim) < opts.publishTimeoutMs + store.opTimeoutMs) {
        await store.release(claim.claim);
        return 'in_progress';
      }
      try {
        await withDeadline(
          deps.publisher.publishJson(m.topic, m.payload, { event: m.event, idempotencyKey: m.key, schemaVersion: m.schemaVersion, tiendaId: m.tiendaId }),
          opts.publishTimeoutMs,
          `publish to ${m.topic}`,
        );
      } catch (err) {
        // Best effort: if the release fails too, the key stays `processing` until its lease ends; deliveries
        // meanwhile are told to retry later (never success), and the first after the lease takes it over.
        await store.release(claim.claim);
        return { failed: err };
      }
      toComplete.push(claim.claim);
      return 'published';
    });
    // Published: the events are safe. If marking done fails, the lease expires on its own; a delivery after
    // that publishes again, which consumers absorb (they are idempotent on their own keys).
    const completed = await store.completeMany(toComplete);
    completed.forEach((err, i) => {
      if (err) log.warn('published but could not mark the idempotency key done', { key: toComplete[i]!.key, error: err });
    });
    for (const o of outcomes) {
      if (o === 'published') summary.published++;
      else if (o === 'duplicate') summary.duplicates++;
      else if (o === 'in_progress') inProgress++;
      else failures.push(o.failed);
    }
  }
  // A message over Pub/Sub's limits will never publish: permanent (dead-lettered, or a 4xx at the ingress), not a retry.
  const tooBig = failures.find((f): f is PubSubLimitError => f instanceof PubSubLimitError);
  if (tooBig) throw tooBig;
  if (failures.length > 0) throw new PublishOnceError(failures.length, messages.length, failures[0]);
  if (inProgress > 0) {
    log.warn('keys claimed by another delivery; asking for a retry', { inProgress, of: messages.length, ...summary });
    throw new ClaimInProgressError(inProgress, messages.length, summary);
  }
  return summary;
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
async function mapBounded<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(Math.max(1, limit), items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(lanes);
  return results;
}

async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  work.catch(() => undefined); // a late failure after the deadline must not become an unhandled rejection
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
