import type { AnalyticsSink } from '../../../shared/analytics/analytics-recorder.js';
import { NOTIFICATION_DELIVERY_SCHEMA_VERSION, type NotificationDeliveryV1, type NotificationKind } from '../../../shared/events/event-schemas.js';
import type { IdempotencyStore } from '../../../shared/idempotency/idempotency-store.js';
import { publishOnce } from '../../../shared/idempotency/publish-once.js';
import { idempotencyKeys } from '../../../shared/events/idempotency-keys.js';
import { getLogger } from '../../../shared/logging/logger.js';
import { TransientError } from '../../../shared/pubsub/handler-errors.js';
import type { Publisher } from '../../../shared/pubsub/publisher.js';
import type { Live, LiveStore } from '../../../shared/tiendas/live-store.js';
import type { Tienda, TiendaStore } from '../../../shared/tiendas/tienda-store.js';
import { TOPIC_NAMES } from '../../../shared/topology/topology.js';
import { liveCatalog } from '../handlers/ai-processing-handler.js';
import * as text from './buyer-messages.js';
import type { Order, OrderBuyer, ReleaseTarget } from './order-model.js';
import type { OrderStore } from './order-store.js';
import { isLinkRefusal, type PaymentLinkPort } from './payment-link-port.js';
import type { StockAllocator } from './stock-allocator.js';

export interface OrderOutcomeDeps {
  orders: OrderStore;
  allocator: StockAllocator;
  tiendas: TiendaStore;
  lives: LiveStore;
  links: PaymentLinkPort;
  publisher: Publisher;
  idempotency: IdempotencyStore;
  analytics: AnalyticsSink;
  /** How long a handler waits for the allocator to decide its order before it retries later. */
  allocationWaitMs: number;
  now?: () => number;
}

/** One message to a buyer, about a comment (and the order it became, if any). */
export interface BuyerMessage {
  notificationId: string;
  kind: NotificationKind;
  text: string;
  tiendaId: string;
  liveId: string | null;
  commentId: string;
  buyer: OrderBuyer;
  orderId: string | null;
  paymentUrl: string | null;
  eventAt: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Turns order states into their effects: waits for the allocator, creates the payment link, tells the buyer,
 * streams the order row. Every effect is idempotent (link by order id at the provider, message by notification
 * id, row by insertId), so any caller — the comment's own handler, a payment, a job's sweep — may run it again.
 */
export class OrderOutcomes {
  private readonly now: () => number;

  constructor(private readonly deps: OrderOutcomeDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Drains the live until `orderId` is decided (or the wait runs out → transient: the message retries). `known` is
   * the live as the caller read it in this same request (the order step has it): no second read of the same document.
   */
  async settle(order: Order, known?: Live): Promise<Order> {
    const live = known ? liveCatalog(known) : await this.liveCatalog(order);
    const deadline = this.now() + this.deps.allocationWaitMs;
    let pause = 25;
    let tryLock = true;
    for (;;) {
      // While another instance holds the lock, its drain decides this order too: only poll the order (one read),
      // and try the lock again every other round in case the holder finished before this order was queued.
      const result = tryLock ? await this.deps.allocator.drain(live) : { status: 'busy' as const };
      const current = await this.deps.orders.get(order.order_id);
      if (!current) throw new Error(`order ${order.order_id} vanished`);
      if (!current.alloc_pending) return current;
      if (this.now() > deadline) throw new TransientError(`the allocator did not decide order ${order.order_id} in time`, 'allocation_pending');
      if (result.status === 'busy') {
        await sleep(pause);
        pause = Math.min(pause * 2, 400);
        tryLock = !tryLock;
      } else tryLock = true;
    }
  }

  /**
   * Marks an order for release (expiry, failed payment, cancel, refused link) from one of `from`, lets the
   * allocator give its stock back to the waitlist, and tells every buyer whose order changed. Returns the
   * released order's state after the drain, or null when it was not in a releasable state.
   */
  async release(orderId: string, target: ReleaseTarget, reason: string | null, from: Order['status'][]): Promise<Order | null> {
    const { changed, order } = await this.deps.orders.mutate(
      orderId,
      (o) => {
        if (!from.includes(o.status)) return null;
        // A waitlisted order holds no stock: it ends right here.
        if (o.status === 'waitlisted') return { status: target, waitlisted: false, reason, delivery_pending: true };
        if (o.status === 'queued') return null;
        return { status: 'releasing', release_to: target, reason, alloc_pending: true, alloc_kind: 'release' };
      },
      this.now,
    );
    if (!changed || !order) return null;
    return this.settleAndDeliver(order);
  }

  /** Settles an order the allocator has work on, then delivers it and everyone else the drain changed. */
  async settleAndDeliver(order: Order, known?: Live): Promise<Order> {
    const settled = order.alloc_pending ? await this.settle(order, known) : order;
    await this.deliver(settled);
    // Buyers promoted from the waitlist by this release: told here; a failure leaves them to the sweep.
    const others = await this.deps.orders.waitlistPromotionsPendingDelivery(order.live_key, 50);
    for (const o of others) {
      if (o.order_id === order.order_id) continue;
      await this.deliver(o).catch((e) => getLogger().warn('could not tell a promoted buyer yet (the expiry job retries)', { order_id: o.order_id, error: e }));
    }
    return (await this.deps.orders.get(order.order_id)) ?? settled;
  }

  /** Creates the link where needed and tells the buyer the order's current state (once per state). */
  async deliver(order: Order): Promise<void> {
    const tienda = await this.tienda(order.tienda_id);
    const ctx = { country: tienda.country, currency: order.currency, tiendaName: tienda.name };
    let current = order;
    if (current.status === 'pending_payment' && !current.payment) {
      const linked = await this.createLink(current);
      if (!linked) return; // refused: the order was released as failed and delivered by release()
      current = linked;
    }
    const nowMs = this.now();
    const message = ((): { kind: NotificationKind; text: string; eventAt: string } | null => {
      switch (current.status) {
        case 'pending_payment':
          return { kind: current.promoted ? 'waitlist_promoted' : 'payment_link', text: text.paymentLinkText(current, ctx, nowMs), eventAt: current.promoted ? current.reserved_at! : current.comment_time };
        case 'waitlisted':
          return { kind: 'waitlisted', text: text.waitlistedText(current), eventAt: current.comment_time };
        case 'paid':
          return { kind: 'payment_confirmed', text: text.paidText(current, ctx), eventAt: current.updated_at };
        case 'expired':
          return { kind: 'order_expired', text: text.expiredText(current), eventAt: current.expires_at ?? current.updated_at };
        case 'cancelled':
          return { kind: 'order_cancelled', text: text.cancelledText(current), eventAt: current.updated_at };
        case 'failed':
          return current.reason?.startsWith('payment_link')
            ? { kind: 'order_failed', text: text.orderFailedText(current), eventAt: current.updated_at }
            : { kind: 'payment_failed', text: text.paymentFailedText(current), eventAt: current.updated_at };
        case 'needs_review':
          return { kind: 'needs_review', text: text.needsReviewText(current), eventAt: current.updated_at };
        default:
          return null; // queued / releasing / retaking: the allocator has not decided yet
      }
    })();
    if (!message) return;
    await this.tell({
      notificationId: `${current.order_id}:${message.kind}`,
      kind: message.kind,
      text: message.text,
      tiendaId: current.tienda_id,
      liveId: current.live_id,
      commentId: current.comment_id,
      buyer: current.buyer,
      orderId: current.order_id,
      paymentUrl: message.kind === 'payment_link' || message.kind === 'waitlist_promoted' ? current.payment!.url : null,
      eventAt: message.eventAt,
    });
    await this.deps.analytics.record('orders', `order:${current.order_id}:${current.status}`, {
      order_id: current.order_id,
      tienda_id: current.tienda_id,
      live_id: current.live_id,
      comment_id: current.comment_id,
      platform: current.buyer.platform,
      status: current.status,
      items: current.items.map((i) => ({ product: i.product, color: i.color, size: i.size, quantity: i.quantity, unit_price: i.unit_price })),
      total_amount: current.total,
      currency: current.currency,
      payment_provider: current.provider,
      created_at: new Date(nowMs).toISOString(),
    });
    const delivered = current.status;
    await this.deps.orders.mutate(current.order_id, (o) => (o.status === delivered && o.delivery_pending ? { delivery_pending: false } : null), this.now);
  }

  /** Publishes one `notification_delivery` for a message, once per notification id. */
  async tell(m: BuyerMessage): Promise<void> {
    const payload: NotificationDeliveryV1 = {
      schema_version: NOTIFICATION_DELIVERY_SCHEMA_VERSION,
      notification_id: m.notificationId,
      tienda_id: m.tiendaId,
      live_id: m.liveId,
      platform: m.buyer.platform,
      account_id: m.buyer.account_id,
      comment_id: m.commentId,
      author_id: m.buyer.author_id,
      author_name: m.buyer.author_name,
      kind: m.kind,
      text: m.text.slice(0, 2000),
      order_id: m.orderId,
      payment_url: m.paymentUrl,
      event_at: m.eventAt,
    };
    await publishOnce(
      [
        {
          topic: TOPIC_NAMES.notificationDelivery,
          payload,
          event: 'notification_delivery',
          key: idempotencyKeys.notificationPublish(m.notificationId),
          tiendaId: m.tiendaId,
          schemaVersion: NOTIFICATION_DELIVERY_SCHEMA_VERSION,
        },
      ],
      this.deps,
    );
  }

  private async createLink(order: Order): Promise<Order | null> {
    let link;
    try {
      link = await this.deps.links.create({
        orderId: order.order_id,
        tiendaId: order.tienda_id,
        provider: order.provider,
        currency: order.currency,
        items: order.items.map((i) => ({ code: i.product, title: text.describeItem({ ...i, quantity: 1 }), quantity: i.quantity, unitPrice: i.unit_price })),
        total: order.total,
        expiresAt: new Date(order.expires_at!),
        buyerName: order.buyer.author_name,
      });
    } catch (e) {
      if (!isLinkRefusal(e)) throw e; // 5xx, 429, timeouts: the message retries on the schedule
      getLogger().error('payment link refused; the order fails', { order_id: order.order_id, reason: e.reason ?? e.message });
      await this.release(order.order_id, 'failed', `payment_link_refused: ${e.reason ?? e.message}`.slice(0, 300), ['pending_payment']);
      return null;
    }
    const { order: updated } = await this.deps.orders.mutate(
      order.order_id,
      (o) => (o.payment ? null : { payment: { provider: link.provider, url: link.url, ref: link.providerRef, created_at: new Date(this.now()).toISOString() } }),
      this.now,
    );
    if (!updated) throw new Error(`order ${order.order_id} vanished`);
    return updated;
  }

  /** The tienda (TiendaStore caches it briefly and bounds the cache). */
  async tienda(id: string): Promise<Tienda> {
    const t = await this.deps.tiendas.get(id);
    if (!t) throw new TransientError(`tienda ${id} not found`, 'tienda_not_found');
    return t;
  }

  async liveCatalog(order: Pick<Order, 'tienda_id' | 'live_id'>) {
    const live = await this.deps.lives.get(order.tienda_id, order.live_id);
    if (!live) throw new TransientError(`live ${order.tienda_id}/${order.live_id} not found`, 'live_not_found');
    return liveCatalog(live);
  }
}
