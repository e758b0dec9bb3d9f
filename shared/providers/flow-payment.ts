import { paymentDataSchema, type PaymentData } from '../events/event-schemas.js';
import type { FlowPaymentStatus } from './flow-client.js';
import type { PaymentEventName, PaymentOutcome } from './payment-outcome.js';

/** Flow status codes: 1 pending (no event), 2 paid, 3 rejected, 4 cancelled ("anulada"). */
const OUTCOME_BY_STATUS = new Map<string, { event: PaymentEventName; reason: string | null }>([
  ['2', { event: 'payment_success', reason: null }],
  ['3', { event: 'payment_failure', reason: 'rejected' }],
  ['4', { event: 'payment_failure', reason: 'cancelled' }],
]);

/**
 * Normalises a re-read Flow payment. `token` is the one from the confirmation POST; it is only used for the
 * idempotency key when the answer lacks a flowOrder (it never should). The key is keyed on flowOrder — the
 * same payment whether it is looked up by token or by order — plus the status reached.
 */
export function flowPaymentToEvent(status: FlowPaymentStatus, tiendaId: string, token?: string): PaymentOutcome {
  const statusText = String(status.status);
  const flowOrder = String(status.flowOrder);
  const outcome = OUTCOME_BY_STATUS.get(statusText);
  const amount = status.amount === null || status.amount === undefined ? Number.NaN : Number(status.amount);
  const data: PaymentData = paymentDataSchema.parse({
    provider: 'flow',
    tienda_id: tiendaId,
    transaction_id: flowOrder,
    order_reference: status.commerceOrder ? status.commerceOrder : null,
    amount: Number.isFinite(amount) && amount >= 0 ? amount : null,
    currency: status.currency ?? null,
    status: statusText,
    reason: outcome?.reason ?? null,
  });
  return {
    event: outcome?.event ?? null,
    data,
    idempotencyKey: `flow:${flowOrder || token || 'unknown'}:${statusText}`,
  };
}
