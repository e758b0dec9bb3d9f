import { readFileSync } from 'node:fs';
import { BigQueryAnalyticsSink } from '../../shared/analytics/analytics-sink.js';
import { IdempotencyStore } from '../../shared/idempotency/idempotency-store.js';
import { createPublisher } from '../../shared/pubsub/publisher.js';
import { LiveStore, type LiveInput } from '../../shared/tiendas/live-store.js';
import { TiendaStore } from '../../shared/tiendas/tienda-store.js';
import { provisionTopology } from '../../shared/topology/provision-topology.js';
import { consumerFor, TOPIC_NAMES } from '../../shared/topology/topology.js';
import { analyticsFromBigQuery } from '../../shared/analytics/analytics-recorder.js';
import { createApp, type WorkerDeps } from '../../services/worker/app.js';
import { IntentService } from '../../services/worker/intent/intent-service.js';
import type { LlmIntentChain } from '../../services/worker/intent/llm/llm-intent-chain.js';
import { startBigQueryFake } from '../fakes/bigquery-fake.js';
import { startMercadoPagoFake } from '../fakes/mercadopago-fake.js';
import { EnvSecretSource, secretIdToEnvName } from '../../shared/secrets/env-secret-source.js';
import { PaymentLinks } from '../../shared/payments/payment-links.js';
import { FirestorePaymentLinkStore } from '../../shared/payments/payment-link-store.js';
import { providerPayments } from '../../services/worker/orders/provider-payments.js';
import { collect, createPullSubscription, emulatorClients, listen } from './test-kit.js';

export const DEMO_CATALOG = JSON.parse(readFileSync('data/catalog-demo.json', 'utf8')) as {
  tienda_id: string;
  live_id: string;
  currency: string;
  featured_product: string;
  products: LiveInput['products'];
};

export const WORKER_TIENDA = {
  id: DEMO_CATALOG.tienda_id,
  name: 'Moda Valpo',
  country: 'CL',
  currency: 'CLP',
  payment_provider: 'mercadopago' as const,
  meta_page_id: '2222222222',
  instagram_account_id: '17841400000000002',
};

export const LIVE_POST = `${WORKER_TIENDA.meta_page_id}_555000111`;
export const OFF_AIR_POST = `${WORKER_TIENDA.meta_page_id}_555000222`;

/** The real worker app on the emulators: push subscriptions deliver to it; BigQuery is the wire-level fake. */
export const MP_ACCESS_TOKEN = 'TEST-mp-access-token-moda-valpo';
export const INGRESS_PUBLIC_URL = 'https://ingress.example.test';

export interface WorkerHarnessOptions {
  chain?: LlmIntentChain | null;
  retrySchedule?: number[];
  /** Products of the live on air (default: the demo catalog). */
  products?: LiveInput['products'];
  reservationMs?: number;
  allocationGatherMs?: number;
  now?: () => number;
}

/** The real worker app on the emulators: push subscriptions deliver to it; BigQuery and Mercado Pago are wire-level fakes. */
export async function startWorkerHarness(options: WorkerHarnessOptions = {}) {
  const { projectId, pubsub, firestore } = emulatorClients();
  const bq = await startBigQueryFake({ dataset: 'livestreamsell' });
  const mp = await startMercadoPagoFake({ accessTokens: [MP_ACCESS_TOKEN] });
  const secrets = new EnvSecretSource({ env: { [secretIdToEnvName(`tienda-${WORKER_TIENDA.id}-mercadopago-access-token`)]: MP_ACCESS_TOKEN } });
  const paymentLinks = new PaymentLinks({ secrets, mercadopagoApiUrl: mp.url, timeoutMs: 5000, linkStore: new FirestorePaymentLinkStore(firestore) });
  const tiendas = new TiendaStore(firestore);
  const lives = new LiveStore(firestore);
  await tiendas.upsert(WORKER_TIENDA);
  // On air since long before the fixed comment times the tests use (on air is judged at the comment's time).
  await lives.upsert({ tienda_id: WORKER_TIENDA.id, live_id: DEMO_CATALOG.live_id, platform: 'facebook', post_id: LIVE_POST, status: 'live', started_at: '2026-01-01T00:00:00.000Z', title: 'Live de poleras', currency: 'CLP', featured_product: options.products ? options.products[0]!.code : DEMO_CATALOG.featured_product, products: options.products ?? DEMO_CATALOG.products });
  await lives.upsert({ tienda_id: WORKER_TIENDA.id, live_id: 'live-ended-1', platform: 'facebook', post_id: OFF_AIR_POST, status: 'ended', title: 'Ayer', currency: 'CLP', featured_product: null, products: DEMO_CATALOG.products });
  const publisher = createPublisher(pubsub);
  const deps: WorkerDeps = {
    tiendas,
    lives,
    firestore,
    idempotency: new IdempotencyStore(firestore),
    publisher,
    analytics: analyticsFromBigQuery(new BigQueryAnalyticsSink({ projectId, dataset: 'livestreamsell', apiEndpoint: bq.url, maxAttempts: 2, retryDelayMs: 10 })),
    intents: new IntentService(options.chain ?? null),
    retrySchedule: options.retrySchedule ?? [200, 400, 600, 800, 1000],
    pushAuth: { enabled: false, allowedServiceAccounts: [] },
    ...providerPayments(paymentLinks, INGRESS_PUBLIC_URL),
    reservationMs: options.reservationMs ?? 30 * 60_000,
    allocationWaitMs: 20_000,
    allocationGatherMs: options.allocationGatherMs ?? 300,
    ...(options.now ? { now: options.now } : {}),
  };
  const server = await listen(createApp(deps));
  const consumers = [consumerFor(TOPIC_NAMES.incomingComments), consumerFor(TOPIC_NAMES.aiProcessing), consumerFor(TOPIC_NAMES.paymentEvents)];
  await provisionTopology(pubsub, { endpoints: { worker: server.url }, consumers, nativeRetry: { minimumBackoffSeconds: 1, maximumBackoffSeconds: 2 } });
  await createPullSubscription(pubsub, TOPIC_NAMES.aiProcessing, 'observe-ai');
  const aiMessages = collect(pubsub, 'observe-ai');
  await createPullSubscription(pubsub, TOPIC_NAMES.notificationDelivery, 'observe-notifications');
  const notifications = collect(pubsub, 'observe-notifications');
  return {
    projectId,
    pubsub,
    firestore,
    deps,
    bq,
    publisher,
    url: server.url,
    aiMessages,
    notifications,
    mp,
    paymentLinks,
    async close() {
      await aiMessages.close();
      await notifications.close();
      await mp.close();
      await server.close();
      await publisher.close();
      await bq.close();
      await Promise.allSettled([pubsub.close(), firestore.terminate()]);
    },
  };
}
export type WorkerHarness = Awaited<ReturnType<typeof startWorkerHarness>>;

/**
 * For tests of the intent step alone (with `onIntent` replaced): the order step's settings and provider ports,
 * which then must never be reached — a call fails the test loudly.
 */
export function orderStepLeftOut(): Pick<WorkerDeps, 'links' | 'paymentStatus' | 'reservationMs' | 'allocationWaitMs'> {
  const unreachable = async (): Promise<never> => {
    throw new Error('the order step is not part of this test');
  };
  return { links: { create: unreachable }, paymentStatus: { find: unreachable }, reservationMs: 30 * 60_000, allocationWaitMs: 5000 };
}
