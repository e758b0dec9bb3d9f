import type { AnalyticsSink } from '../../../shared/analytics/analytics-recorder.js';
import type { PaymentEvent } from '../../../shared/events/event-schemas.js';
import { addLogContext } from '../../../shared/logging/log-context.js';
import { getLogger } from '../../../shared/logging/logger.js';
import { PermanentError } from '../../../shared/pubsub/handler-errors.js';
import type { Order } from './order-model.js';
import type { OrderOutcomes } from './order-outcomes.js';
import type { OrderStore } from './order-store.js';

export interface PaymentSettlementDeps {
  orders: OrderStore;
  outcomes: OrderOutcomes;
  analytics: AnalyticsSink;
  now?: () => number;
}

export type SettlementResult = 'paid' | 'needs_review' | 'retaking' | 'released' | 'duplicate' | 'ignored';

/** Amounts match when they agree to the cent (providers echo what we sent; CLP is whole). */
function sameAmount(a: number, b: number): boolean {
  return Math.abs(a - b) < 0.005;
}

/**
 * `payment_events` → the order (`POST /pubsub/payment-events`). Payment states were re-read at the provider by
 * the ingress (or the reconciliation job), and each state arrives once per key; the order transitions are
 * still guarded by the order's own state, so a redelivery changes nothing:
 * - success on a pending order → paid; on a paid order with the same transaction → nothing; with another → review;
 * - an amount or currency that differs from the order → needs_review, never silently paid;
 * - success on an order whose reservation was released → the allocator re-takes the stock, or review (refund);
 * - failure on a pending order → released as failed (the waitlist is served).
 */
export async function settlePayment(event: PaymentEvent, deps: PaymentSettlementDeps): Promise<SettlementResult> {
  const p = event.data;
  const now = deps.now ?? Date.now;
  addLogContext({ tienda_id: p.tienda_id, ...(p.order_reference ? { order_id: p.order_reference } : {}) });
  if (!p.order_reference) throw new PermanentError(`${p.provider} payment ${p.transaction_id} names no order`, 'no_order_reference');
  const order = await deps.orders.get(p.order_reference);
  if (!order || order.tienda_id !== p.tienda_id) {
    throw new PermanentError(`${p.provider} payment ${p.transaction_id} names order ${p.order_reference}, which tienda ${p.tienda_id} does not have`, 'unknown_order');
  }
  await deps.analytics.record('payments', `payment:${p.provider}:${p.transaction_id}:${event.event}:${p.status}`, {
    provider: p.provider,
    transaction_id: p.transaction_id,
    tienda_id: p.tienda_id,
    live_id: order.live_id,
    order_id: order.order_id,
    event: event.event,
    status: p.status,
    reason: p.reason,
    amount: p.amount,
    currency: p.currency,
    created_at: new Date(now()).toISOString(),
  });

  if (event.event === 'payment_failure') {
    const released = await deps.outcomes.release(order.order_id, 'failed', `payment_failed: ${p.reason ?? p.status}`.slice(0, 300), ['pending_payment']);
    if (released) return 'released';
    const current = await deps.orders.get(order.order_id);
    if (current?.status === 'releasing') await deps.outcomes.settleAndDeliver(current);
    return 'ignored';
  }

  const paidBy = `${p.provider}:${p.transaction_id}`;
  const matches = p.amount !== null && p.currency !== null && sameAmount(p.amount, order.total) && p.currency.toUpperCase() === order.currency.toUpperCase();
  let result: SettlementResult = 'duplicate';
  const { order: after } = await deps.orders.mutate(
    order.order_id,
    (o): Partial<Order> | null => {
      const paid = { paid_by: paidBy, paid_amount: p.amount, delivery_pending: true };
      if (o.paid_by === paidBy) return null; // this payment was applied before
      if (o.status === 'paid' || o.status === 'needs_review' || o.status === 'retaking') {
        result = 'needs_review';
        return { status: 'needs_review', reason: o.status === 'paid' ? 'second_payment' : (o.reason ?? 'second_payment'), delivery_pending: true };
      }
      if (!matches) {
        result = 'needs_review';
        // The stock stays reserved for whoever reviews it; a release in flight is called off.
        return { ...paid, status: 'needs_review', reason: p.amount === null || p.currency === null ? 'amount_unknown' : 'amount_mismatch', alloc_pending: false, alloc_kind: null, release_to: null, waitlisted: false };
      }
      switch (o.status) {
        case 'pending_payment':
          result = 'paid';
          return { ...paid, status: 'paid' };
        case 'releasing':
          // Paid before the allocator gave the stock back: keep it.
          result = 'paid';
          return { ...paid, status: 'paid', alloc_pending: false, alloc_kind: null, release_to: null };
        case 'expired':
        case 'cancelled':
        case 'failed':
          result = 'retaking';
          return { ...paid, status: 'retaking', alloc_pending: true, alloc_kind: 'retake' };
        default:
          // queued / waitlisted: no link was ever sent for it, a person must look.
          result = 'needs_review';
          return { ...paid, status: 'needs_review', reason: 'paid_without_reservation', alloc_pending: false, alloc_kind: null, waitlisted: false };
      }
    },
    now,
  );
  if (!after) throw new Error(`order ${order.order_id} vanished`);
  getLogger().info('payment applied', { order_id: order.order_id, result, status: after.status });
  if (after.status === 'retaking') {
    const settled = await deps.outcomes.settleAndDeliver(after);
    return settled.status === 'paid' ? 'paid' : 'needs_review';
  }
  // Also on a duplicate: the buyer may not have been told yet (a crash after the transition).
  if (after.delivery_pending) await deps.outcomes.deliver(after);
  return result;
}
