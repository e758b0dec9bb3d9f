/**
 * Everything `npm start` runs: stand-ins for the outside services (the tests' wire-level fakes), the three
 * services configured only through their environment (as in production), the Pub/Sub topology, and the demo
 * tienda with its live on air. Each part registers its stop in `stops` as soon as it runs, so Ctrl-C at any
 * moment stops exactly what was started.
 */
import { readFileSync } from 'node:fs';
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { startIngress } from '../../services/ingress/main.js';
import { startNotifier } from '../../services/notifier/main.js';
import { startWorker } from '../../services/worker/main.js';
import { LiveStore, type LiveInput } from '../../shared/tiendas/live-store.js';
import { TiendaStore } from '../../shared/tiendas/tienda-store.js';
import { provisionTopology } from '../../shared/topology/provision-topology.js';
import { CONSUMERS } from '../../shared/topology/topology.js';
import { startBigQueryFake, type BigQueryFake } from '../../tests/fakes/bigquery-fake.js';
import { startFlowFake, type FlowFake } from '../../tests/fakes/flow-fake.js';
import { startGeminiFake, type GeminiFake } from '../../tests/fakes/gemini-fake.js';
import { startMercadoPagoFake, type MercadoPagoFake } from '../../tests/fakes/mercadopago-fake.js';
import { startMetaGraphFake, type MetaGraphFake } from '../../tests/fakes/meta-graph-fake.js';
import { startPayPalFake, type PayPalFake } from '../../tests/fakes/paypal-fake.js';
import { assertPortFree, CliUsageError } from '../lib/cli-env.js';
import { freePort } from '../lib/emulators.js';

/** Obviously fake demo credentials (never real ones). */
export const DEMO = {
  tienda: 'tienda-demo',
  tiendaName: 'Moda Valpo (demo)',
  pageId: '100000000000001',
  igId: '17841400000000009',
  postId: '100000000000001_900000000000001',
  /** The Graph id of the live video whose post the comments are on (the post's second part is its video id). */
  liveVideoId: '910000000000001',
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

export interface StackOptions {
  projectId: string;
  ingressPort: number;
  workerPort: number;
  notifierPort: number;
  logLevel: string;
  retrySchedule: string;
  reservationTtl: string;
  /** The live and its catalog (data/demo-live.json). */
  liveFile: string;
}

export interface DemoStack {
  projectId: string;
  ingressUrl: string;
  workerUrl: string;
  notifierUrl: string;
  mp: MercadoPagoFake;
  flow: FlowFake;
  paypal: PayPalFake;
  gemini: GeminiFake;
  bq: BigQueryFake;
  graph: MetaGraphFake;
  firestore: Firestore;
  pubsub: PubSub;
  live: LiveInput & { live_id: string; tienda_id: string };
}

type Stops = Array<() => Promise<unknown>>;

/** The port a service could not bind, named by the setting that moves it. */
async function startService<T>(port: number, setting: string, what: string, start: () => Promise<T>): Promise<T> {
  await assertPortFree(port, setting, what);
  try {
    return await start();
  } catch (e) {
    // Taken between the check and the bind.
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new CliUsageError(`port ${port} (${what}) is taken by another program: set ${setting}=<free port> to move it`);
    throw e;
  }
}

export async function startDemoStack(o: StackOptions, stops: Stops): Promise<DemoStack> {
  // Fail on a taken port before anything starts.
  await assertPortFree(o.ingressPort, 'INGRESS_PORT', 'the ingress');
  await assertPortFree(o.workerPort, 'WORKER_PORT', 'the worker');
  await assertPortFree(o.notifierPort, 'NOTIFIER_PORT', 'the notifier');

  const mp = await startMercadoPagoFake({ accessTokens: [DEMO.mpAccessToken] });
  stops.push(() => mp.close());
  const flow = await startFlowFake({ merchants: [{ apiKey: DEMO.flowApiKey, secretKey: DEMO.flowSecretKey }] });
  stops.push(() => flow.close());
  const paypal = await startPayPalFake({ clients: [{ clientId: DEMO.paypalClientId, clientSecret: DEMO.paypalSecret }] });
  stops.push(() => paypal.close());
  const gemini = await startGeminiFake({ apiKey: DEMO.geminiKey });
  stops.push(() => gemini.close());
  const bq = await startBigQueryFake({ dataset: 'livestreamsell', port: await freePort() });
  stops.push(() => bq.close());
  const graph = await startMetaGraphFake({ pageTokens: { [DEMO.pageId]: DEMO.pageToken, [DEMO.igId]: DEMO.pageToken }, appSecret: DEMO.metaAppSecret });
  stops.push(() => graph.close());

  const T = `TIENDA_${DEMO.tienda.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  const env: Record<string, string | undefined> = {
    ...process.env,
    GOOGLE_CLOUD_PROJECT: o.projectId,
    SECRETS_SOURCE: 'env',
    LOG_LEVEL: o.logLevel,
    MERCADOPAGO_API_URL: mp.url,
    FLOW_API_URL: flow.url,
    PAYPAL_API_URL: paypal.url,
    PAYPAL_CERT_TRUSTED_ORIGINS: paypal.url,
    GEMINI_API_URL: gemini.url,
    META_GRAPH_URL: graph.url,
    BIGQUERY_API_URL: bq.url,
    PUSH_AUTH_ENABLED: 'false',
    INGRESS_PUBLIC_URL: `http://127.0.0.1:${o.ingressPort}`,
    PAYMENT_RETURN_URL: 'https://tienda-demo.example/gracias',
    FLOW_PAYER_EMAIL: 'pagos@tienda-demo.example',
    RETRY_SCHEDULE: o.retrySchedule,
    RESERVATION_TTL: o.reservationTtl,
    // The emulator pushes one message at a time per subscription: a short gather keeps the live flowing.
    ALLOCATION_GATHER: '30ms',
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
  const ingress = await startService(o.ingressPort, 'INGRESS_PORT', 'the ingress', () => startIngress({ ...env, PORT: String(o.ingressPort) }, { handleSignals: false }));
  stops.push(() => ingress.stop());
  const worker = await startService(o.workerPort, 'WORKER_PORT', 'the worker', () => startWorker({ ...env, PORT: String(o.workerPort) }, { handleSignals: false }));
  stops.push(() => worker.stop());
  const notifier = await startService(o.notifierPort, 'NOTIFIER_PORT', 'the notifier', () => startNotifier({ ...env, PORT: String(o.notifierPort) }, { handleSignals: false }));
  stops.push(() => notifier.stop());

  const pubsub = new PubSub({ projectId: o.projectId });
  const firestore = new Firestore({ projectId: o.projectId });
  stops.push(() => pubsub.close(), () => firestore.terminate());
  await provisionTopology(pubsub, {
    endpoints: { worker: worker.url, notifier: notifier.url },
    consumers: CONSUMERS,
    nativeRetry: { minimumBackoffSeconds: 1, maximumBackoffSeconds: 10 },
  });

  const file = JSON.parse(readFileSync(o.liveFile, 'utf8')) as Omit<LiveInput, 'tienda_id' | 'post_id'>;
  const live = { ...file, tienda_id: DEMO.tienda, post_id: DEMO.postId, status: 'scheduled' as const, live_id: file.live_id };
  await new TiendaStore(firestore).upsert({ id: DEMO.tienda, name: DEMO.tiendaName, country: 'CL', currency: 'CLP', payment_provider: 'mercadopago', meta_page_id: DEMO.pageId, instagram_account_id: DEMO.igId });
  const lives = new LiveStore(firestore);
  await lives.upsert(live);
  // On air from now: the on-air window starts here, so every comment of the demo is sold on.
  await lives.setStatus(DEMO.tienda, live.live_id, 'live');
  return { projectId: o.projectId, ingressUrl: ingress.url, workerUrl: worker.url, notifierUrl: notifier.url, mp, flow, paypal, gemini, bq, graph, firestore, pubsub, live };
}
