import { paymentDataSchema, type PaymentData } from '../events/event-schemas.js';
import type { MercadoPagoPayment } from './mercadopago-client.js';
import type { PaymentEventName, PaymentOutcome } from './payment-outcome.js';

/**
 * MP `status` → event. approved publishes success; rejected and cancelled publish failure. Everything else —
 * pending, authorized, in_process, in_mediation, and the after-the-fact refunded / charged_back — is
 * acknowledged without an event: the pipeline has no event for them (refunds are the seller's dashboard
 * business), and a later state change brings a new notification.
 */
const EVENT_BY_STATUS = new Map<string, PaymentEventName>([
  ['approved', 'payment_success'],
  ['rejected', 'payment_failure'],
  ['cancelled', 'payment_failure'],
]);

export function mercadoPagoPaymentToEvent(payment: MercadoPagoPayment, tiendaId: string): PaymentOutcome {
  const transactionId = String(payment.id);
  const data: PaymentData = paymentDataSchema.parse({
    provider: 'mercadopago',
    tienda_id: tiendaId,
    transaction_id: transactionId,
    order_reference: payment.external_reference ? payment.external_reference : null,
    amount: typeof payment.transaction_amount === 'number' && payment.transaction_amount >= 0 ? payment.transaction_amount : null,
    currency: payment.currency_id ?? null,
    status: payment.status,
    reason: payment.status_detail ?? null,
  });
  return {
    event: EVENT_BY_STATUS.get(payment.status) ?? null,
    data,
    idempotencyKey: `mercadopago:${transactionId}:${payment.status}`,
  };
}
