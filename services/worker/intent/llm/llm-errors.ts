/**
 * Typed failures of one LLM provider call. The chain classifies them by class (never by message text) to decide
 * the attempt's outcome; every one of them means "try the next provider", but they are logged differently.
 */

/** The provider did not answer within the configured time (includes a hung connection or a slow auth step). */
export class LlmTimeoutError extends Error {
  override readonly name = 'LlmTimeoutError';
  constructor(
    readonly provider: string,
    readonly timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super(`${provider} did not answer within ${timeoutMs} ms`, options);
  }
}

/**
 * The provider answered with a non-2xx status. `retryable` is true for 408, 429 and 5xx (the provider is
 * overloaded or broken right now); false for the other 4xx, which point at our configuration (bad key, unknown
 * model, rejected schema) and will not get better by retrying the same request.
 */
export class LlmHttpError extends Error {
  override readonly name = 'LlmHttpError';
  readonly retryable: boolean;
  constructor(
    readonly provider: string,
    readonly status: number,
    /** Provider's own error code when it sent one (`RESOURCE_EXHAUSTED`, `rate_limit_exceeded`...). */
    readonly providerCode: string | null,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${provider} answered HTTP ${status}${providerCode ? ` ${providerCode}` : ''}: ${detail}`, options);
    this.retryable = isRetryableStatus(status);
  }

  /** 4xx other than 408/429: a key, model or request-shape problem on our side. */
  get isConfigurationProblem(): boolean {
    return !this.retryable && this.status >= 400 && this.status < 500;
  }
}

/** No HTTP answer at all: connection refused or reset, DNS failure, TLS error. */
export class LlmNetworkError extends Error {
  override readonly name = 'LlmNetworkError';
  constructor(
    readonly provider: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${provider} could not be reached: ${detail}`, options);
  }
}

/**
 * The provider answered, but what it said cannot be used: not JSON, wrong shape, a product code or variant that
 * is not in the live's catalog, a refusal, a truncated or blocked answer.
 */
export class InvalidLlmOutputError extends Error {
  override readonly name = 'InvalidLlmOutputError';
  /** Set by the provider client once it knows who produced the output. */
  provider: string | null = null;
  /** Tokens the bad answer cost, when the provider reported them (so the chain can still log the spend). */
  usage: { input: number; output: number } | null = null;
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid LLM output: ${reason}`, options);
  }
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** True for the errors `fetch`/AbortController raise when a signal fires (Node 20–24 use both names). */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}
