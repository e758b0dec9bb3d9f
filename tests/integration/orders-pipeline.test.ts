import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotificationDeliveryV1 } from '../../shared/events/event-schemas.js';
import { TOPIC_NAMES } from '../../shared/topology/topology.js';
import type { LiveInput } from '../../shared/tiendas/live-store.js';
import type { Order } from '../../services/worker/orders/order-model.js';
import { DEMO_CATALOG, LIVE_POST, WORKER_TIENDA, startWorkerHarness, type WorkerHarness } from '../helpers/worker-harness.js';
import { waitUntil } from '../helpers/test-kit.js';
import { createOrderParts } from '../../services/worker/app.js';
import { OrderJobs } from '../../services/worker/orders/order-jobs.js';

const PRODUCTS: LiveInput['products'] = [
  {
    code: '301',
    name: 'Polera básica',
    keywords: ['polera', 'polerita'],
    price: 9990,
    variants: { color: ['roja', 'azul', 'negra'], size: ['S', 'M', 'L'] },
    variant_stock: [
      { color: 'roja', size: 'M', stock: 1 },
      { color: 'azul', size: 'S', stock: 4 },
      { color: 'negra', size: 'L', stock: 4 },
    ],
  },
  { code: '302', name: 'Aros de plata', keywords: ['aros', 'aretes'], price: 7990, variants: {}, stock: 5 },
];

let seq = 0;
function comment(text: string, author: string) {
  const id = `pipe-${++seq}`;
  return {
    id,
    body: {
      event: 'feed_comment',
      timestamp: new Date().toISOString(),
      data: {
        platform: 'facebook',
        source_field: 'feed',
        account_id: WORKER_TIENDA.meta_page_id,
        post_id: LIVE_POST,
        comment_id: id,
        parent_id: LIVE_POST,
        author_id: author,
        author_name: `Persona ${author}`,
        text,
        created_time: new Date(Date.parse('2026-11-30T21:00:00Z') + seq * 1000).toISOString(),
      },
    },
  };
}

describe('orders through the pipeline: comment → intent → order → notification_delivery, on the emulators', () => {
  let h: WorkerHarness;
  beforeAll(async () => {
    h = await startWorkerHarness({ products: PRODUCTS, allocationGatherMs: 100 });
  });
  afterAll(() => h.close());

  const send = async (text: string, author: string) => {
    const c = comment(text, author);
    await h.publisher.publishJson(TOPIC_NAMES.incomingComments, c.body, { event: 'feed_comment', idempotencyKey: `comment:${c.id}`, schemaVersion: '1.0' });
    return c.id;
  };
  const notesFor = (commentId: string) => h.notifications.messages.map((m) => m.json<NotificationDeliveryV1>()).filter((m) => m.comment_id === commentId);
  const orderOf = async (commentId: string) =>
    (await h.firestore.collection('orders').where('comment_id', '==', commentId).get()).docs.map((d) => d.data() as Order)[0];

  it('a purchase becomes a reserved order and a payment-link message to the buyer', async () => {
    const id = await send('quiero la polera azul talla S', 'b1');
    await waitUntil(() => notesFor(id).length > 0, 30_000, 'the link message');
    const [note] = notesFor(id);
    expect(note).toMatchObject({ kind: 'payment_link', author_id: 'b1', author_name: 'Persona b1', platform: 'facebook', account_id: WORKER_TIENDA.meta_page_id, tienda_id: WORKER_TIENDA.id, live_id: DEMO_CATALOG.live_id });
    expect(note!.text).toMatch(/Polera básica \(azul, talla S\) por \$9\.990/);
    expect(note!.payment_url).toBeTruthy();
    const order = await orderOf(id);
    expect(order).toMatchObject({ status: 'pending_payment', total: 9990, currency: 'CLP', provider: 'mercadopago' });
    const pref = [...h.mp.preferences.values()].find((p) => p.external_reference === order!.order_id)!;
    expect(pref.notification_url).toMatch(new RegExp(`^https://ingress.example.test/webhooks/mercadopago/${WORKER_TIENDA.id}(\\?|$)`));
  });

  it('a product with sizes named without one → the buyer is asked which, no order', async () => {
    const id = await send('quiero la polera roja', 'b2');
    await waitUntil(() => notesFor(id).length > 0, 30_000, 'the question');
    expect(notesFor(id)[0]).toMatchObject({ kind: 'clarification', order_id: null });
    expect(notesFor(id)[0]!.text).toContain('S, M, L');
    expect(await orderOf(id)).toBeUndefined();
  });

  it('a price question is answered from the catalog and the stock left', async () => {
    const id = await send('cuánto cuestan los aros?', 'b3');
    await waitUntil(() => notesFor(id).length > 0, 30_000, 'the answer');
    expect(notesFor(id)[0]).toMatchObject({ kind: 'question_answer' });
    expect(notesFor(id)[0]!.text).toMatch(/Aros de plata cuesta \$7\.990.*Quedan 5/);
  });

  it('"cancela" releases the buyer\'s unpaid order and serves the next in the waitlist', async () => {
    const first = await send('quiero la polera roja M', 'b4');
    await waitUntil(() => notesFor(first).some((n) => n.kind === 'payment_link'), 30_000, 'the first link');
    const second = await send('mía la polera roja M', 'b5');
    await waitUntil(() => notesFor(second).some((n) => n.kind === 'waitlisted'), 30_000, 'the waitlist message');
    const cancel = await send('cancela la polera porfa', 'b4');
    await waitUntil(() => notesFor(first).some((n) => n.kind === 'order_cancelled'), 30_000, 'the cancellation');
    await waitUntil(() => notesFor(second).some((n) => n.kind === 'waitlist_promoted'), 30_000, 'the promotion');
    expect((await orderOf(first))!.status).toBe('cancelled');
    expect((await orderOf(second))!).toMatchObject({ status: 'pending_payment', promoted: true });
    expect(notesFor(cancel)).toHaveLength(0); // told about the order, under the order's comment
  });

  it('a provider 500 retries through the schedule and the link still goes out once', async () => {
    h.mp.failNext(500, 1);
    const id = await send('quiero la polera negra L', 'b6');
    await waitUntil(() => notesFor(id).some((n) => n.kind === 'payment_link'), 30_000, 'the link after a retry');
    const order = await orderOf(id);
    expect(order).toMatchObject({ status: 'pending_payment' });
    expect([...h.mp.preferences.values()].filter((p) => p.external_reference === order!.order_id)).toHaveLength(1);
    expect(notesFor(id)).toHaveLength(1);
  });

  it('a provider that refuses the link fails the order, releases its stock and tells the buyer politely', async () => {
    h.mp.failNext(400, 1);
    const id = await send('quiero la polera negra L', 'b7');
    await waitUntil(() => notesFor(id).some((n) => n.kind === 'order_failed'), 30_000, 'the failure message');
    const order = await orderOf(id);
    expect(order).toMatchObject({ status: 'failed', reserved: false });
    expect(order!.reason).toMatch(/^payment_link_refused: payment_refused:validation_failed/);
    expect(notesFor(id).map((n) => n.kind)).toEqual(['order_failed']);
    expect(notesFor(id)[0]!.text).toMatch(/no pudimos generar el link de pago/);
    const stock = (await h.firestore.doc(`tiendas/${WORKER_TIENDA.id}/lives/${DEMO_CATALOG.live_id}/allocation/stock`).get()).get('available') as Record<string, number>;
    expect(stock['301:negra:L']).toBe(3); // 4 − the order of b6; b7's unit came back
  });

  it('a job whose run budget is spent stops taking orders and says so (the next tick goes on)', async () => {
    const parts = createOrderParts(h.deps);
    const jobs = new OrderJobs({ ...h.deps, orders: parts.orders, allocator: parts.allocator, outcomes: parts.outcomes, payments: h.deps.paymentStatus, runBudgetMs: -1 });
    expect(await jobs.reconcilePayments()).toMatchObject({ checked: 0, truncated: true });
    const full = await createOrderParts(h.deps).jobs.reconcilePayments();
    expect(full.truncated).toBe(false);
    expect(full.checked).toBeGreaterThan(0);
  });
});
