import type { DocumentReference, Firestore } from '@google-cloud/firestore';
import type { Order, OrderStatus } from './order-model.js';

const ALREADY_EXISTS = 6;

/**
 * The composite indexes the order queries below need in production (the emulator needs none). Terraform declares
 * exactly these (`terraform/modules/firestore`), held against this list by tests/unit/terraform.test.ts.
 */
export const ORDER_INDEXES: ReadonlyArray<{ collection: string; fields: ReadonlyArray<readonly [field: string, order: 'ASCENDING']> }> = [
  { collection: 'orders', fields: [['live_key', 'ASCENDING'], ['alloc_pending', 'ASCENDING'], ['alloc_order', 'ASCENDING']] },
  { collection: 'orders', fields: [['live_key', 'ASCENDING'], ['waitlisted', 'ASCENDING'], ['alloc_order', 'ASCENDING']] },
  { collection: 'orders', fields: [['status', 'ASCENDING'], ['expires_at', 'ASCENDING']] },
  { collection: 'orders', fields: [['live_key', 'ASCENDING'], ['promoted', 'ASCENDING'], ['delivery_pending', 'ASCENDING']] },
  { collection: 'orders', fields: [['live_key', 'ASCENDING'], ['buyer.author_id', 'ASCENDING']] },
];

/**
 * Orders in Firestore (`orders/{order_id}`, docs/data-model.md). Creation is `create()` on an id derived from
 * the comment, so a redelivered comment finds its order instead of making a second one. Every later change is
 * a read-modify-write in a transaction on that one document (no contention: one order, few writers).
 */
export class OrderStore {
  constructor(private readonly db: Firestore) {}

  ref(orderId: string): DocumentReference {
    return this.db.collection('orders').doc(orderId);
  }

  /** Creates the order, or returns the one a previous delivery of the same comment created. */
  async createOnce(order: Order): Promise<{ created: boolean; order: Order }> {
    try {
      await this.ref(order.order_id).create(order);
      return { created: true, order };
    } catch (e) {
      if ((e as { code?: number }).code !== ALREADY_EXISTS) throw e;
      const existing = await this.get(order.order_id);
      if (!existing) throw new Error(`order ${order.order_id} exists and vanished`, { cause: e });
      return { created: false, order: existing };
    }
  }

  async get(orderId: string): Promise<Order | null> {
    const snap = await this.ref(orderId).get();
    return snap.exists ? (snap.data() as Order) : null;
  }

  /**
   * Applies `change` to the current order atomically. `change` returns the fields to write, or null to leave
   * it as it is (the transition does not apply to the state it found). Returns the order after the change.
   */
  async mutate(orderId: string, change: (order: Order) => Partial<Order> | null, now: () => number = Date.now): Promise<{ changed: boolean; order: Order | null }> {
    return this.db.runTransaction(async (tx) => {
      const snap = await tx.get(this.ref(orderId));
      if (!snap.exists) return { changed: false, order: null };
      const order = snap.data() as Order;
      const fields = change(order);
      if (!fields) return { changed: false, order };
      const update = { ...fields, updated_at: new Date(now()).toISOString() };
      tx.update(snap.ref, update);
      return { changed: true, order: { ...order, ...update } };
    });
  }

  /** Orders of a live the allocator has work on, first come first served. */
  async allocPending(liveKey: string, limit: number): Promise<Order[]> {
    const snap = await this.db.collection('orders').where('live_key', '==', liveKey).where('alloc_pending', '==', true).orderBy('alloc_order').limit(limit).get();
    return snap.docs.map((d) => d.data() as Order);
  }

  async waitlist(liveKey: string, limit: number): Promise<Order[]> {
    const snap = await this.db.collection('orders').where('live_key', '==', liveKey).where('waitlisted', '==', true).orderBy('alloc_order').limit(limit).get();
    return snap.docs.map((d) => d.data() as Order);
  }

  /** Reservations whose time ran out (`expires_at` ≤ now). */
  async overdue(nowIso: string, limit: number): Promise<Order[]> {
    const snap = await this.db.collection('orders').where('status', '==', 'pending_payment').where('expires_at', '<=', nowIso).orderBy('expires_at').limit(limit).get();
    return snap.docs.map((d) => d.data() as Order);
  }

  async byStatus(status: OrderStatus, limit: number): Promise<Order[]> {
    const snap = await this.db.collection('orders').where('status', '==', status).limit(limit).get();
    return snap.docs.map((d) => d.data() as Order);
  }

  /** Orders whose current state the buyer has not been told yet (a delivery that crashed or failed). */
  async deliveryPending(limit: number): Promise<Order[]> {
    const snap = await this.db.collection('orders').where('delivery_pending', '==', true).limit(limit).get();
    return snap.docs.map((d) => d.data() as Order);
  }

  /** Buyers of a live promoted from the waitlist who have not been told yet. */
  async waitlistPromotionsPendingDelivery(liveKey: string, limit: number): Promise<Order[]> {
    const snap = await this.db.collection('orders').where('live_key', '==', liveKey).where('promoted', '==', true).where('delivery_pending', '==', true).limit(limit).get();
    return snap.docs.map((d) => d.data() as Order);
  }

  /** Live keys that have buyers waiting (a restock or a release elsewhere may serve them). */
  async livesWithWaitlist(limit: number): Promise<string[]> {
    const snap = await this.db.collection('orders').where('waitlisted', '==', true).select('live_key').limit(limit).get();
    return [...new Set(snap.docs.map((d) => d.get('live_key') as string))];
  }

  /** A buyer's orders in a live (for "cancela lo mío"), newest first. */
  async buyerOrders(liveKey: string, authorId: string): Promise<Order[]> {
    const snap = await this.db.collection('orders').where('live_key', '==', liveKey).where('buyer.author_id', '==', authorId).get();
    return snap.docs.map((d) => d.data() as Order).sort((a, b) => b.alloc_order.localeCompare(a.alloc_order));
  }
}
