import type { PaymentData, PaymentProvider } from '../events/event-schemas.js';

/** One item of an order as the buyer sees it on the provider's checkout. */
export interface PaymentLinkItem {
  /** Catalog code (product, or product+variant). */
  code: string;
  title: string;
  quantity: number;
  /** Price of one unit in the order's currency, major units (15990 CLP, 12.5 USD). */
  unitPrice: number;
}

export interface PaymentLinkRequest {
  /** Our order id: external_reference (MP), commerceOrder (Flow), custom_id / invoice_id (PayPal), idempotency key. */
  orderId: string;
  tiendaId: string;
  /** The tienda's provider. */
  provider: PaymentProvider;
  /** ISO 4217, the tienda's currency. */
  currency: string;
  items: PaymentLinkItem[];
  /** Must equal the sum of the items (checked: a mismatch is refused, never charged). */
  total: number;
  /** The reservation's expiry: the link must not outlive it. */
  expiresAt: Date;
  buyerName?: string | null;
  /** Flow requires a payer email; Meta gives us none, so the configured fallback is used when this is absent. */
  buyerEmail?: string | null;
  /** The ingress route of this tienda: `<INGRESS_PUBLIC_URL>/webhooks/<provider>/<tiendaId>` (see `notificationUrlFor`). */
  notificationUrl: string;
  /** Where the provider sends the buyer back; default `PAYMENT_RETURN_URL`. */
  returnUrl?: string;
}

export interface PaymentLink {
  provider: PaymentProvider;
  /** What the buyer opens. */
  url: string;
  /** MP preference id / Flow token / PayPal order id — what `findPayment` and `capture` take back. */
  providerRef: string;
  /** When the provider stops accepting payment on this link (PayPal: see README — the order itself cannot expire sooner than PayPal's approval window). */
  expiresAt: Date;
}

export type PaymentLookupOutcome = 'success' | 'failure' | 'pending' | 'none';

/**
 * What the provider says about an order's payment now. For success / failure / pending, `data` is the same
 * PaymentData and `idempotencyKey` the same key the ingress would publish for this state, so publishing it
 * through the same once-only path makes a late webhook a duplicate (and vice versa).
 */
export type PaymentLookup =
  | { outcome: 'none'; event: null; data: null; idempotencyKey: null }
  | {
      outcome: Exclude<PaymentLookupOutcome, 'none'>;
      /** The event to publish: payment_success / payment_failure; null for pending (nothing to publish). */
      event: 'payment_success' | 'payment_failure' | null;
      data: PaymentData;
      idempotencyKey: string;
    };

/** `<ingressPublicUrl>/webhooks/<provider>/<tiendaId>`: where each provider must notify (the ingress routes). */
export function notificationUrlFor(ingressPublicUrl: string, provider: PaymentProvider, tiendaId: string): string {
  return `${ingressPublicUrl.replace(/\/+$/, '')}/webhooks/${provider}/${encodeURIComponent(tiendaId)}`;
}
