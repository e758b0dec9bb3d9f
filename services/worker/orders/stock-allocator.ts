import { randomUUID } from 'node:crypto';
import { Timestamp, type DocumentReference, type Firestore } from '@google-cloud/firestore';
import { getLogger } from '../../../shared/logging/logger.js';
import type { CatalogProduct } from '../intent/intent-types.js';
import { catalogUnits, unitsNeeded } from './catalog-stock.js';
import type { Order } from './order-model.js';
import type { OrderStore } from './order-store.js';

/**
 * The stock allocator of a live (ADR 0008): a claim queue with one decider.
 *
 * Each purchase is an order document created on its own (an uncontended `create()`), marked `alloc_pending`.
 * Whoever holds the live's allocation lock (a Firestore lease document) drains the pending orders of that live
 * in first-come-first-served order (`alloc_order`: Meta's comment time, then queue time) in one transaction per
 * round that reads the live's stock document and every order it decides. Only the lock holder writes stock, so
 * a burst of 50 "mía" on one variant costs one transaction, not 50 contending ones
 * (stock-allocation.md measured 3–10 of 50 units reserved when 200 transactions raced on one document).
 * Releases (expiry, failed payment, cancel) and late payments are decided by the same drain, so the waitlist
 * is served in order whenever stock comes back. Stock the merchant adds to the catalog is picked up as a delta
 * against what was declared before.
 */

export interface StockState {
  /** Units left to reserve, per stock unit. */
  available: Record<string, number>;
  /** The catalog's stock as last applied (a changed catalog applies the difference). */
  declared: Record<string, number>;
}

export interface DrainResult {
  status: 'done' | 'busy';
  /** Orders whose state the drain changed (the caller tells their buyers). */
  changed: Order[];
}

export interface AllocatorOptions {
  /** How long a lock holder may be silent before another instance takes over its lock. */
  lockLeaseMs?: number;
  /** Orders decided per transaction (Firestore allows 500 writes per commit). */
  batchSize?: number;
  /** Reservation time of a reserved order. */
  reservationMs: number;
  /**
   * How long the allocator lets the oldest new order wait before deciding, so comments that reach it within
   * that window are served in Meta's comment order rather than in arrival order. Default 300 ms.
   */
  gatherMs?: number;
  now?: () => number;
}

interface LiveRef {
  tienda_id: string;
  live_id: string;
  products: readonly CatalogProduct[];
}

const ALREADY_EXISTS = 6;
const FAILED_PRECONDITION = 9;
const NOT_FOUND = 5;

export class StockAllocator {
  private readonly leaseMs: number;
  private readonly batchSize: number;
  private readonly now: () => number;

  constructor(
    private readonly db: Firestore,
    private readonly orders: OrderStore,
    private readonly options: AllocatorOptions,
  ) {
    this.leaseMs = options.lockLeaseMs ?? 20_000;
    this.batchSize = Math.min(options.batchSize ?? 200, 240);
    this.now = options.now ?? Date.now;
    this.gatherMs = options.gatherMs ?? 300;
  }

  private readonly gatherMs: number;

  private allocationDoc(live: { tienda_id: string; live_id: string }, name: 'stock' | 'lock'): DocumentReference {
    return this.db.collection('tiendas').doc(live.tienda_id).collection('lives').doc(live.live_id).collection('allocation').doc(name);
  }

  /** The live's stock now (initialised from the catalog when no order touched it yet). */
  async stock(live: LiveRef): Promise<StockState> {
    const snap = await this.allocationDoc(live, 'stock').get();
    if (!snap.exists) {
      const units = catalogUnits(live.products);
      return { available: { ...units }, declared: units };
    }
    return applyCatalog(snap.data() as StockState, live.products).state;
  }

  /**
   * Decides every order of the live that waits for the allocator, if nobody else is doing it right now.
   * `busy`: another instance holds the lock and will decide them (callers poll their order and try again).
   */
  async drain(live: LiveRef): Promise<DrainResult> {
    const lockRef = this.allocationDoc(live, 'lock');
    const lock = await this.tryLock(lockRef);
    if (!lock) return { status: 'busy', changed: [] };
    const changed = new Map<string, Order>();
    const liveKey = `${live.tienda_id}/${live.live_id}`;
    try {
      let includeWaitlist = false;
      // Bounded: a holder that loops forever would starve nobody (the lease expires) but would overrun its push.
      for (let round = 0; round < 50; round++) {
        let pending = await this.orders.allocPending(liveKey, this.batchSize);
        const youngest = Math.max(0, ...pending.filter((o) => o.alloc_kind === 'reserve').map((o) => o.queued_at_ms ?? 0));
        const oldestNew = Math.min(...pending.filter((o) => o.alloc_kind === 'reserve').map((o) => o.queued_at_ms ?? 0));
        const wait = Number.isFinite(oldestNew) ? oldestNew + this.gatherMs - this.now() : 0;
        if (wait > 0 && youngest > 0) {
          // Let near-simultaneous comments gather, then decide them all in comment order.
          await new Promise((r) => setTimeout(r, Math.min(wait, this.gatherMs)));
          pending = await this.orders.allocPending(liveKey, this.batchSize);
        }
        if (pending.some((o) => o.alloc_kind === 'release')) includeWaitlist = true;
        const waiting = includeWaitlist ? await this.orders.waitlist(liveKey, this.batchSize) : [];
        if (pending.length === 0 && waiting.length === 0) break;
        const outcome = await this.decide(live, pending, waiting);
        for (const o of outcome.changed) changed.set(o.order_id, o);
        // Stock came back (a restock in the catalog, a release) and the waitlist was not read: read it next round.
        includeWaitlist = outcome.freed && !includeWaitlist;
        if (pending.length === 0 && !includeWaitlist) break;
        if (!(await this.renew(lockRef, lock))) break;
      }
    } finally {
      await lockRef.delete({ lastUpdateTime: lock.writeTime }).catch(() => undefined);
    }
    return { status: 'done', changed: [...changed.values()] };
  }

  private async decide(live: LiveRef, pending: Order[], waiting: Order[]): Promise<{ changed: Order[]; freed: boolean }> {
    const stockRef = this.allocationDoc(live, 'stock');
    const refs = [...pending, ...waiting].map((o) => this.orders.ref(o.order_id));
    return this.db.runTransaction(async (tx) => {
      const [stockSnap, ...snaps] = await tx.getAll(stockRef, ...refs);
      const nowMs = this.now();
      const nowIso = new Date(nowMs).toISOString();
      const base: StockState = stockSnap!.exists ? (stockSnap!.data() as StockState) : { available: {}, declared: {} };
      const { state, restocked } = applyCatalog(base, live.products);
      const available = state.available;
      let freed = restocked;
      const changed: Order[] = [];
      const write = (order: Order, fields: Partial<Order>) => {
        const update = { ...fields, delivery_pending: true, updated_at: nowIso };
        tx.update(this.orders.ref(order.order_id), update);
        changed.push({ ...order, ...update });
      };
      const fresh = snaps.filter((s) => s.exists).map((s) => s.data() as Order);
      const take = (order: Order): boolean => {
        const need = unitsNeeded(order.items);
        for (const [unit, n] of need) if ((available[unit] ?? 0) < n) return false;
        for (const [unit, n] of need) available[unit] = available[unit]! - n;
        return true;
      };

      // 1. Releases give stock back first, so the queue behind them sees it.
      for (const o of fresh) {
        if (!o.alloc_pending || o.alloc_kind !== 'release') continue;
        if (o.reserved) for (const [unit, n] of unitsNeeded(o.items)) available[unit] = (available[unit] ?? 0) + n;
        freed = freed || o.reserved;
        write(o, { status: o.release_to ?? 'expired', alloc_pending: false, alloc_kind: null, reserved: false, waitlisted: false });
      }
      // 2. A payment for a released order takes its stock back if it is still there; else a person refunds it.
      for (const o of fresh) {
        if (!o.alloc_pending || o.alloc_kind !== 'retake') continue;
        if (take(o)) write(o, { status: 'paid', alloc_pending: false, alloc_kind: null, reserved: true });
        else write(o, { status: 'needs_review', reason: 'paid_after_release_no_stock', alloc_pending: false, alloc_kind: null });
      }
      // 3. The queue, waitlisted and new together, in comment order. A unit one buyer could not get is closed
      //    to everyone behind them in this round (FIFO per unit: no later buyer jumps a waiting one).
      const queue = fresh
        .filter((o) => (o.alloc_pending && o.alloc_kind === 'reserve' && o.status === 'queued') || (o.waitlisted && o.status === 'waitlisted'))
        .sort((a, b) => a.alloc_order.localeCompare(b.alloc_order));
      const closed = new Set<string>();
      for (const o of queue) {
        const units = [...unitsNeeded(o.items).keys()];
        const blocked = units.some((u) => closed.has(u));
        if (!blocked && take(o)) {
          write(o, {
            status: 'pending_payment',
            alloc_pending: false,
            alloc_kind: null,
            waitlisted: false,
            reserved: true,
            promoted: o.status === 'waitlisted',
            reserved_at: nowIso,
            expires_at: new Date(nowMs + this.options.reservationMs).toISOString(),
          });
          continue;
        }
        for (const u of units) closed.add(u);
        if (o.status === 'queued') write(o, { status: 'waitlisted', alloc_pending: false, alloc_kind: null, waitlisted: true });
      }
      // Orders found pending in a state the allocator has nothing to do for (a concurrent change): clear the flag.
      for (const o of fresh) {
        if (o.alloc_pending && !changed.some((c) => c.order_id === o.order_id) && o.status !== 'queued') {
          tx.update(this.orders.ref(o.order_id), { alloc_pending: false, alloc_kind: null });
        }
      }
      tx.set(stockRef, { ...state, available, updated_at: Timestamp.fromMillis(nowMs) });
      return { changed, freed };
    });
  }

  private async tryLock(ref: DocumentReference): Promise<{ token: string; writeTime: Timestamp } | null> {
    const token = randomUUID();
    const fields = () => ({ token, lease_until: Timestamp.fromMillis(this.now() + this.leaseMs) });
    try {
      const w = await ref.create(fields());
      return { token, writeTime: w.writeTime };
    } catch (e) {
      if ((e as { code?: number }).code !== ALREADY_EXISTS) throw e;
    }
    const snap = await ref.get();
    if (snap.exists && (snap.get('lease_until') as Timestamp).toMillis() > this.now()) return null;
    try {
      const w = snap.exists ? await ref.update(fields(), { lastUpdateTime: snap.updateTime! }) : await ref.create(fields());
      getLogger().warn('took over an expired allocation lock', { lock: ref.path });
      return { token, writeTime: w.writeTime };
    } catch (e) {
      const c = (e as { code?: number }).code;
      if (c === FAILED_PRECONDITION || c === NOT_FOUND || c === ALREADY_EXISTS) return null;
      throw e;
    }
  }

  private async renew(ref: DocumentReference, lock: { token: string; writeTime: Timestamp }): Promise<boolean> {
    try {
      const w = await ref.update({ lease_until: Timestamp.fromMillis(this.now() + this.leaseMs) }, { lastUpdateTime: lock.writeTime });
      lock.writeTime = w.writeTime;
      return true;
    } catch {
      return false;
    }
  }
}

/** Applies the catalog's declared stock: a unit the merchant raised from 3 to 5 gets 2 more available. */
function applyCatalog(base: StockState, products: readonly CatalogProduct[]): { state: StockState; restocked: boolean } {
  const declaredNow = catalogUnits(products);
  const available = { ...base.available };
  const declared = { ...base.declared };
  let restocked = false;
  for (const [unit, stock] of Object.entries(declaredNow)) {
    const delta = stock - (declared[unit] ?? 0);
    if (delta === 0) continue;
    available[unit] = Math.max(0, (available[unit] ?? 0) + delta);
    declared[unit] = stock;
    if (delta > 0) restocked = true;
  }
  return { state: { available, declared }, restocked };
}
