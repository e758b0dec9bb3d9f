/**
 * `npm start` — the pipeline on this machine: the Cloud SDK's Pub/Sub and Firestore emulators, the ingress
 * and the worker, and local stand-ins (the tests' wire-level fakes) for Mercado Pago, Flow, PayPal, Gemini
 * and BigQuery. It registers the demo tienda and live (data/catalog-demo.json), replays a demo live's
 * comments and a payment through the real webhooks, prints what happened, then keeps running so you can
 * send your own requests (curl examples in the README). `npm start -- --once` exits after the replay.
 */
import { readFileSync } from 'node:fs';
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { signMetaBody } from '../services/ingress/providers/meta-signature.js';
import { startIngress } from '../services/ingress/main.js';
import { startWorker } from '../services/worker/main.js';
import { startNotifier } from '../services/notifier/main.js';
import type { Order } from '../services/worker/orders/order-model.js';
import { LiveStore } from '../shared/tiendas/live-store.js';
import { TiendaStore } from '../shared/tiendas/tienda-store.js';
import { provisionTopology } from '../shared/topology/provision-topology.js';
import { CONSUMERS } from '../shared/topology/topology.js';
import { startBigQueryFake } from '../tests/fakes/bigquery-fake.js';
import { startFlowFake } from '../tests/fakes/flow-fake.js';
import { startGeminiFake } from '../tests/fakes/gemini-fake.js';
import { startMercadoPagoFake } from '../tests/fakes/mercadopago-fake.js';
import { startPayPalFake } from '../tests/fakes/paypal-fake.js';
import { startMetaGraphFake } from '../tests/fakes/meta-graph-fake.js';
import { defineConfig, port, str } from '../shared/config/define-config.js';
import { checkEmulatorsInstalled, freePort, startEmulator, type RunningEmulator } from './lib/emulators.js';

const once = process.argv.includes('--once');
/** `npm start`'s own settings; the services it starts validate theirs as in production. */
const startConfig = defineConfig('npm start', {
  projectId: { env: 'GOOGLE_CLOUD_PROJECT', doc: 'Emulator project id.', schema: str().default('demo-livestreamsell') },
  ingressPort: { env: 'INGRESS_PORT', doc: 'Port of the ingress.', schema: port(8080) },
  workerPort: { env: 'WORKER_PORT', doc: 'Port of the worker.', schema: port(8081) },
  notifierPort: { env: 'NOTIFIER_PORT', doc: 'Port of the notifier.', schema: port(8082) },
  logLevel: { env: 'LOG_LEVEL', doc: 'Log level of the services (quiet by default so the report stays readable).', schema: str().default('WARNING') },
  retrySchedule: { env: 'RETRY_SCHEDULE', doc: 'Retry schedule of the push consumers, compressed for a demo.', schema: str().default('2s,4s,8s,15s,30s') },
});
const settings = startConfig.load();
const PROJECT = settings.projectId;
const INGRESS_PORT = settings.ingressPort;
const WORKER_PORT = settings.workerPort;
const NOTIFIER_PORT = settings.notifierPort;

/** Obviously fake demo credentials (never real ones). */
const DEMO = {
  tienda: 'tienda-demo',
  pageId: '100000000000001',
  igId: '17841400000000009',
  metaAppSecret: 'demo-meta-app-secret',
  verifyToken: 'demo-verify-token',
  eventsSecret: 'demo-events-hmac-secret',
  mpWebhookSecret: 'demo-mp-webhook-secret',
  mpAccessToken: 'TEST-demo-mp-access-token',
  flowApiKey: 'TEST-demo-flow-api-key',
  flowSecretKey: 'demo-flow-secret-key',
  paypalClientId: 'TEST-demo-paypal-client-id',
  paypalSecret: 'demo-paypal-client-secret',
  geminiKey: 'demo-gemini-key',
  pageToken: 'demo-page-access-token',
};

const say = (line = '') => process.stdout.write(line + '\n');

async function main() {
  const stops: Array<() => Promise<unknown>> = [];
  const stopAll = async () => {
    // Each step is bounded (a client waiting on its own retries must not keep the emulators alive).
    for (const s of stops.reverse()) await Promise.race([s().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
  };
  // Ctrl-C reaches us twice (from the terminal and relayed by npm/tsx): a second signal must not kill the
  // process half-way and orphan the emulators, so every signal is handled and only the first one acts.
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    void stopAll().then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // 1. Emulators (unless already given).
  const emulators: RunningEmulator[] = [];
  if (!process.env.PUBSUB_EMULATOR_HOST || !process.env.FIRESTORE_EMULATOR_HOST) {
    checkEmulatorsInstalled();
    say('Starting the Pub/Sub and Firestore emulators…');
    const [ps, fs] = await Promise.all([
      process.env.PUBSUB_EMULATOR_HOST ? null : startEmulator('pubsub', { projectId: PROJECT }),
      process.env.FIRESTORE_EMULATOR_HOST ? null : startEmulator('firestore', { projectId: PROJECT }),
    ]);
    if (ps) (emulators.push(ps), (process.env.PUBSUB_EMULATOR_HOST = ps.host));
    if (fs) (emulators.push(fs), (process.env.FIRESTORE_EMULATOR_HOST = fs.host));
    for (const e of emulators) stops.push(() => e.stop());
  }
  process.env.METADATA_SERVER_DETECTION = 'none';

  // 2. Stand-ins for the outside services.
  const mp = await startMercadoPagoFake({ accessTokens: [DEMO.mpAccessToken] });
  const flow = await startFlowFake({ merchants: [{ apiKey: DEMO.flowApiKey, secretKey: DEMO.flowSecretKey }] });
  const paypal = await startPayPalFake({ clients: [{ clientId: DEMO.paypalClientId, clientSecret: DEMO.paypalSecret }] });
  const gemini = await startGeminiFake({ apiKey: DEMO.geminiKey });
  const bq = await startBigQueryFake({ dataset: 'livestreamsell', port: await freePort() });
  const graph = await startMetaGraphFake({ pageTokens: { [DEMO.pageId]: DEMO.pageToken, [DEMO.igId]: DEMO.pageToken }, appSecret: DEMO.metaAppSecret });
  stops.push(() => mp.close(), () => flow.close(), () => paypal.close(), () => gemini.close(), () => bq.close(), () => graph.close());

  // 3. Services, configured only through their environment, as in production.
  const T = `TIENDA_${DEMO.tienda.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  const env: Record<string, string | undefined> = {
    ...process.env,
    GOOGLE_CLOUD_PROJECT: PROJECT,
    SECRETS_SOURCE: 'env',
    LOG_LEVEL: settings.logLevel,
    MERCADOPAGO_API_URL: mp.url,
    FLOW_API_URL: flow.url,
    PAYPAL_API_URL: paypal.url,
    PAYPAL_CERT_TRUSTED_ORIGINS: paypal.url,
    GEMINI_API_URL: gemini.url,
    META_GRAPH_URL: graph.url,
    BIGQUERY_API_URL: bq.url,
    PUSH_AUTH_ENABLED: 'false',
    INGRESS_PUBLIC_URL: `http://127.0.0.1:${INGRESS_PORT}`,
    PAYMENT_RETURN_URL: 'https://tienda-demo.example/gracias',
    FLOW_PAYER_EMAIL: 'pagos@tienda-demo.example',
    RETRY_SCHEDULE: settings.retrySchedule,
    META_APP_SECRET: DEMO.metaAppSecret,
    META_VERIFY_TOKEN: DEMO.verifyToken,
    EVENTS_HMAC_SECRET: DEMO.eventsSecret,
    PAYPAL_WEBHOOK_ID: 'WH-DEMO-0001',
    GEMINI_API_KEY: DEMO.geminiKey,
    [`${T}_META_PAGE_TOKEN`]: DEMO.pageToken,
    [`${T}_MERCADOPAGO_WEBHOOK_SECRET`]: DEMO.mpWebhookSecret,
    [`${T}_MERCADOPAGO_ACCESS_TOKEN`]: DEMO.mpAccessToken,
    [`${T}_FLOW_API_KEY`]: DEMO.flowApiKey,
    [`${T}_FLOW_SECRET_KEY`]: DEMO.flowSecretKey,
    [`${T}_PAYPAL_CLIENT_ID`]: DEMO.paypalClientId,
    [`${T}_PAYPAL_CLIENT_SECRET`]: DEMO.paypalSecret,
  };
  const ingress = await startIngress({ ...env, PORT: String(INGRESS_PORT) }, { handleSignals: false });
  const worker = await startWorker({ ...env, PORT: String(WORKER_PORT) }, { handleSignals: false });
  const notifier = await startNotifier({ ...env, PORT: String(NOTIFIER_PORT) }, { handleSignals: false });
  stops.push(() => ingress.stop(), () => worker.stop(), () => notifier.stop());

  // 4. Topology (the worker's consumers) + demo data.
  const pubsub = new PubSub({ projectId: PROJECT });
  const firestore = new Firestore({ projectId: PROJECT });
  stops.push(() => pubsub.close(), () => firestore.terminate());
  await provisionTopology(pubsub, {
    endpoints: { worker: worker.url, notifier: notifier.url },
    consumers: CONSUMERS,
    nativeRetry: { minimumBackoffSeconds: 1, maximumBackoffSeconds: 10 },
  });
  const catalog = JSON.parse(readFileSync('data/catalog-demo.json', 'utf8'));
  await new TiendaStore(firestore).upsert({ id: DEMO.tienda, name: 'Moda Valpo (demo)', country: 'CL', currency: 'CLP', payment_provider: 'mercadopago', meta_page_id: DEMO.pageId, instagram_account_id: DEMO.igId });
  const livePost = `${DEMO.pageId}_900000000000001`;
  await new LiveStore(firestore).upsert({ tienda_id: DEMO.tienda, live_id: catalog.live_id, platform: 'facebook', post_id: livePost, status: 'live', title: 'Live de poleras y más', currency: catalog.currency, featured_product: catalog.featured_product, products: catalog.products });


  // 5. Replay the demo live through the real Meta webhook, signed like Meta signs.
  say(`\nIngress  ${ingress.url}   Worker ${worker.url}   Notifier ${notifier.url}   (project ${PROJECT})`);
  say(`Pub/Sub emulator ${process.env.PUBSUB_EMULATOR_HOST}   Firestore emulator ${process.env.FIRESTORE_EMULATOR_HOST}`);
  say(`Stand-ins: Mercado Pago ${mp.url}  Flow ${flow.url}  PayPal ${paypal.url}  Gemini ${gemini.url}  BigQuery ${bq.url}  Meta Graph ${graph.url}\n`);
  const comments = readFileSync('data/demo-live-comments.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { author: string; text: string });
  const now = Math.floor(Date.now() / 1000);
  const changes = comments.map((c, i) => ({
    field: 'feed',
    value: { from: { id: `5000${i}`, name: c.author }, item: 'comment', verb: 'add', comment_id: `${livePost}_demo${now}${i}`, post_id: livePost, parent_id: livePost, created_time: now, message: c.text },
  }));
  const raw = JSON.stringify({ object: 'page', entry: [{ id: DEMO.pageId, time: now, changes }] });
  const res = await fetch(`${ingress.url}/webhooks/meta`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(raw, DEMO.metaAppSecret) }, body: raw });
  say(`POST /webhooks/meta (${comments.length} comments) → ${res.status} ${await res.text()}`);

  // Seeded for the README's curl examples: a second approved MP payment, a paid Flow order, a PayPal capture.
  mp.setPayment({ id: 20001, status: 'approved', external_reference: 'demo-order-2', transaction_amount: 24990, currency_id: 'CLP' });
  flow.addPayment({ apiKey: DEMO.flowApiKey, commerceOrder: 'demo-order-3', amount: 19990, status: 2, token: 'DEMO0FLOW0TOKEN0000000000000000000000001' });
  const capture = paypal.setCapture({ id: 'DEMOCAPTURE0001', status: 'COMPLETED', amount: { currency_code: 'USD', value: '12.34' }, custom_id: 'demo-order-4' });
  const ppSigned = paypal.signedWebhook(paypal.captureEvent(capture, 'PAYMENT.CAPTURE.COMPLETED'), { webhookId: 'WH-DEMO-0001' });

  // 6. Wait for the worker to classify everything and for every order to be decided and told, then show it.
  const deadline = Date.now() + 60_000;
  const ids = changes.map((c) => c.value.comment_id);
  const ordersOf = async () => (await firestore.collection('orders').get()).docs.map((d) => d.data() as Order);
  const settled = async () => {
    if (!ids.every((id) => bq.rows('intents').some((r) => r.comment_id === id))) return false;
    const orders = await ordersOf();
    const purchases = bq.rows('intents').filter((r) => r.intent === 'purchase').length;
    return orders.every((o) => !o.delivery_pending) && graph.replies.length >= Math.min(purchases, orders.length);
  };
  while (Date.now() < deadline && !(await settled())) await new Promise((r) => setTimeout(r, 250));
  await new Promise((r) => setTimeout(r, 1000));
  const orders = await ordersOf();
  say('What the pipeline made of the live:');
  for (const [i, c] of comments.entries()) {
    const row = bq.rows('intents').find((r) => r.comment_id === ids[i]);
    const items = ((row?.items as Array<Record<string, unknown>> | undefined) ?? []).map((it) => [it.product, it.color, it.size, it.quantity !== null ? `x${it.quantity}` : null].filter(Boolean).join(' ')).join(' + ');
    const order = orders.find((o) => o.comment_id === ids[i]);
    const reply = graph.replies.find((r) => r.commentId === ids[i]);
    const outcome = order ? `order ${order.status}` : reply ? 'answered' : '';
    say(`  ${c.text.padEnd(36)} → ${row ? `${String(row.intent).padEnd(8)} ${items.padEnd(22)} (${row.source}, ${Number(row.confidence).toFixed(2)})` : 'not classified yet'}${outcome ? `  ${outcome}` : ''}`);
  }

  // 7. The first buyer with a link answers the private reply (which opens her Messenger thread), then pays.
  const linked = orders.filter((o) => o.status === 'pending_payment' && o.payment).sort((a, b) => a.alloc_order.localeCompare(b.alloc_order))[0];
  let paidLine = 'no reserved order to pay';
  if (linked) {
    const reply = graph.replies.find((r) => r.commentId === linked.comment_id);
    say(`\nPrivate reply to ${linked.buyer.author_name}: "${reply?.text ?? '(none yet)'}"`);
    const payload = JSON.stringify(reply?.message ?? {}).match(/lss1\?[^"\\]+/)?.[0];
    if (reply && payload) {
      const hook = graph.buyerWrites({ accountId: DEMO.pageId, buyerId: reply.recipientId, postback: { title: 'Avisarme por aquí', payload } });
      const answered = await graph.deliverWebhook(`${ingress.url}/webhooks/meta`, hook);
      say(`${linked.buyer.author_name} taps "Avisarme por aquí" → POST /webhooks/meta (messaging_postbacks) → ${answered.status}`);
    }
    const paid = mp.payPreference(linked.payment!.ref, 'approved');
    const note = mp.signedNotification({ paymentId: paid.id, secret: DEMO.mpWebhookSecret, path: `/webhooks/mercadopago/${DEMO.tienda}` });
    const mpRes = await mp.deliverNotification(ingress.url, note);
    say(`${linked.buyer.author_name} pays at Mercado Pago → POST /webhooks/mercadopago/${DEMO.tienda} (payment ${paid.id} approved) → ${mpRes.status}`);
    const until = Date.now() + 20_000;
    const isPaid = async () => (await firestore.collection('orders').doc(linked.order_id).get()).get('status') === 'paid';
    while (Date.now() < until && !((await isPaid()) && graph.threadMessages.length > 0)) await new Promise((r) => setTimeout(r, 200));
    paidLine = `payment_success ${paid.id} → order ${linked.order_id} ${(await isPaid()) ? 'paid' : 'not paid yet'}`;
  }
  const final = await ordersOf();
  const count = (s: Order['status']) => final.filter((o) => o.status === s).length;
  say(`\nprivate replies sent through the Meta Graph stand-in: ${graph.replies.length}`);
  say(`thread messages: ${graph.threadMessages.length}${graph.threadMessages[0] ? ` ("${graph.threadMessages[0].text}")` : ''}`);
  say(`orders: ${final.length} (pending_payment ${count('pending_payment')}, waitlisted ${count('waitlisted')}, paid ${count('paid')}); payment links at the Mercado Pago stand-in: ${mp.preferences.size}`);
  say(`payment_events: ${paidLine}`);
  say(`Gemini stand-in calls: ${gemini.requests.length} (only comments the local classifier was unsure of)`);
  say(`BigQuery stand-in rows: comments ${bq.rows('comments').length}, intents ${bq.rows('intents').length}, orders ${bq.rows('orders').length}`);

  say('\nReady-made PayPal request (signed with this run\'s stand-in key; the Flow token is fixed: see the README):');
  say(`  curl -s -X POST ${ingress.url}/webhooks/paypal/${DEMO.tienda} ${Object.entries(ppSigned.headers).map(([k, v]) => `-H '${k}: ${v}'`).join(' ')} --data-binary '${ppSigned.body.replace(/'/g, "'\\''")}'`);

  if (once) {
    await stopAll();
    process.exit(0);
  }
  say(`\nRunning. Try the curl examples in the README against ${ingress.url}. Ctrl-C stops everything.`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
