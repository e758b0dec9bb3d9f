import { Timestamp, type Firestore } from '@google-cloud/firestore';
import type { PaymentProvider } from '../events/event-schemas.js';
import type { PaymentLink } from './payment-types.js';

/**
 * Links already made, by order. Mercado Pago (`X-Idempotency-Key`) and PayPal (`PayPal-Request-Id`) deduplicate
 * a repeated creation themselves; Flow has no idempotency key, and a second `payment/create` for the same
 * commerceOrder makes a second token. So a Flow link is remembered here and a retried creation (a redelivered
 * message that crashed after the call) returns the same link instead of a second Flow order.
 */
export interface PaymentLinkStore {
  get(provider: PaymentProvider, orderId: string): Promise<PaymentLink | null>;
  put(link: PaymentLink, orderId: string): Promise<void>;
}

/** `payment_links/{provider}_{order id}` — one document per order; `expires_at` suits a Firestore TTL policy. */
export class FirestorePaymentLinkStore implements PaymentLinkStore {
  constructor(private readonly db: Firestore) {}

  private ref(provider: PaymentProvider, orderId: string) {
    return this.db.collection('payment_links').doc(`${provider}_${encodeURIComponent(orderId)}`);
  }

  async get(provider: PaymentProvider, orderId: string): Promise<PaymentLink | null> {
    const snap = await this.ref(provider, orderId).get();
    if (!snap.exists) return null;
    const d = snap.data() as { url: string; provider_ref: string; expires_at: Timestamp };
    return { provider, url: d.url, providerRef: d.provider_ref, expiresAt: d.expires_at.toDate() };
  }

  async put(link: PaymentLink, orderId: string): Promise<void> {
    await this.ref(link.provider, orderId).set({
      order_id: orderId,
      provider: link.provider,
      url: link.url,
      provider_ref: link.providerRef,
      expires_at: Timestamp.fromDate(link.expiresAt),
      created_at: Timestamp.now(),
    });
  }
}

/** In memory, for tests and single-process demos. */
export class MemoryPaymentLinkStore implements PaymentLinkStore {
  private readonly links = new Map<string, PaymentLink>();
  async get(provider: PaymentProvider, orderId: string) {
    return this.links.get(`${provider}_${orderId}`) ?? null;
  }
  async put(link: PaymentLink, orderId: string) {
    this.links.set(`${link.provider}_${orderId}`, link);
  }
}
