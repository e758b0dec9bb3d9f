import type { PaymentOutcome } from '../providers/payment-outcome.js';
import type { PayPalCredentials } from '../providers/paypal-client.js';
import { payPalCaptureToEvent, payPalReversalToEvent } from '../providers/paypal-event.js';
import { paymentDataSchema } from '../events/event-schemas.js';
import type { PayPalCheckoutOrder, PayPalOrdersClient } from './paypal-orders.js';

/** PayPal's webhook for "the buyer approved; capture now". Its resource is the order. */
export const PAYPAL_ORDER_APPROVED = 'CHECKOUT.ORDER.APPROVED';

/** `PayPal-Request-Id` of a capture: one capture per order of ours, whichever path (webhook, reconciliation) asks. */
export function payPalCaptureRequestId(order: PayPalCheckoutOrder): string {
  const unit = order.purchase_units?.[0];
  return `capture-${unit?.custom_id || unit?.invoice_id || order.id}`;
}

/**
 * An order's state → the ingress's outcome shape, keyed exactly as the webhooks key it:
 * - COMPLETED: its capture, `paypal:<capture id>:<capture status>` — what PAYMENT.CAPTURE.COMPLETED publishes;
 * - VOIDED: `paypal:<order id>:APPROVAL_REVERSED` — what CHECKOUT.PAYMENT-APPROVAL.REVERSED publishes;
 * - anything else (CREATED, PAYER_ACTION_REQUIRED, APPROVED, SAVED): nothing to publish yet (event null).
 */
export function payPalOrderToOutcome(order: PayPalCheckoutOrder, tiendaId: string): PaymentOutcome {
  const unit = order.purchase_units?.[0];
  if (order.status === 'COMPLETED') {
    const captures = unit?.payments?.captures ?? [];
    const capture = captures.find((c) => c.status === 'COMPLETED') ?? captures[captures.length - 1];
    if (capture) {
      // Captures inside an order may omit custom_id; the order's unit carries it.
      return payPalCaptureToEvent({ ...capture, custom_id: capture.custom_id ?? unit?.custom_id ?? null }, tiendaId);
    }
  }
  if (order.status === 'VOIDED') {
    return payPalReversalToEvent(order, tiendaId);
  }
  const amount = unit?.amount?.value !== undefined && /^\d+(\.\d+)?$/.test(unit.amount.value) ? Number(unit.amount.value) : null;
  return {
    event: null,
    data: paymentDataSchema.parse({
      provider: 'paypal',
      tienda_id: tiendaId,
      transaction_id: order.id,
      order_reference: unit?.custom_id ?? null,
      amount,
      currency: unit?.amount?.currency_code ?? null,
      status: order.status,
      reason: null,
    }),
    idempotencyKey: `paypal:${order.id}:${order.status}`,
  };
}

/**
 * The buyer approved (webhook CHECKOUT.ORDER.APPROVED, or reconciliation found the order APPROVED): re-read the
 * order (never trust the webhook body), capture it if it is still APPROVED (idempotent), and report what the
 * capture reached. Safe to run any number of times, concurrently too: the capture's request id is fixed per
 * order and an already-captured order is re-read instead.
 */
export async function settlePayPalApproval(
  paypalOrderId: string,
  deps: { tiendaId: string; orders: PayPalOrdersClient; credentials: PayPalCredentials },
): Promise<PaymentOutcome> {
  let order = await deps.orders.getOrder(paypalOrderId, deps.credentials);
  if (order.status === 'APPROVED') order = await deps.orders.captureOrder(order.id, payPalCaptureRequestId(order), deps.credentials);
  return payPalOrderToOutcome(order, deps.tiendaId);
}

/** The PayPal order id of a (verified) CHECKOUT.ORDER.APPROVED webhook body, or undefined for any other body. */
export function approvedPayPalOrderId(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { event_type: type, resource } = body as { event_type?: unknown; resource?: { id?: unknown } };
  return type === PAYPAL_ORDER_APPROVED && typeof resource?.id === 'string' && resource.id !== '' ? resource.id : undefined;
}
