import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotificationDeliveryV1 } from '../../shared/events/event-schemas.js';
import { TOPIC_NAMES } from '../../shared/topology/topology.js';
import type { LiveInput } from '../../shared/tiendas/live-store.js';
import { createOrderParts } from '../../services/worker/app.js';
import type { StoredIntent } from '../../services/worker/handlers/ai-processing-handler.js';
import type { Order } from '../../services/worker/orders/order-model.js';
import { DEMO_CATALOG, LIVE_POST, WORKER_TIENDA, startWorkerHarness, type WorkerHarness } from '../helpers/worker-harness.js';
import { waitUntil } from '../helpers/test-kit.js';

const PRODUCTS: LiveInput['products'] = [
  {
    code: '201',
    name: 'Polera estampada',
    keywords: ['polera'],
    price: 12990,
    variants: { color: ['roja', 'azul'], size: ['S', 'M'] },
    variant_stock: [
      { color: 'roja', size: 'M', stock: 3 },
      { color: 'roja', size: 'S', stock: 10 },
      { color: 'azul', size: 'M', stock: 10 },
    ],
  },
  { code: '202', name: 'Aros de plata', keywords: ['aros'], price: 7990, variants: {}, stock: 5 },
];

const BASE = Date.parse('2026-11-30T22:00:00.000Z');

/** 50 viewers typing "quiero la roja M" in the same second, each one second of comment time apart. */
function buyer(i: number) {
  return { id: `burst-${String(i).padStart(2, '0')}`, author: `u-${i}`, name: `Compradora ${i}`, at: new Date(BASE + i * 1000).toISOString() };
}

describe('orders: a burst on a variant with stock 3, on the emulators', () => {
  let h: WorkerHarness;
  let clockOffset = 0;
  beforeAll(async () => {
    h = await startWorkerHarness({ products: PRODUCTS, allocationGatherMs: 500, now: () => Date.now() + clockOffset });
  });
  afterAll(() => h.close());

  const ordersOfLive = async (): Promise<Order[]> =>
    (await h.firestore.collection('orders').where('live_key', '==', `${WORKER_TIENDA.id}/${DEMO_CATALOG.live_id}`).get()).docs.map((d) => d.data() as Order);
  const notes = () => h.notifications.messages.map((m) => m.json<NotificationDeliveryV1>());
  const stockLeft = async (unit: string) =>
    ((await h.firestore.doc(`tiendas/${WORKER_TIENDA.id}/lives/${DEMO_CATALOG.live_id}/allocation/stock`).get()).get('available') as Record<string, number>)[unit];

  it('50 concurrent purchases → exactly 3 reservations with links for the earliest comments, 47 waitlisted, stock never negative', async () => {
    const parts = createOrderParts(h.deps);
    const live = (await h.deps.lives.get(WORKER_TIENDA.id, DEMO_CATALOG.live_id))!;
    const buyers = Array.from({ length: 50 }, (_, i) => buyer(i));
    await Promise.all(
      buyers.map((b) =>
        parts.comments.save({
          comment_id: b.id,
          tienda_id: WORKER_TIENDA.id,
          live_id: live.live_id,
          platform: 'facebook',
          account_id: WORKER_TIENDA.meta_page_id,
          post_id: LIVE_POST,
          author_id: b.author,
          author_name: b.name,
          text: 'quiero la roja M',
          created_time: b.at,
          received_at: b.at,
        }),
      ),
    );
    const intent = (commentId: string): StoredIntent =>
      ({
        comment_id: commentId,
        tienda_id: WORKER_TIENDA.id,
        live_id: live.live_id,
        result: { intent: 'purchase', items: [{ product: '201', color: 'roja', size: 'M', quantity: 1 }], confidence: 0.95, source: 'local' },
        fallbackReason: null,
        latencyMs: 1,
      }) as unknown as StoredIntent;
    // All at once, in an order unrelated to the comment times: the allocator must still serve comment order.
    const shuffled = [...buyers].sort((a, b) => (a.author.length * 7 + Number(a.author.slice(2)) * 13) % 50 - ((b.author.length * 7 + Number(b.author.slice(2)) * 13) % 50));
    const results = await Promise.all(shuffled.map((b) => parts.intake.handle(intent(b.id), live)));
    expect(results.every((r) => r.action === 'order')).toBe(true);

    const orders = await ordersOfLive();
    expect(orders).toHaveLength(50);
    const reserved = orders.filter((o) => o.status === 'pending_payment');
    const waitlisted = orders.filter((o) => o.status === 'waitlisted');
    expect(reserved).toHaveLength(3);
    expect(waitlisted).toHaveLength(47);
    expect(reserved.map((o) => o.comment_id).sort()).toEqual(['burst-00', 'burst-01', 'burst-02']);
    for (const o of reserved) {
      expect(o.payment?.url).toMatch(/^https?:\/\//);
      expect(o.total).toBe(12990);
      expect(o.expires_at).not.toBeNull();
    }
    expect(await stockLeft('201:roja:M')).toBe(0);
    expect(await stockLeft('201:roja:S')).toBe(10);
    // One preference per reserved order at the provider, keyed by the order id.
    expect([...h.mp.preferences.values()].map((p) => p.external_reference).sort()).toEqual(reserved.map((o) => o.order_id).sort());

    await waitUntil(() => notes().length >= 50, 20_000, '50 notifications');
    const kinds = notes().reduce<Record<string, number>>((n, m) => ({ ...n, [m.kind]: (n[m.kind] ?? 0) + 1 }), {});
    expect(kinds).toEqual({ payment_link: 3, waitlisted: 47 });
    const link = notes().find((m) => m.kind === 'payment_link' && m.comment_id === 'burst-00')!;
    expect(link).toMatchObject({ author_id: 'u-0', platform: 'facebook', account_id: WORKER_TIENDA.meta_page_id, event_at: buyer(0).at });
    expect(link.text).toContain('$12.990');
    expect(link.payment_url).toBe(reserved.find((o) => o.comment_id === 'burst-00')!.payment!.url);

    // Every handler run again on the same comment: no second order, link or notification.
    await Promise.all(buyers.slice(0, 10).map((b) => parts.intake.handle(intent(b.id), live)));
    expect(await ordersOfLive()).toHaveLength(50);
    expect(h.mp.preferences.size).toBe(3);
    await new Promise((r) => setTimeout(r, 1000));
    expect(notes()).toHaveLength(50);
  });

  it('reconciliation finds a payment whose webhook never came; two paid, the third expires → the first waitlisted buyer gets it', async () => {
    const reserved = (await ordersOfLive()).filter((o) => o.status === 'pending_payment').sort((a, b) => a.alloc_order.localeCompare(b.alloc_order));
    // Buyers 0 and 1 pay at Mercado Pago; no webhook reaches us.
    for (const o of reserved.slice(0, 2)) h.mp.payPreference(o.payment!.ref, 'approved');
    const res = await fetch(`${h.url}/jobs/reconcile-payments`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ checked: 3, published: 2, errors: 0 });
    await waitUntil(async () => (await ordersOfLive()).filter((o) => o.status === 'paid').length === 2, 20_000, 'two paid orders');

    // Run again: the paid orders are settled, the unpaid one has nothing new; nothing is published.
    const again = await (await fetch(`${h.url}/jobs/reconcile-payments`, { method: 'POST' })).json();
    expect(again).toMatchObject({ checked: 1, published: 0, errors: 0 });

    // The third reservation runs out (31 minutes later).
    clockOffset = 31 * 60_000;
    const expire = await (await fetch(`${h.url}/jobs/expire-reservations`, { method: 'POST' })).json();
    expect(expire).toMatchObject({ expired: 1, errors: 0 });
    const after = await ordersOfLive();
    expect(after.find((o) => o.comment_id === 'burst-02')!.status).toBe('expired');
    const promoted = after.filter((o) => o.status === 'pending_payment');
    expect(promoted.map((o) => o.comment_id)).toEqual(['burst-03']);
    expect(promoted[0]!.promoted).toBe(true);
    expect(promoted[0]!.payment?.url).toBeTruthy();
    expect(after.filter((o) => o.status === 'waitlisted')).toHaveLength(46);
    expect(await stockLeft('201:roja:M')).toBe(0);

    await waitUntil(() => notes().some((m) => m.kind === 'waitlist_promoted'), 20_000, 'the promotion message');
    await waitUntil(() => notes().filter((m) => m.kind === 'payment_confirmed').length === 2 && notes().some((m) => m.kind === 'order_expired'), 20_000, 'paid and expired messages');
    expect(notes().filter((m) => m.kind === 'waitlist_promoted').map((m) => m.comment_id)).toEqual(['burst-03']);
    expect(notes().find((m) => m.kind === 'order_expired')!.comment_id).toBe('burst-02');
    // Concurrent runs of both jobs change nothing more.
    const runs = await Promise.all([0, 1, 2].flatMap(() => ['expire-reservations', 'reconcile-payments'].map((j) => fetch(`${h.url}/jobs/${j}`, { method: 'POST' }).then((r) => r.json()))));
    expect(runs.every((r: { errors: number }) => r.errors === 0)).toBe(true);
    const final = await ordersOfLive();
    expect(final.filter((o) => o.status === 'paid')).toHaveLength(2);
    expect(final.filter((o) => o.status === 'pending_payment')).toHaveLength(1);
  });

  it('a payment_success delivered twice (a late webhook) leaves the order paid once, told once', async () => {
    const paid = (await ordersOfLive()).find((o) => o.status === 'paid')!;
    const mpPayment = [...h.mp.preferences.values()].find((p) => p.external_reference === paid.order_id)!;
    const before = notes().filter((m) => m.order_id === paid.order_id).length;
    const event = {
      event: 'payment_success',
      timestamp: new Date().toISOString(),
      data: { provider: 'mercadopago', tienda_id: WORKER_TIENDA.id, transaction_id: paid.paid_by!.split(':')[1]!, order_reference: paid.order_id, amount: paid.total, currency: 'CLP', status: 'approved', reason: null },
    };
    expect(mpPayment).toBeDefined();
    await h.publisher.publishJson(TOPIC_NAMES.paymentEvents, event, { event: 'payment_success', idempotencyKey: `x:${paid.order_id}`, schemaVersion: '1.0' });
    await new Promise((r) => setTimeout(r, 2500));
    const now = (await h.firestore.collection('orders').doc(paid.order_id).get()).data() as Order;
    expect(now.status).toBe('paid');
    expect(notes().filter((m) => m.order_id === paid.order_id)).toHaveLength(before);
  });

  it('an amount that differs from the order ends in needs_review, never paid', async () => {
    const open = (await ordersOfLive()).find((o) => o.status === 'pending_payment')!;
    const event = {
      event: 'payment_success',
      timestamp: new Date().toISOString(),
      data: { provider: 'mercadopago', tienda_id: WORKER_TIENDA.id, transaction_id: '990001', order_reference: open.order_id, amount: 100, currency: 'CLP', status: 'approved', reason: null },
    };
    await h.publisher.publishJson(TOPIC_NAMES.paymentEvents, event, { event: 'payment_success', idempotencyKey: 'mercadopago:990001:approved', schemaVersion: '1.0' });
    await waitUntil(async () => ((await h.firestore.collection('orders').doc(open.order_id).get()).get('status') as string) === 'needs_review', 20_000, 'needs_review');
    const o = (await h.firestore.collection('orders').doc(open.order_id).get()).data() as Order;
    expect(o).toMatchObject({ status: 'needs_review', reason: 'amount_mismatch', reserved: true });
    await waitUntil(() => notes().some((m) => m.kind === 'needs_review' && m.order_id === open.order_id), 20_000, 'the review message');
  });
});
