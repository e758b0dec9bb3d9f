/**
 * `npm start` — the pipeline on this machine: the Cloud SDK's Pub/Sub and Firestore emulators, the ingress
 * and the worker, and local stand-ins (the tests' wire-level fakes) for Mercado Pago, Flow, PayPal, Gemini
 * and BigQuery. It registers the demo tienda and live (data/catalog-demo.json), replays a demo live's
 * comments and a payment through the real webhooks, prints what happened, then keeps running so you can
 * send your own requests (curl examples in the README). `npm start -- --once` exits after the replay.
 */
import { readFileSync } from 'node:fs';
import { Firestore } from '@google-cloud/firestore';
import { PubSub, type Message } from '@google-cloud/pubsub';
import { signMetaBody } from '../services/ingress/providers/meta-signature.js';
import { startIngress } from '../services/ingress/main.js';
import { startWorker } from '../services/worker/main.js';
import { startNotifier } from '../services/notifier/main.js';
import { createPublisher } from '../shared/pubsub/publisher.js';
import { NOTIFICATION_DELIVERY_SCHEMA_VERSION, type NotificationDeliveryV1 } from '../shared/events/event-schemas.js';
import { LiveStore } from '../shared/tiendas/live-store.js';
import { TiendaStore } from '../shared/tiendas/tienda-store.js';
import { provisionTopology } from '../shared/topology/provision-topology.js';
import { consumerFor, TOPIC_NAMES } from '../shared/topology/topology.js';
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
  const graph = await startMetaGraphFake({ pageTokens: { [DEMO.pageId]: DEMO.pageToken, [DEMO.igId]: DEMO.pageToken } });
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
    consumers: [consumerFor(TOPIC_NAMES.incomingComments), consumerFor(TOPIC_NAMES.aiProcessing), consumerFor(TOPIC_NAMES.notificationDelivery)],
    nativeRetry: { minimumBackoffSeconds: 1, maximumBackoffSeconds: 10 },
  });
  // The payment_events consumer arrives with the order slice; hold its messages meanwhile.
  for (const topic of [TOPIC_NAMES.paymentEvents]) {
    await pubsub.createTopic(topic).catch((e) => ((e as { code?: number }).code === 6 ? null : Promise.reject(e)));
    await pubsub.topic(topic).createSubscription(`${topic}-demo-hold`).catch((e) => ((e as { code?: number }).code === 6 ? null : Promise.reject(e)));
  }
  const catalog = JSON.parse(readFileSync('data/catalog-demo.json', 'utf8'));
  await new TiendaStore(firestore).upsert({ id: DEMO.tienda, name: 'Moda Valpo (demo)', country: 'CL', currency: 'CLP', payment_provider: 'mercadopago', meta_page_id: DEMO.pageId, instagram_account_id: DEMO.igId });
  const livePost = `${DEMO.pageId}_900000000000001`;
  await new LiveStore(firestore).upsert({ tienda_id: DEMO.tienda, live_id: catalog.live_id, platform: 'facebook', post_id: livePost, status: 'live', title: 'Live de poleras y más', currency: catalog.currency, featured_product: catalog.featured_product, products: catalog.products });

  const payments: Message[] = [];
  const paySub = pubsub.subscription(`${TOPIC_NAMES.paymentEvents}-demo-hold`);
  paySub.on('message', (m: Message) => payments.push(m));
  stops.push(() => paySub.close());

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

  // A buyer pays with Mercado Pago; MP notifies the ingress.
  const payment = mp.setPayment({ id: 20000, status: 'approved', external_reference: 'demo-order-1', transaction_amount: 9990, currency_id: 'CLP' });
  // Seeded for the README's curl examples: a second approved MP payment, a paid Flow order, a PayPal capture.
  mp.setPayment({ id: 20001, status: 'approved', external_reference: 'demo-order-2', transaction_amount: 24990, currency_id: 'CLP' });
  flow.addPayment({ apiKey: DEMO.flowApiKey, commerceOrder: 'demo-order-3', amount: 19990, status: 2, token: 'DEMO0FLOW0TOKEN0000000000000000000000001' });
  const capture = paypal.setCapture({ id: 'DEMOCAPTURE0001', status: 'COMPLETED', amount: { currency_code: 'USD', value: '12.34' }, custom_id: 'demo-order-4' });
  const ppSigned = paypal.signedWebhook(paypal.captureEvent(capture, 'PAYMENT.CAPTURE.COMPLETED'), { webhookId: 'WH-DEMO-0001' });
  const note = mp.signedNotification({ paymentId: payment.id, secret: DEMO.mpWebhookSecret, path: `/webhooks/mercadopago/${DEMO.tienda}` });
  const mpRes = await mp.deliverNotification(ingress.url, note);
  say(`POST /webhooks/mercadopago/${DEMO.tienda} (payment ${payment.id} approved) → ${mpRes.status} ${mpRes.body}\n`);

  // 6. Wait for the worker to classify everything, then show it.
  const deadline = Date.now() + 60_000;
  const ids = changes.map((c) => c.value.comment_id);
  while (Date.now() < deadline && !ids.every((id) => bq.rows('intents').some((r) => r.comment_id === id))) await new Promise((r) => setTimeout(r, 250));
  say('What the pipeline made of the live:');
  for (const [i, c] of comments.entries()) {
    const row = bq.rows('intents').find((r) => r.comment_id === ids[i]);
    const items = ((row?.items as Array<Record<string, unknown>> | undefined) ?? []).map((it) => [it.product, it.color, it.size, it.quantity !== null ? `x${it.quantity}` : null].filter(Boolean).join(' ')).join(' + ');
    say(`  ${c.text.padEnd(36)} → ${row ? `${String(row.intent).padEnd(8)} ${items.padEnd(22)} (${row.source}, ${Number(row.confidence).toFixed(2)})` : 'not classified yet'}`);
  }
  // The order step (next slice) will turn a purchase into a payment link; until then, show the notifier
  // delivering one private reply as that step will ask it to.
  const firstPurchase = comments.findIndex((_, i) => bq.rows('intents').some((r) => r.comment_id === ids[i] && r.intent === 'purchase'));
  if (firstPurchase >= 0) {
    const publisher = createPublisher(pubsub);
    const reply: NotificationDeliveryV1 = {
      schema_version: NOTIFICATION_DELIVERY_SCHEMA_VERSION,
      notification_id: `demo-reply-${ids[firstPurchase]}`,
      tienda_id: DEMO.tienda,
      live_id: catalog.live_id,
      platform: 'facebook',
      account_id: DEMO.pageId,
      comment_id: ids[firstPurchase]!,
      kind: 'info',
      text: `¡Hola ${comments[firstPurchase]!.author.split(' ')[0]}! Recibimos tu pedido: "${comments[firstPurchase]!.text}". Pronto te enviamos el link de pago.`,
      author_id: null,
      author_name: comments[firstPurchase]!.author,
      order_id: null,
      payment_url: null,
      event_at: new Date().toISOString(),
    };
    await publisher.publishJson(TOPIC_NAMES.notificationDelivery, reply, { event: 'notification_delivery', idempotencyKey: reply.notification_id, schemaVersion: reply.schema_version, tiendaId: DEMO.tienda });
    await publisher.close();
    const until = Date.now() + 15_000;
    while (Date.now() < until && graph.replies.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 500));
  say(`\nprivate replies sent through the Meta Graph stand-in: ${graph.replies.length}${graph.replies[0] ? ` (to comment ${graph.replies[0].commentId}: "${graph.replies[0].text}")` : ''}`);
  say(`payment_events: ${payments.map((m) => `${JSON.parse(m.data.toString()).event} ${JSON.parse(m.data.toString()).data.transaction_id}`).join(', ') || 'none yet'}`);
  say(`Gemini stand-in calls: ${gemini.requests.length} (only comments the local classifier was unsure of)`);
  say(`BigQuery stand-in rows: comments ${bq.rows('comments').length}, intents ${bq.rows('intents').length}`);

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
