import type { PaymentData } from '../events/event-schemas.js';

export type PaymentEventName = 'payment_success' | 'payment_failure';

/**
 * A payment state re-read from a provider, normalised. `event` is null for states that are acknowledged but
 * published nowhere (pending, in process...). `idempotencyKey` is `<provider>:<transaction>:<state>`: one
 * publication per state reached, so pending→approved publishes once for approved however often the provider
 * re-notifies.
 */
export interface PaymentOutcome {
  event: PaymentEventName | null;
  data: PaymentData;
  idempotencyKey: string;
}
