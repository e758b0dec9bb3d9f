/**
 * Deadlines for outbound calls. Every call that leaves the process gets one: a hung dependency must cost a bounded
 * amount of time, never a request (or a push past its ack deadline).
 *
 * `withDeadline(what, ms, run)` hands `run` an AbortSignal (pass it on where the client takes one: fetch, the LLM
 * SDKs) and races it against the deadline for the clients that take none (Firestore, BigQuery, gax): the caller
 * gets {@link DeadlineExceededError} in time, the timer is cleared, and a late rejection of the abandoned work is
 * swallowed instead of becoming an unhandled rejection.
 */

/**
 * A dependency (Firestore, Pub/Sub, BigQuery, Secret Manager, a provider) could not answer now. Transient: an HTTP
 * handler answers 503 (the sender retries), a push handler schedules a retry.
 */
export class DependencyUnavailableError extends Error {
  override name = 'DependencyUnavailableError';
  constructor(
    /** What was being called, e.g. `firestore tiendas.get`. */
    readonly dependency: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The call did not finish within its deadline (or the caller's own signal fired first). */
export class DeadlineExceededError extends DependencyUnavailableError {
  override name = 'DeadlineExceededError';
  constructor(
    what: string,
    readonly timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super(what, `${what} did not finish within ${timeoutMs} ms`, options);
  }
}

export interface DeadlineOptions {
  /** An outer signal (e.g. the push request's budget): when it fires first, the call is abandoned too. */
  signal?: AbortSignal | undefined;
}

export async function withDeadline<T>(
  what: string,
  timeoutMs: number,
  run: (signal: AbortSignal) => Promise<T>,
  options: DeadlineOptions = {},
): Promise<T> {
  const controller = new AbortController();
  const outer = options.signal;
  let timer: NodeJS.Timeout | undefined;
  let onOuterAbort: (() => void) | undefined;
  const expired = new Promise<never>((_, reject) => {
    const expire = (cause?: unknown) => {
      const error = new DeadlineExceededError(what, timeoutMs, cause === undefined ? undefined : { cause });
      controller.abort(error);
      reject(error);
    };
    if (outer?.aborted) return expire(outer.reason);
    timer = setTimeout(() => expire(), timeoutMs);
    if (outer) {
      onOuterAbort = () => expire(outer.reason);
      outer.addEventListener('abort', onOuterAbort, { once: true });
    }
  });
  // A work that settles after the deadline must not surface as an unhandled rejection.
  expired.catch(() => undefined);
  if (controller.signal.aborted) return expired;
  const work = Promise.resolve().then(() => run(controller.signal));
  work.catch(() => undefined);
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
    if (onOuterAbort) outer?.removeEventListener('abort', onOuterAbort);
  }
}

/** Milliseconds left before `deadline` (epoch ms), never below `floorMs`. */
export function remainingMs(deadline: number, now: number = Date.now(), floorMs = 0): number {
  return Math.max(floorMs, deadline - now);
}
