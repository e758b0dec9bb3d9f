import type { PaymentProvider } from '../events/event-schemas.js';
import { PermanentError, TransientError } from '../pubsub/handler-errors.js';

/**
 * The two ways a payment-provider call fails, as the worker needs them:
 * - `PaymentProviderUnavailableError` (a `TransientError`): 5xx, 429, timeout, network, Secret Manager
 *   unreachable — the retry schedule retries the message.
 * - `PaymentProviderRefusedError` (a `PermanentError`) with a `code`: retrying cannot help — the order fails with
 *   the reason recorded and the buyer is told politely. `PaymentLinkRefusedError` is its subclass for link
 *   creation, so a handler can catch exactly "no link for this order".
 * Both extend the push machinery's classes, so one that escapes a handler is still retried / dead-lettered right.
 */

export type PaymentRefusalCode =
  /** The provider rejected the tienda's credentials, also after re-reading them from Secret Manager. */
  | 'bad_credentials'
  /** The tienda has no credentials for its provider in Secret Manager. */
  | 'missing_credentials'
  /** The tienda's provider cannot charge the order's currency. */
  | 'currency_not_supported'
  /** Total not positive, not the sum of the items, or with more decimals than the currency has. */
  | 'invalid_amount'
  /** The provider refused the request as invalid (400 / 422 validation). */
  | 'validation_failed'
  /** The reservation is already over: a link would outlive it. */
  | 'reservation_expired'
  /** No return URL configured for a provider that needs one (Flow, PayPal). */
  | 'missing_return_url'
  /** The provider says this order was already paid (Flow 1605). */
  | 'already_paid'
  /** PayPal refused the capture (instrument declined, order not capturable). */
  | 'capture_refused';

export class PaymentProviderRefusedError extends PermanentError {
  readonly provider: PaymentProvider;
  readonly code: PaymentRefusalCode;
  /** HTTP status of the provider's answer, when there was one. */
  readonly providerStatus: number | undefined;

  constructor(provider: PaymentProvider, code: PaymentRefusalCode, message: string, options: { providerStatus?: number; cause?: unknown } = {}) {
    super(message, `payment_refused:${code}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.provider = provider;
    this.code = code;
    this.providerStatus = options.providerStatus;
  }
}

/** No payment link can be made for this order (see `code`). */
export class PaymentLinkRefusedError extends PaymentProviderRefusedError {}

export class PaymentProviderUnavailableError extends TransientError {
  readonly provider: PaymentProvider;
  readonly providerStatus: number | undefined;
  /** The provider's Retry-After (seconds), when it sent one. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    provider: PaymentProvider,
    message: string,
    options: { providerStatus?: number; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, 'payment_provider_unavailable', options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PaymentProviderUnavailableError';
    this.provider = provider;
    this.providerStatus = options.providerStatus;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
