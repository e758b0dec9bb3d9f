/**
 * `npm run bench:orders` — a burst of 200 purchase comments on one variant with stock 50, settled by the real order
 * handlers (comment record → order → allocator → Mercado Pago link at the wire-level stand-in → notification) on the
 * emulators, against baselines measured in the same run on the same emulators:
 *
 *   serial-txn      200 reservations as one Firestore transaction each, one at a time (read stock, decrement, create
 *                   the reservation): the simplest correct mechanism, exact FCFS — the baseline
 *   concurrent-txn  the same 200 transactions all at once (what a naive push handler does): shows why not
 *   allocator       the order step's claim queue (ADR 0008), 200 concurrent handler calls, links and messages included
 *   allocator-only  the allocator's decisions alone (orders created, drained, no links or messages)
 *
 * Prints time to settle all 200, decisions per second and reservations, and each scenario's speed against the
 * baseline. Never asserted; the emulators stand in for Firestore and Pub/Sub, so compare ratios, not absolutes.
 * Bounded: 200 claims per scenario; the concurrent-txn scenario gives up with the client's own transaction limits.
 */
import { Firestore, FieldValue } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { analyticsFromBigQuery } from '../shared/analytics/analytics-recorder.js';
import { BigQueryAnalyticsSink } from '../shared/analytics/analytics-sink.js';
import { IdempotencyStore } from '../shared/idempotency/idempotency-store.js';
import { PaymentLinks } from '../shared/payments/payment-links.js';
import { FirestorePaymentLinkStore } from '../shared/payments/payment-link-store.js';
import { createPublisher } from '../shared/pubsub/publisher.js';
import { EnvSecretSource, secretIdToEnvName } from '../shared/secrets/env-secret-source.js';
import { LiveStore } from '../shared/tiendas/live-store.js';
import { TiendaStore } from '../shared/tiendas/tienda-store.js';
import { TOPIC_NAMES } from '../shared/topology/topology.js';
import { createOrderParts, type WorkerDeps } from '../services/worker/app.js';
import type { StoredIntent } from '../services/worker/handlers/ai-processing-handler.js';
import { IntentService } from '../services/worker/intent/intent-service.js';
import { providerPayments } from '../services/worker/orders/provider-payments.js';
import { allocOrderKey, liveKey, orderIdFor, type Order } from '../services/worker/orders/order-model.js';
import { benchEmulators } from './bench-emulators.js';
import { startBigQueryFake } from '../tests/fakes/bigquery-fake.js';
import { startMercadoPagoFake } from '../tests/fakes/mercadopago-fake.js';

const CLAIMS = 200;
const STOCK = 50;
const TOKEN = 'TEST-bench-mp-token';

interface Row {
  name: string;
  ms: number;
  reserved: number;
  errors: number;
  note: string;
}

async function naiveTransactions(db: Firestore, concurrent: boolean): Promise<Row> {
  const stock = db.collection('bench-naive').doc(concurrent ? 'stock-concurrent' : 'stock-serial');
  await stock.set({ left: STOCK });
  const reserve = (i: number) =>
    db.runTransaction(async (tx) => {
      const left = (await tx.get(stock)).get('left') as number;
      if (left <= 0) return false;
      tx.update(stock, { left: left - 1 });
      tx.create(stock.collection('reservations').doc(`c${i}`), { i, at: FieldValue.serverTimestamp() });
      return true;
    });
  const started = performance.now();
  let reserved = 0;
  let errors = 0;
  if (concurrent) {
    const results = await Promise.allSettled(Array.from({ length: CLAIMS }, (_, i) => reserve(i)));
    for (const r of results) if (r.status === 'fulfilled') reserved += r.value ? 1 : 0;
    else errors++;
  } else {
    for (let i = 0; i < CLAIMS; i++) reserved += (await reserve(i)) ? 1 : 0;
  }
  return { name: concurrent ? 'concurrent-txn' : 'serial-txn', ms: performance.now() - started, reserved, errors, note: concurrent ? 'errors = ABORTED / lock timeouts' : 'exact FCFS' };
}

async function main() {
  const started = await benchEmulators();
  const projectId = `bench-${Date.now().toString(36)}`;
  const pubsub = new PubSub({ projectId });
  const firestore = new Firestore({ projectId });
  await pubsub.createTopic(TOPIC_NAMES.notificationDelivery);
  const bq = await startBigQueryFake({ dataset: 'livestreamsell' });
  const mp = await startMercadoPagoFake({ accessTokens: [TOKEN] });
  const tienda = { id: 'bench-tienda', name: 'Bench', country: 'CL', currency: 'CLP', payment_provider: 'mercadopago' as const, meta_page_id: '100000000000888', instagram_account_id: null };
  const tiendas = new TiendaStore(firestore);
  const lives = new LiveStore(firestore);
  await tiendas.upsert(tienda);
  const publisher = createPublisher(pubsub);
  const secrets = new EnvSecretSource({ env: { [secretIdToEnvName(`tienda-${tienda.id}-mercadopago-access-token`)]: TOKEN } });
  const deps: WorkerDeps = {
    tiendas,
    lives,
    firestore,
    idempotency: new IdempotencyStore(firestore),
    publisher,
    analytics: analyticsFromBigQuery(new BigQueryAnalyticsSink({ projectId, dataset: 'livestreamsell', apiEndpoint: bq.url })),
    intents: new IntentService(null),
    retrySchedule: [1000],
    pushAuth: { enabled: false, allowedServiceAccounts: [] },
    ...providerPayments(new PaymentLinks({ secrets, mercadopagoApiUrl: mp.url, linkStore: new FirestorePaymentLinkStore(firestore) }), 'https://ingress.bench.test'),
    reservationMs: 30 * 60_000,
    allocationWaitMs: 60_000,
    allocationGatherMs: 0,
  };
  const parts = createOrderParts(deps);
  type Variant = { color: string; size: string };
  /** A live selling one product whose stock is `variantStock` (default: roja M × STOCK). */
  const makeLive = async (liveId: string, variantStock: Array<Variant & { stock: number }> = [{ color: 'roja', size: 'M', stock: STOCK }]) => {
    await lives.upsert({
      tienda_id: tienda.id,
      live_id: liveId,
      platform: 'facebook',
      post_id: `${tienda.meta_page_id}_${liveId}`,
      status: 'live',
      currency: 'CLP',
      featured_product: '1',
      products: [{ code: '1', name: 'Polera', price: 9990, variants: { color: [...new Set(variantStock.map((v) => v.color))], size: [...new Set(variantStock.map((v) => v.size))] }, variant_stock: variantStock }],
    });
    return (await lives.get(tienda.id, liveId))!;
  };
  const base = Date.parse('2026-11-30T22:00:00Z');
  const commentAt = (i: number) => new Date(base + i * 10).toISOString();

  const rows: Row[] = [];
  rows.push(await naiveTransactions(firestore, false));
  rows.push(await naiveTransactions(firestore, true));

  /**
   * CLAIMS purchase comments (`<prefix><i>`, comment i asking for `pick(i)`) on a live of `variantStock`, their order
   * handlers all run at once: the time, the reserved orders (for the FCFS check) and the links made.
   */
  const runHandlers = async (liveId: string, prefix: string, variantStock: Array<Variant & { stock: number }>, pick: (i: number) => Variant) => {
    const live = await makeLive(liveId, variantStock);
    await Promise.all(
      Array.from({ length: CLAIMS }, (_, i) =>
        parts.comments.save({ comment_id: `${prefix}${i}`, tienda_id: tienda.id, live_id: live.live_id, platform: 'facebook', account_id: tienda.meta_page_id, post_id: live.post_id, author_id: `${prefix}u${i}`, author_name: `Buyer ${i}`, text: 'mía', created_time: commentAt(i), received_at: commentAt(i) }),
      ),
    );
    const intent = (i: number) => ({ comment_id: `${prefix}${i}`, tienda_id: tienda.id, live_id: live.live_id, result: { intent: 'purchase', items: [{ product: '1', ...pick(i), quantity: 1 }], confidence: 0.95, source: 'local' } }) as unknown as StoredIntent;
    const linksBefore = mp.preferences.size;
    const t0 = performance.now();
    const results = await Promise.allSettled(Array.from({ length: CLAIMS }, (_, i) => parts.intake.handle(intent(i), live)));
    const ms = performance.now() - t0;
    const orders = (await firestore.collection('orders').where('live_key', '==', liveKey(tienda.id, live.live_id)).get()).docs.map((d) => d.data() as Order);
    const reserved = orders.filter((o) => o.status === 'pending_payment');
    const index = (o: Order) => Number(o.comment_id.slice(prefix.length));
    return { ms, reserved, index, errors: results.filter((r) => r.status === 'rejected').length, links: mp.preferences.size - linksBefore };
  };

  // The order handlers, all 200 at once, on one hot variant: the first STOCK comments are the reserved ones.
  {
    const r = await runHandlers('bench-live-handlers', 'h-', [{ color: 'roja', size: 'M', stock: STOCK }], () => ({ color: 'roja', size: 'M' }));
    const fcfs = r.reserved.every((o) => r.index(o) < STOCK);
    rows.push({ name: 'allocator', ms: r.ms, reserved: r.reserved.length, errors: r.errors, note: `links ${r.links}, FCFS ${fcfs ? 'exact' : 'NOT exact'}` });
  }

  // The same 200 handlers spread over 50 variants at once (4 claims per variant, stock 2 each): one live, one
  // allocator, so the spread costs no more transactions than the hot variant does.
  {
    const colors = ['roja', 'azul', 'negra', 'blanca', 'verde'];
    const sizes = ['XS', 'S', 'M', 'L', 'XL', '2XL', '3XL', '4XL', '5XL', '6XL'];
    const variants = colors.flatMap((color) => sizes.map((size) => ({ color, size })));
    const r = await runHandlers('bench-live-50-variants', 'v-', variants.map((v) => ({ ...v, stock: 2 })), (i) => variants[i % 50]!);
    // FCFS per variant: the first 2 claims of each variant (i < 100) are the reserved ones.
    const fcfs = r.reserved.length === 100 && r.reserved.every((o) => r.index(o) < 100);
    rows.push({ name: 'allocator-50v', ms: r.ms, reserved: r.reserved.length, errors: r.errors, note: `50 variants × stock 2; links ${r.links}, FCFS ${fcfs ? 'exact' : 'NOT exact'}` });
  }

  // The allocator's decisions alone: orders written directly, one drain.
  {
    const live = await makeLive('bench-live-drain');
    const now = Date.now();
    const batch = firestore.bulkWriter();
    for (let i = 0; i < CLAIMS; i++) {
      const order: Partial<Order> = {
        order_id: orderIdFor(tienda.id, `d-${i}`),
        tienda_id: tienda.id,
        live_id: live.live_id,
        live_key: liveKey(tienda.id, live.live_id),
        comment_id: `d-${i}`,
        status: 'queued',
        items: [{ product: '1', name: 'Polera', color: 'roja', size: 'M', quantity: 1, unit_price: 9990, unit: '1:roja:M' }],
        alloc_order: allocOrderKey(commentAt(i), now, `d-${i}`),
        queued_at_ms: now,
        alloc_pending: true,
        alloc_kind: 'reserve',
        waitlisted: false,
        reserved: false,
      };
      void batch.create(firestore.collection('orders').doc(order.order_id!), order);
    }
    await batch.close();
    const t0 = performance.now();
    const result = await parts.allocator.drain(live);
    const ms = performance.now() - t0;
    rows.push({ name: 'allocator-only', ms, reserved: result.changed.filter((o) => o.status === 'pending_payment').length, errors: 0, note: `${result.changed.length} decided in one drain` });
  }

  const baseline = rows[0]!;
  console.log(`order burst benchmark — ${CLAIMS} purchase claims on one variant with stock ${STOCK} (allocator-50v: on 50 variants with stock 2 each), emulators for Firestore/Pub/Sub`);
  console.log('scenario          settle ms  decisions/s  reserved  reservations/s  errors  speed vs serial-txn  note');
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(16)} ${r.ms.toFixed(0).padStart(10)} ${(CLAIMS / (r.ms / 1000)).toFixed(0).padStart(12)} ${String(r.reserved).padStart(9)} ${(r.reserved / (r.ms / 1000)).toFixed(0).padStart(15)} ${String(r.errors).padStart(7)} ${(baseline.ms / r.ms).toFixed(2).padStart(19)}x  ${r.note}`,
    );
  }
  await publisher.close();
  await pubsub.close();
  await mp.close();
  await bq.close();
  void firestore.terminate();
  for (const e of started) await e.stop();
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
