import { paymentDataSchema, type PaymentData } from '../events/event-schemas.js';
import { getLogger } from '../logging/logger.js';
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
 * CHECKOUT.PAYMENT-APPROVAL.REVERSED → failure, only as far as the re-read order confirms it. The event names
 * the order; the order read from PayPal says what happened: VOIDED → `payment_failure`, COMPLETED (captured
 * after all) → nothing (the capture events decide). Every published field comes from that order, none from
 * the body: PayPal's signature binds the body only through a CRC32, which anyone holding one genuine
 * transmission can match with a crafted body, so the body is a pointer to re-read, never evidence.
 *
 * Any other state (still APPROVED, CREATED…) does not confirm a reversal: it throws ProviderNotFoundError so
 * the route treats it like an order not readable yet (retried for a while, then acknowledged, never
 * published). A 404 on the re-read is the same: it confirms nothing.
 *
 * Key `paypal:<order id>:APPROVAL_REVERSED` — fixed rather than the order's status, so re-deliveries publish the
 * reversal once.
 */
export function payPalReversalToEvent(order: PayPalOrder, tiendaId: string): PaymentOutcome {
  if (order.status !== 'VOIDED' && order.status !== 'COMPLETED') {
    throw new ProviderNotFoundError(`PayPal order ${order.id} reads ${order.status}: the reversal is not confirmed`, {
      provider: 'paypal',
      resourceId: order.id,
    });
  }
  const unit = order.purchase_units?.[0];
  const data: PaymentData = paymentDataSchema.parse({
    provider: 'paypal',
    tienda_id: tiendaId,
    transaction_id: order.id,
    order_reference: unit?.custom_id ? unit.custom_id : null,
    amount: parseAmount(unit?.amount?.value),
    currency: unit?.amount?.currency_code ?? null,
    status: order.status,
    reason: 'PAYMENT_APPROVAL_REVERSED',
  });
  return {
    event: order.status === 'VOIDED' ? 'payment_failure' : null,
    data,
    idempotencyKey: `paypal:${order.id}:APPROVAL_REVERSED`,
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
    if (typeof orderId !== 'string' || orderId === '') {
      throw new MalformedPayloadError(`${event.event_type} without resource.order_id`, { provider: 'paypal' });
    }
    // A 404 propagates: an order PayPal does not know confirms no reversal.
    return payPalReversalToEvent(await deps.client.getOrder(orderId, deps.credentials), deps.tiendaId);
  }
  return null;
}

/** PayPal amounts are decimal strings ("12.34"). */
function parseAmount(value: string | null | undefined): number | null {
  if (typeof value !== 'string' || !/^\d+(\.\d+)?$/.test(value)) return null;
  return Number(value);
}
