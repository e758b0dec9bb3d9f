/**
 * How a push handler tells the push machinery what happened. Anything thrown that is not a
 * PermanentError is treated as transient (retried) — house rule: unknown errors are retryable.
 */

/** The message can never succeed (bad data, a provider's definitive 4xx): record + dead-letter, answer 2xx. */
export class PermanentError extends Error {
  constructor(
    message: string,
    /** Short machine-readable reason, e.g. `unknown_schema_version`. */
    readonly reason = 'permanent_failure',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/** A retry can help (timeout, 5xx, 429, contention). */
export class TransientError extends Error {
  constructor(
    message: string,
    readonly reason = 'transient_failure',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransientError';
  }
}

export function errorReason(e: unknown): string {
  if (e instanceof PermanentError || e instanceof TransientError) return e.reason;
  return (e as Error)?.name ?? 'error';
}
