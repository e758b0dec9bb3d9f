import { createHash } from 'node:crypto';
import type { PaymentProvider } from '../../../shared/events/event-schemas.js';

/**
 * An order: what one purchase comment became. States and transitions (docs/data-model.md):
 *
 *   queued ──allocator──► pending_payment ──payment_success──► paid
 *      │                      │  ├─ expiry / payment_failure / cancel / link refused ─► releasing ─allocator─► expired | failed | cancelled
 *      └──► waitlisted ───────┘  (promoted when stock comes back)
 *   waitlisted ── cancel ──► cancelled
 *   paid for an order that was released ─► retaking ─allocator─► paid | needs_review (no stock left: refund)
 *   amount / currency mismatch, a second payment ─► needs_review
 *
 * Only the allocator (one per live at a time) moves stock; every other writer marks an order for it
 * (`alloc_pending`) and lets it decide, so stock is never written concurrently.
 */
export const ORDER_STATUSES = [
  'queued',
  'waitlisted',
  'pending_payment',
  'releasing',
  'retaking',
  'paid',
  'expired',
  'cancelled',
  'failed',
  'needs_review',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** What a release ends in. */
export type ReleaseTarget = 'expired' | 'cancelled' | 'failed';

/** What the allocator must do with an order it finds pending. */
export type AllocKind = 'reserve' | 'release' | 'retake';

export interface OrderItem {
  product: string;
  name: string;
  color: string | null;
  size: string | null;
  quantity: number;
  unit_price: number;
  /** The stock unit it takes from (see catalog-stock.ts). */
  unit: string;
}

export interface OrderPayment {
  provider: PaymentProvider;
  url: string;
  /** MP preference id, Flow token, PayPal order id. */
  ref: string;
  created_at: string;
}

export interface OrderBuyer {
  platform: 'facebook' | 'instagram';
  /** Page id or IG account id the comment was made on (replies are sent from it). */
  account_id: string;
  author_id: string | null;
  author_name: string | null;
}

export interface Order {
  order_id: string;
  tienda_id: string;
  live_id: string;
  /** `<tienda>/<live>`: the allocator's unit of serialisation. */
  live_key: string;
  comment_id: string;
  /** Meta's comment time (ISO), the first-come-first-served key. */
  comment_time: string;
  buyer: OrderBuyer;
  items: OrderItem[];
  total: number;
  currency: string;
  provider: PaymentProvider;
  status: OrderStatus;
  /** Sort key of first come, first served: comment time, then the time the order was queued, then comment id. */
  alloc_order: string;
  /** When the order was queued for the allocator (ms since epoch). */
  queued_at_ms: number;
  /** The allocator has work on this order (`alloc_kind`). */
  alloc_pending: boolean;
  alloc_kind: AllocKind | null;
  /** In the waitlist of its stock units. */
  waitlisted: boolean;
  /** Holds stock right now (pending_payment, paid, needs_review after a reservation). */
  reserved: boolean;
  /** Got its reservation from the waitlist (the buyer is told "se liberó"). */
  promoted: boolean;
  release_to: ReleaseTarget | null;
  /** Why the order failed / needs review (machine-readable). */
  reason: string | null;
  reserved_at: string | null;
  expires_at: string | null;
  payment: OrderPayment | null;
  /** The payment that settled it: `<provider>:<transaction id>`. */
  paid_by: string | null;
  paid_amount: number | null;
  /** Its current state has not been told to the buyer yet (cleared by the delivery step). */
  delivery_pending: boolean;
  created_at: string;
  updated_at: string;
}

/** Terminal states: nothing moves them any more (except a late payment, which re-takes the stock). */
export const RELEASED_STATES: readonly OrderStatus[] = ['expired', 'cancelled', 'failed'];

/** One order per comment, whatever the redeliveries: its id is derived from the comment. */
export function orderIdFor(tiendaId: string, commentId: string): string {
  return `o_${createHash('sha256').update(`${tiendaId}\n${commentId}`).digest('hex').slice(0, 24)}`;
}

export function liveKey(tiendaId: string, liveId: string): string {
  return `${tiendaId}/${liveId}`;
}

/** First come, first served: Meta's comment time, then when we queued it (ms), then the comment id. */
export function allocOrderKey(commentTimeIso: string, queuedAtMs: number, commentId: string): string {
  return `${new Date(commentTimeIso).toISOString()}|${String(queuedAtMs).padStart(15, '0')}|${commentId}`;
}
