import type { PaymentData, PaymentProvider } from '../../../shared/events/event-schemas.js';
import { PaymentLinkRefusedError } from '../../../shared/payments/payment-errors.js';

/**
 * What the order step needs from the payment providers (implemented by shared/payments for Mercado Pago,
 * Flow and PayPal). Kept as a small port so the order logic reads without provider details.
 */
export interface PaymentLinkRequest {
  orderId: string;
  tiendaId: string;
  provider: PaymentProvider;
  currency: string;
  items: Array<{ code: string; title: string; quantity: number; unitPrice: number }>;
  total: number;
  expiresAt: Date;
  buyerName: string | null;
}

export interface CreatedPaymentLink {
  provider: PaymentProvider;
  url: string;
  providerRef: string;
}

export interface PaymentLinkPort {
  create(request: PaymentLinkRequest): Promise<CreatedPaymentLink>;
}

/** A provider refused the link for good (bad credentials, invalid amount): the order fails, the buyer is told. */
export function isLinkRefusal(e: unknown): e is PaymentLinkRefusedError {
  return e instanceof PaymentLinkRefusedError;
}

/** A payment state re-read at the provider (the same shape and key the ingress publishes). */
export interface ReconciledPayment {
  event: 'payment_success' | 'payment_failure' | null;
  data: PaymentData;
  /** `<provider>:<transaction>:<state>`: the key the ingress uses for the same state, so a late webhook is a duplicate. */
  idempotencyKey: string;
}

export interface PaymentStatusPort {
  /** The order's payment at its provider; null when the provider has none for it yet. */
  find(order: { tiendaId: string; provider: PaymentProvider; orderId: string; providerRef: string | null }): Promise<ReconciledPayment | null>;
}
