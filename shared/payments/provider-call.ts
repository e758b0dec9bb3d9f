import {
  MalformedPayloadError,
  MisconfigurationError,
  ProviderAuthError,
  ProviderNotFoundError,
  ProviderUnavailableError,
} from '../providers/provider-errors.js';
import type { PaymentOutcome } from '../providers/payment-outcome.js';
import type { PaymentProvider } from '../events/event-schemas.js';
import { SecretAccessError, SecretNotFoundError } from '../secrets/secret-source.js';
import { PaymentLinkRefusedError, PaymentProviderRefusedError, PaymentProviderUnavailableError } from './payment-errors.js';
import type { PaymentLookup } from './payment-types.js';

/** How long to wait for one provider answer when the caller does not say. */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 8000;

export interface ProviderEndpoint {
  baseUrl: string;
  timeoutMs: number;
}

/**
 * The provider modules here reuse the ingress's HTTP helpers, so inside they throw the ingress's provider errors
 * (ProviderAuthError drives the one secret refresh). This turns whatever escaped into the worker's two classes:
 * refused (permanent, with a code) or unavailable (transient). Unknown errors pass through unchanged — the push
 * machinery treats them as transient.
 */
export function toPaymentError(provider: PaymentProvider, error: unknown, forLink: boolean): unknown {
  const refused = (code: ConstructorParameters<typeof PaymentProviderRefusedError>[1], message: string, providerStatus?: number) =>
    forLink
      ? new PaymentLinkRefusedError(provider, code, message, { cause: error, ...(providerStatus === undefined ? {} : { providerStatus }) })
      : new PaymentProviderRefusedError(provider, code, message, { cause: error, ...(providerStatus === undefined ? {} : { providerStatus }) });
  if (error instanceof PaymentProviderRefusedError) {
    if (!forLink || error instanceof PaymentLinkRefusedError) return error;
    return refused(error.code, error.message, error.providerStatus);
  }
  if (error instanceof PaymentProviderUnavailableError) return error;
  if (error instanceof ProviderAuthError) return refused('bad_credentials', `${provider} rejected the tienda's credentials: ${error.message}`, error.providerStatus);
  if (error instanceof MisconfigurationError || error instanceof SecretNotFoundError) {
    return refused('missing_credentials', `${provider} credentials of the tienda are missing: ${error.message}`);
  }
  if (error instanceof MalformedPayloadError) return refused('validation_failed', error.message);
  if (error instanceof ProviderUnavailableError) {
    return new PaymentProviderUnavailableError(provider, error.message, {
      cause: error,
      ...(error.providerStatus === undefined ? {} : { providerStatus: error.providerStatus }),
      ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
    });
  }
  if (error instanceof SecretAccessError || error instanceof ProviderNotFoundError) {
    // A secret that cannot be read right now, or a resource the provider does not show yet (read replica lag).
    return new PaymentProviderUnavailableError(provider, error.message, { cause: error });
  }
  return error;
}

/** A normalised provider state (the ingress's own shape) → the reconciliation answer. */
export function lookupFromOutcome(outcome: PaymentOutcome): PaymentLookup {
  return {
    outcome: outcome.event === 'payment_success' ? 'success' : outcome.event === 'payment_failure' ? 'failure' : 'pending',
    event: outcome.event,
    data: outcome.data,
    idempotencyKey: outcome.idempotencyKey,
  };
}

export const NO_PAYMENT: PaymentLookup = { outcome: 'none', event: null, data: null, idempotencyKey: null };

/** An amount in the provider's message text, bounded (error bodies are logged, never echoed to buyers). */
export function shortText(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
