import type { Firestore } from '@google-cloud/firestore';
import type { NotificationKind } from '../../../shared/events/event-schemas.js';
import { addLogContext } from '../../../shared/logging/log-context.js';
import { getLogger } from '../../../shared/logging/logger.js';
import type { Live } from '../../../shared/tiendas/live-store.js';
import type { StoredIntent } from '../handlers/ai-processing-handler.js';
import type { CommentRecord, CommentStore } from '../comments/comment-store.js';
import { availableVariants, resolveOrderItems } from './catalog-stock.js';
import * as text from './buyer-messages.js';
import { allocOrderKey, liveKey, orderIdFor, type Order, type OrderBuyer } from './order-model.js';
import type { OrderOutcomes } from './order-outcomes.js';
import type { OrderStore } from './order-store.js';
import type { StockAllocator } from './stock-allocator.js';

export interface OrderIntakeDeps {
  firestore: Firestore;
  orders: OrderStore;
  allocator: StockAllocator;
  outcomes: OrderOutcomes;
  comments: CommentStore;
  now?: () => number;
}

export type IntakeResult =
  | { action: 'order'; order: Order }
  | { action: 'clarification' | 'answer' | 'cancel' | 'nothing_to_cancel' | 'none' };

const ALREADY_EXISTS = 6;

/**
 * The order step after an intent is stored: a purchase becomes one order (reserved or waitlisted, with its
 * link), a cancel releases the buyer's unpaid order, a question is answered from the live's catalog, and what
 * cannot be ordered as asked is answered with what exists. Runs again safely on every redelivery.
 */
export class OrderIntake {
  private readonly now: () => number;

  constructor(private readonly deps: OrderIntakeDeps) {
    this.now = deps.now ?? Date.now;
  }

  async handle(intent: StoredIntent, live: Live): Promise<IntakeResult> {
    const comment = await this.commentOf(intent, live);
    const buyer: OrderBuyer = { platform: comment.platform, account_id: comment.account_id, author_id: comment.author_id, author_name: comment.author_name };
    switch (intent.result.intent) {
      case 'purchase':
        return this.purchase(intent, live, comment, buyer);
      case 'cancel':
        return this.cancel(intent, live, comment, buyer);
      case 'question':
        return this.answer(intent, live, comment, buyer);
      default:
        return { action: 'none' };
    }
  }

  private async purchase(intent: StoredIntent, live: Live, comment: CommentRecord, buyer: OrderBuyer): Promise<IntakeResult> {
    const resolved = resolveOrderItems(intent.result.items, live.products);
    if (!resolved.ok) {
      await this.reply(comment, live, buyer, 'clarification', 'clarification', text.clarificationText(resolved.problem, live.products, buyer.author_name));
      return { action: 'clarification' };
    }
    const tienda = await this.deps.outcomes.tienda(live.tienda_id);
    const nowMs = this.now();
    const nowIso = new Date(nowMs).toISOString();
    const orderId = orderIdFor(live.tienda_id, comment.comment_id);
    addLogContext({ order_id: orderId });
    const draft: Order = {
      order_id: orderId,
      tienda_id: live.tienda_id,
      live_id: live.live_id,
      live_key: liveKey(live.tienda_id, live.live_id),
      comment_id: comment.comment_id,
      comment_time: comment.created_time,
      buyer,
      items: resolved.items,
      total: roundMoney(resolved.items.reduce((n, i) => n + i.unit_price * i.quantity, 0)),
      currency: live.currency,
      provider: tienda.payment_provider,
      status: 'queued',
      alloc_order: allocOrderKey(comment.created_time, nowMs, comment.comment_id),
      queued_at_ms: nowMs,
      alloc_pending: true,
      alloc_kind: 'reserve',
      waitlisted: false,
      reserved: false,
      promoted: false,
      release_to: null,
      reason: null,
      reserved_at: null,
      expires_at: null,
      payment: null,
      paid_by: null,
      paid_amount: null,
      delivery_pending: true,
      created_at: nowIso,
      updated_at: nowIso,
    };
    const { order } = await this.deps.orders.createOnce(draft);
    // The live read at the start of this request is the allocator's catalog (one Firestore read fewer per purchase).
    const sameLive = order.tienda_id === live.tienda_id && order.live_id === live.live_id;
    const settled = await this.deps.outcomes.settleAndDeliver(order, sameLive ? live : undefined);
    getLogger().info('order', { order_id: settled.order_id, status: settled.status, items: settled.items.length, total: settled.total });
    return { action: 'order', order: settled };
  }

  /**
   * Releases the buyer's unpaid order in this live: the one whose product the comment names, else the latest.
   * The choice is recorded per comment first (`order_cancels/{comment_id}`), so a redelivered "cancela" never
   * cancels a second order.
   */
  private async cancel(intent: StoredIntent, live: Live, comment: CommentRecord, buyer: OrderBuyer): Promise<IntakeResult> {
    const choiceRef = this.deps.firestore.collection('order_cancels').doc(comment.comment_id);
    let orderId: string | null;
    const previous = await choiceRef.get();
    if (previous.exists) orderId = previous.get('order_id') as string | null;
    else {
      const open = buyer.author_id
        ? (await this.deps.orders.buyerOrders(liveKey(live.tienda_id, live.live_id), buyer.author_id)).filter((o) => ['pending_payment', 'waitlisted', 'queued'].includes(o.status))
        : [];
      const named = new Set(intent.result.items.map((i) => i.product));
      const target = open.find((o) => o.items.some((i) => named.has(i.product))) ?? open[0] ?? null;
      orderId = target?.order_id ?? null;
      try {
        await choiceRef.create({ order_id: orderId, at: new Date(this.now()).toISOString() });
      } catch (e) {
        if ((e as { code?: number }).code !== ALREADY_EXISTS) throw e;
        orderId = (await choiceRef.get()).get('order_id') as string | null;
      }
    }
    if (!orderId) {
      await this.reply(comment, live, buyer, 'nothing_to_cancel', 'info', text.noOrderToCancelText(buyer.author_name));
      return { action: 'nothing_to_cancel' };
    }
    const released = await this.deps.outcomes.release(orderId, 'cancelled', 'buyer_cancelled', ['pending_payment', 'waitlisted']);
    // A redelivery: the release happened before; make sure the buyer was told.
    if (!released) {
      const order = await this.deps.orders.get(orderId);
      if (order?.status === 'releasing') await this.deps.outcomes.settleAndDeliver(order);
      else if (order?.status === 'cancelled') await this.deps.outcomes.deliver(order);
    }
    return { action: 'cancel' };
  }

  /** Price / stock / size questions, answered from the live's catalog and what is left now. */
  private async answer(intent: StoredIntent, live: Live, comment: CommentRecord, buyer: OrderBuyer): Promise<IntakeResult> {
    const tienda = await this.deps.outcomes.tienda(live.tienda_id);
    const ctx = { country: tienda.country, currency: live.currency, tiendaName: tienda.name };
    const code = intent.result.items[0]?.product ?? productNamedIn(comment.text, live) ?? live.featured_product;
    const product = live.products.find((p) => p.code === code);
    let answer: string;
    if (product) {
      const stock = await this.deps.allocator.stock(live);
      answer = text.productAnswerText(product, availableVariants(product, stock.available), ctx, buyer.author_name);
    } else answer = text.catalogOverviewText(live.products, ctx, buyer.author_name);
    await this.reply(comment, live, buyer, 'answer', 'question_answer', answer);
    return { action: 'answer' };
  }

  /** A message about a comment that became no order (one per comment and `what`). */
  private reply(comment: CommentRecord, live: Live, buyer: OrderBuyer, what: string, kind: NotificationKind, message: string): Promise<void> {
    return this.deps.outcomes.tell({
      notificationId: `${comment.comment_id}:${what}`,
      kind,
      text: message,
      tiendaId: live.tienda_id,
      liveId: live.live_id,
      commentId: comment.comment_id,
      buyer,
      orderId: null,
      paymentUrl: null,
      eventAt: comment.created_time,
    });
  }

  /**
   * The comment's record; for an `ai_processing` message that did not come through our comment handler (a
   * replay from another producer), the buyer is unknown but the page is the live's, and "now" stands in for
   * Meta's comment time.
   */
  private async commentOf(intent: StoredIntent, live: Live): Promise<CommentRecord> {
    const record = await this.deps.comments.get(intent.comment_id);
    if (record) return record;
    const tienda = await this.deps.outcomes.tienda(live.tienda_id);
    const account = live.platform === 'facebook' ? tienda.meta_page_id : tienda.instagram_account_id;
    const nowIso = new Date(this.now()).toISOString();
    getLogger().warn('no comment record for an intent; replying without the buyer id', { comment_id: intent.comment_id });
    return {
      comment_id: intent.comment_id,
      tienda_id: live.tienda_id,
      live_id: live.live_id,
      platform: live.platform,
      account_id: account ?? 'unknown',
      post_id: live.post_id,
      author_id: null,
      author_name: null,
      text: '',
      created_time: nowIso,
      received_at: nowIso,
    };
  }
}

const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

/** The product a question names by one of its keywords (the classifier gives questions no items). */
function productNamedIn(textOfComment: string, live: Live): string | null {
  const words = new Set(fold(textOfComment).split(/[^a-z0-9ñ]+/).filter(Boolean));
  const hit = live.products.find((p) => [...p.keywords, p.name.split(' ')[0]!].some((k) => words.has(fold(k))));
  return hit?.code ?? null;
}

/** Amounts stay in the currency's minor precision (no float drift in totals). */
function roundMoney(n: number): number {
  return Math.round(n * 100) / 100;
}
