import type { IdempotencyStore } from '../../../shared/idempotency/idempotency-store.js';
import { publishOnce } from '../../../shared/idempotency/publish-once.js';
import { getLogger } from '../../../shared/logging/logger.js';
import type { Publisher } from '../../../shared/pubsub/publisher.js';
import { TOPIC_NAMES } from '../../../shared/topology/topology.js';
import type { Order } from './order-model.js';
import type { OrderOutcomes } from './order-outcomes.js';
import type { OrderStore } from './order-store.js';
import type { StockAllocator } from './stock-allocator.js';
import type { PaymentStatusPort } from './payment-link-port.js';

export interface OrderJobDeps {
  orders: OrderStore;
  allocator: StockAllocator;
  outcomes: OrderOutcomes;
  payments: PaymentStatusPort;
  publisher: Publisher;
  idempotency: IdempotencyStore;
  now?: () => number;
  /** Orders handled per run (Cloud Scheduler calls again on the next tick). */
  batchSize?: number;
  /** A delivery still pending this long after the order last changed was abandoned by its handler. */
  deliveryGraceMs?: number;
  /**
   * Work budget of one run, below the worker's request timeout (120 s) and Scheduler's attempt deadline: a run
   * stops taking new orders past it and reports `truncated`; the next tick goes on. Default 60 s.
   */
  runBudgetMs?: number;
}

export interface ExpireSummary {
  expired: number;
  redelivered: number;
  livesDrained: number;
  errors: number;
  truncated: boolean;
}

export interface ReconcileSummary {
  checked: number;
  published: number;
  duplicates: number;
  errors: number;
  truncated: boolean;
}

/**
 * The two Cloud Scheduler jobs (`POST /jobs/expire-reservations`, `POST /jobs/reconcile-payments` on the worker).
 * Both are safe to run concurrently with themselves and with the push handlers: every order change is a guarded
 * transition, stock moves only inside the allocator, and reconciliation publishes through the same idempotency
 * keys as the ingress.
 */
export class OrderJobs {
  private readonly now: () => number;
  private readonly batch: number;

  constructor(private readonly deps: OrderJobDeps) {
    this.now = deps.now ?? Date.now;
    this.batch = deps.batchSize ?? 200;
  }

  /** Overdue reservations → released and their buyers told; abandoned deliveries finished; waitlists served. */
  async expireReservations(): Promise<ExpireSummary> {
    const summary: ExpireSummary = { expired: 0, redelivered: 0, livesDrained: 0, errors: 0, truncated: false };
    const log = getLogger();
    const over = this.budget(summary);
    for (const o of await this.deps.orders.overdue(new Date(this.now()).toISOString(), this.batch)) {
      if (over()) break;
      try {
        const released = await this.deps.outcomes.release(o.order_id, 'expired', 'reservation_expired', ['pending_payment']);
        if (released) summary.expired++;
      } catch (e) {
        summary.errors++;
        log.warn('could not expire an order yet', { order_id: o.order_id, error: e });
      }
    }
    // Stock the merchant added to the catalog, or a release whose drain was cut short: serve the waitlists.
    for (const key of await this.deps.orders.livesWithWaitlist(this.batch)) {
      if (over()) break;
      const [tienda_id, live_id] = key.split('/') as [string, string];
      try {
        const live = await this.deps.outcomes.liveCatalog({ tienda_id, live_id });
        const result = await this.deps.allocator.drain(live);
        if (result.status === 'done') summary.livesDrained++;
      } catch (e) {
        summary.errors++;
        log.warn('could not drain a live with a waitlist', { live: key, error: e });
      }
    }
    const graceIso = new Date(this.now() - (this.deps.deliveryGraceMs ?? 30_000)).toISOString();
    for (const o of await this.deps.orders.deliveryPending(this.batch)) {
      if (over()) break;
      if (o.updated_at > graceIso) continue; // its own handler is probably still on it
      try {
        if (o.alloc_pending) await this.deps.outcomes.settleAndDeliver(o);
        else await this.deps.outcomes.deliver(o);
        summary.redelivered++;
      } catch (e) {
        summary.errors++;
        log.warn('could not deliver an order outcome yet', { order_id: o.order_id, error: e });
      }
    }
    return summary;
  }

  /**
   * Re-reads unpaid orders at their provider and publishes what the webhooks missed, through `payment_events`
   * with the ingress's keys: the consumer settles it once, and a webhook arriving later is a duplicate.
   */
  async reconcilePayments(): Promise<ReconcileSummary> {
    const summary: ReconcileSummary = { checked: 0, published: 0, duplicates: 0, errors: 0, truncated: false };
    const over = this.budget(summary);
    const candidates: Order[] = [
      ...(await this.deps.orders.byStatus('pending_payment', this.batch)),
      // A payment made just before expiry whose webhook never came still counts (re-taken or reviewed).
      ...(await this.deps.orders.byStatus('expired', this.batch)).filter((o) => Date.parse(o.updated_at) > this.now() - 24 * 3600_000),
    ].filter((o) => o.payment !== null);
    for (const o of candidates) {
      if (over()) break;
      summary.checked++;
      try {
        const found = await this.deps.payments.find({ tiendaId: o.tienda_id, provider: o.provider, orderId: o.order_id, providerRef: o.payment!.ref });
        if (!found?.event) continue;
        const r = await publishOnce(
          [
            {
              topic: TOPIC_NAMES.paymentEvents,
              key: found.idempotencyKey,
              event: found.event,
              tiendaId: o.tienda_id,
              schemaVersion: '1.0',
              payload: { event: found.event, timestamp: new Date(this.now()).toISOString(), data: found.data },
            },
          ],
          this.deps,
        );
        summary.published += r.published;
        summary.duplicates += r.duplicates;
      } catch (e) {
        summary.errors++;
        getLogger().warn('could not reconcile an order yet', { order_id: o.order_id, error: e });
      }
    }
    return summary;
  }

  /** A check that turns true (and marks the summary truncated) once the run's budget is spent. */
  private budget(summary: { truncated: boolean }): () => boolean {
    const until = Date.now() + (this.deps.runBudgetMs ?? 60_000);
    return () => (Date.now() > until ? (summary.truncated = true) : false);
  }
}
