import type { PaymentProvider } from '../events/event-schemas.js';

/**
 * Typed failures of the provider modules. The ingress routes map them to HTTP statuses with `httpStatus` (or
 * `httpStatusForProviderError`) instead of matching on messages. Every class says whether the *sender* (Meta,
 * Mercado Pago, Flow, PayPal) should retry: all four retry on any non-2xx, so "retryable" here means "we answer
 * 5xx on purpose so that it does".
 */
export type ProviderName = 'meta' | PaymentProvider;

export interface ProviderErrorOptions {
  provider?: ProviderName;
  cause?: unknown;
}

export abstract class ProviderError extends Error {
  /** Status the route should answer with when this error reaches it. */
  abstract readonly httpStatus: number;
  /** True when we want the sender to deliver the notification again. */
  abstract readonly retryable: boolean;
  readonly provider: ProviderName | undefined;

  constructor(message: string, options: ProviderErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.provider = options.provider;
  }
}

export type SignatureFailureReason =
  | 'missing_header'
  | 'malformed_header'
  | 'mismatch'
  | 'stale'
  | 'unsupported_algorithm'
  | 'untrusted_cert_url'
  | 'cert_invalid'
  | 'cert_expired';

/** The request is not provably from the provider. 401: never processed; a real sender will retry and show up in logs. */
export class SignatureError extends ProviderError {
  readonly httpStatus = 401;
  readonly retryable = false;
  readonly reason: SignatureFailureReason;

  constructor(reason: SignatureFailureReason, message?: string, options: ProviderErrorOptions = {}) {
    super(message ?? `signature rejected: ${reason}`, options);
    this.reason = reason;
  }
}

/** The (authentic) request body or the provider's answer cannot be understood. 400: retrying cannot help. */
export class MalformedPayloadError extends ProviderError {
  readonly httpStatus = 400;
  readonly retryable = false;
}

/**
 * The provider rejected our credentials (HTTP 401/403 on an API call). The caller refreshes the secret once
 * (Secret Manager may hold a rotated one) and retries; if it still fails it answers 503 so the sender retries
 * later — a credentials problem is ours to fix, and dropping the notification would lose a payment.
 */
export class ProviderAuthError extends ProviderError {
  readonly httpStatus = 503;
  readonly retryable = true;
  readonly providerStatus: number | undefined;

  constructor(message: string, options: ProviderErrorOptions & { providerStatus?: number } = {}) {
    super(message, options);
    this.providerStatus = options.providerStatus;
  }
}

/** 5xx, 429, network error or timeout at the provider. 503 so the sender retries. */
export class ProviderUnavailableError extends ProviderError {
  readonly httpStatus = 503;
  readonly retryable = true;
  readonly providerStatus: number | undefined;
  /** From the provider's Retry-After header, when it sent one (seconds). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    message: string,
    options: ProviderErrorOptions & { providerStatus?: number; retryAfterSeconds?: number } = {},
  ) {
    super(message, options);
    this.providerStatus = options.providerStatus;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/**
 * The payment / token / capture named by an authentic notification is unknown to the provider's API.
 *
 * Decision: for a *signed* notification this most likely means a race (the notification overtook the
 * provider's own read replica — seen with MP right after `payment.created`) or a dashboard test notification
 * ("Simular" in MP, PayPal's simulator) whose id never existed. We want a few retries for the first and none
 * forever for the second, so the route uses `notFoundDisposition(eventTime)`: answer 503 while the
 * notification is younger than a retry window (default 1 h: ~4 MP retries, a dozen PayPal ones), then 200 and
 * log it at WARNING. That bounds the retries by time without any state. `httpStatus` is the retry answer.
 *
 * Flow is the exception: its confirmation POST is *unsigned* (just `token=`), and Flow only sends it for tokens
 * it created, so an unknown token there is junk — the Flow route should answer 400 straight away.
 */
export class ProviderNotFoundError extends ProviderError {
  readonly httpStatus = 503;
  readonly retryable = true;
  readonly resourceId: string | undefined;

  constructor(message: string, options: ProviderErrorOptions & { resourceId?: string } = {}) {
    super(message, options);
    this.resourceId = options.resourceId;
  }
}

/** Our own configuration is unusable (empty secret...). 500: fix the deployment; the sender keeps retrying meanwhile. */
export class MisconfigurationError extends ProviderError {
  readonly httpStatus = 500;
  readonly retryable = true;
}

export const DEFAULT_NOT_FOUND_RETRY_WINDOW_MS = 60 * 60 * 1000;

export interface NotFoundDisposition {
  action: 'retry' | 'acknowledge';
  httpStatus: 503 | 200;
}

/**
 * What to answer for a `ProviderNotFoundError` (see its comment): retry while the notification is younger than
 * `retryWindowMs`, acknowledge afterwards. `eventTime` is the provider's own creation time of the notification
 * (MP body `date_created`, PayPal `create_time`); when it is missing or unreadable there is nothing to bound
 * the retries with, so the answer is acknowledge.
 */
export function notFoundDisposition(
  eventTime: string | number | Date | null | undefined,
  options: { now?: Date; retryWindowMs?: number } = {},
): NotFoundDisposition {
  const window = options.retryWindowMs ?? DEFAULT_NOT_FOUND_RETRY_WINDOW_MS;
  const now = (options.now ?? new Date()).getTime();
  const at = eventTime === null || eventTime === undefined ? Number.NaN : new Date(eventTime).getTime();
  if (Number.isFinite(at) && now - at < window) return { action: 'retry', httpStatus: 503 };
  return { action: 'acknowledge', httpStatus: 200 };
}

/** Status for any error a provider module threw; unknown errors are treated as retryable (500). */
export function httpStatusForProviderError(error: unknown): number {
  return error instanceof ProviderError ? error.httpStatus : 500;
}
