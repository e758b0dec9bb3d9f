import { paymentDataSchema, type PaymentData } from '../../../shared/events/event-schemas.js';
import { getLogger } from '../../../shared/logging/logger.js';
import { MalformedPayloadError, ProviderNotFoundError } from './provider-errors.js';
import type { PayPalCapture, PayPalClient, PayPalCredentials, PayPalOrder } from './paypal-client.js';
import type { PaymentEventName, PaymentOutcome } from './payment-outcome.js';

/** Capture events: the resource is a capture, re-read with `GET /v2/payments/captures/{id}`. */
export const PAYPAL_CAPTURE_EVENTS = new Set(['PAYMENT.CAPTURE.COMPLETED', 'PAYMENT.CAPTURE.DENIED', 'PAYMENT.CAPTURE.DECLINED']);
/** Approved but never captured in time: PayPal voids the order. The resource is an order summary, not a capture. */
export const PAYPAL_APPROVAL_REVERSED = 'CHECKOUT.PAYMENT-APPROVAL.REVERSED';

/**
 * Re-read capture status → event. The re-read wins over the event type: a COMPLETED event whose capture now
 * reads REFUNDED publishes nothing, a DENIED event whose capture reads COMPLETED publishes success. PENDING,
 * REFUNDED and PARTIALLY_REFUNDED publish nothing (a later event follows, or it is past the sale).
 */
const CAPTURE_EVENT_BY_STATUS = new Map<string, PaymentEventName>([
  ['COMPLETED', 'payment_success'],
  ['DECLINED', 'payment_failure'],
  ['DENIED', 'payment_failure'],
  ['FAILED', 'payment_failure'],
]);

export interface PayPalWebhookEvent {
  id?: string;
  event_type: string;
  create_time?: string;
  resource: Record<string, unknown>;
}

/** Minimal structural check of a (verified) webhook body. */
export function parsePayPalWebhookEvent(body: unknown): PayPalWebhookEvent {
  if (typeof body !== 'object' || body === null) throw new MalformedPayloadError('PayPal webhook body is not an object', { provider: 'paypal' });
  const b = body as Record<string, unknown>;
  if (typeof b.event_type !== 'string' || typeof b.resource !== 'object' || b.resource === null) {
    throw new MalformedPayloadError('PayPal webhook body lacks event_type or resource', { provider: 'paypal' });
  }
  return {
    event_type: b.event_type,
    resource: b.resource as Record<string, unknown>,
    ...(typeof b.id === 'string' ? { id: b.id } : {}),
    ...(typeof b.create_time === 'string' ? { create_time: b.create_time } : {}),
  };
}

/** A re-read capture → outcome. Key `paypal:<capture id>:<capture status>`. */
export function payPalCaptureToEvent(capture: PayPalCapture, tiendaId: string): PaymentOutcome {
  const data: PaymentData = paymentDataSchema.parse({
    provider: 'paypal',
    tienda_id: tiendaId,
    transaction_id: capture.id,
    order_reference: capture.custom_id ? capture.custom_id : null,
    amount: parseAmount(capture.amount?.value),
    currency: capture.amount?.currency_code ?? null,
    status: capture.status,
    reason: capture.status_details?.reason ?? null,
  });
  return {
    event: CAPTURE_EVENT_BY_STATUS.get(capture.status) ?? null,
    data,
    idempotencyKey: `paypal:${capture.id}:${capture.status}`,
  };
}

/**
 * CHECKOUT.PAYMENT-APPROVAL.REVERSED → failure. The event resource is `{order_id, purchase_units[{reference_id,
 * custom_id, invoice_id}], payment_source}` — no amount, no status. The order is re-read for both; if PayPal
 * says the order was COMPLETED after all (captured), the capture events decide and this publishes nothing.
 * Without the order (404: it can vanish once voided), the failure is built from the event resource alone —
 * it is signed, and a failure notice is the safe direction to trust.
 *
 * Key `paypal:<order id>:APPROVAL_REVERSED` — fixed rather than the order's status, which may move (APPROVED →
 * VOIDED) between deliveries and would otherwise publish the same reversal twice.
 */
export function payPalReversalToEvent(
  resource: Record<string, unknown>,
  order: PayPalOrder | null,
  tiendaId: string,
): PaymentOutcome {
  const orderId = typeof resource.order_id === 'string' && resource.order_id ? resource.order_id : order?.id;
  if (!orderId) throw new MalformedPayloadError('PayPal reversal event has no order_id', { provider: 'paypal' });
  const eventUnit = Array.isArray(resource.purchase_units) ? (resource.purchase_units[0] as Record<string, unknown> | undefined) : undefined;
  const orderUnit = order?.purchase_units?.[0];
  const customId = (typeof eventUnit?.custom_id === 'string' && eventUnit.custom_id) || orderUnit?.custom_id || null;
  const data: PaymentData = paymentDataSchema.parse({
    provider: 'paypal',
    tienda_id: tiendaId,
    transaction_id: orderId,
    order_reference: customId,
    amount: parseAmount(orderUnit?.amount?.value),
    currency: orderUnit?.amount?.currency_code ?? null,
    status: order?.status ?? 'APPROVAL_REVERSED',
    reason: 'PAYMENT_APPROVAL_REVERSED',
  });
  return {
    event: order?.status === 'COMPLETED' ? null : 'payment_failure',
    data,
    idempotencyKey: `paypal:${orderId}:APPROVAL_REVERSED`,
  };
}

export interface PayPalEventDeps {
  tiendaId: string;
  client: PayPalClient;
  credentials?: PayPalCredentials;
}

/**
 * A verified PayPal webhook body → outcome, re-reading the capture/order (never trusting the body's state).
 * Returns null for event types the pipeline does not handle (acknowledge them). Provider errors propagate.
 */
export async function payPalWebhookToPayment(body: unknown, deps: PayPalEventDeps): Promise<PaymentOutcome | null> {
  const event = parsePayPalWebhookEvent(body);
  if (PAYPAL_CAPTURE_EVENTS.has(event.event_type)) {
    const captureId = event.resource.id;
    if (typeof captureId !== 'string' || captureId === '') {
      throw new MalformedPayloadError(`${event.event_type} without resource.id`, { provider: 'paypal' });
    }
    const outcome = payPalCaptureToEvent(await deps.client.getCapture(captureId, deps.credentials), deps.tiendaId);
    if (outcome.data.status !== event.resource.status) {
      getLogger().notice('paypal capture re-read disagrees with the webhook; trusting the re-read', {
        eventType: event.event_type,
        webhookStatus: event.resource.status,
        captureStatus: outcome.data.status,
        captureId,
      });
    }
    return outcome;
  }
  if (event.event_type === PAYPAL_APPROVAL_REVERSED) {
    const orderId = event.resource.order_id;
    let order: PayPalOrder | null = null;
    if (typeof orderId === 'string' && orderId !== '') {
      try {
        order = await deps.client.getOrder(orderId, deps.credentials);
      } catch (error) {
        if (!(error instanceof ProviderNotFoundError)) throw error;
        getLogger().notice('paypal reversed order not found on re-read; using the event resource', { orderId });
      }
    }
    return payPalReversalToEvent(event.resource, order, deps.tiendaId);
  }
  return null;
}

/** PayPal amounts are decimal strings ("12.34"). */
function parseAmount(value: string | null | undefined): number | null {
  if (typeof value !== 'string' || !/^\d+(\.\d+)?$/.test(value)) return null;
  return Number(value);
}
