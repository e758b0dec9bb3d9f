import { createApp } from '../../services/ingress/app.js';
import type { IngressDeps } from '../../services/ingress/ingress-deps.js';
import { createFlowClient } from '../../shared/providers/flow-client.js';
import { createMercadoPagoClient } from '../../shared/providers/mercadopago-client.js';
import { createPayPalClient } from '../../shared/providers/paypal-client.js';
import { createPayPalVerifier } from '../../services/ingress/providers/paypal-verify.js';
import { IdempotencyStore } from '../../shared/idempotency/idempotency-store.js';
import { createPublisher } from '../../shared/pubsub/publisher.js';
import { EnvSecretSource } from '../../shared/secrets/env-secret-source.js';
import { TiendaStore } from '../../shared/tiendas/tienda-store.js';
import { TOPIC_NAMES } from '../../shared/topology/topology.js';
import { startFlowFake } from '../fakes/flow-fake.js';
import { startMercadoPagoFake } from '../fakes/mercadopago-fake.js';
import { startPayPalFake } from '../fakes/paypal-fake.js';
import { collect, createPullSubscription, emulatorClients, listen } from './test-kit.js';
export { unreachableFirestore, unreachablePublisher } from './test-kit.js';

/** Obviously fake credentials of the test tienda. */
export const TEST_SECRETS = {
  metaAppSecret: 'test-meta-app-secret',
  metaVerifyToken: 'test-verify-token',
  eventsHmac: 'test-events-hmac-secret',
  paypalWebhookId: 'WH-TEST-0001',
  mpWebhookSecret: 'test-mp-webhook-secret',
  mpAccessToken: 'TEST-mp-access-token',
  flowApiKey: 'TEST-flow-api-key',
  flowSecretKey: 'test-flow-secret-key',
  paypalClientId: 'TEST-paypal-client-id',
  paypalClientSecret: 'test-paypal-client-secret',
};

export const TEST_TIENDA = {
  id: 'tienda-test',
  name: 'Tienda de Prueba',
  country: 'CL',
  currency: 'CLP',
  payment_provider: 'mercadopago' as const,
  meta_page_id: '1111111111',
  instagram_account_id: '17841400000000001',
};

export function testSecretEnv(tiendaId = TEST_TIENDA.id): Record<string, string> {
  const T = `TIENDA_${tiendaId.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  return {
    META_APP_SECRET: TEST_SECRETS.metaAppSecret,
    META_VERIFY_TOKEN: TEST_SECRETS.metaVerifyToken,
    EVENTS_HMAC_SECRET: TEST_SECRETS.eventsHmac,
    PAYPAL_WEBHOOK_ID: TEST_SECRETS.paypalWebhookId,
    [`${T}_MERCADOPAGO_WEBHOOK_SECRET`]: TEST_SECRETS.mpWebhookSecret,
    [`${T}_MERCADOPAGO_ACCESS_TOKEN`]: TEST_SECRETS.mpAccessToken,
    [`${T}_FLOW_API_KEY`]: TEST_SECRETS.flowApiKey,
    [`${T}_FLOW_SECRET_KEY`]: TEST_SECRETS.flowSecretKey,
    [`${T}_PAYPAL_CLIENT_ID`]: TEST_SECRETS.paypalClientId,
    [`${T}_PAYPAL_CLIENT_SECRET`]: TEST_SECRETS.paypalClientSecret,
  };
}

/** Builds the real ingress app against the emulators and the providers' wire-level fakes. */
export async function startIngressHarness(overrides: Partial<IngressDeps> = {}) {
  const { projectId, pubsub, firestore } = emulatorClients();
  await createPullSubscription(pubsub, TOPIC_NAMES.incomingComments, 'test-incoming');
  await createPullSubscription(pubsub, TOPIC_NAMES.paymentEvents, 'test-payments');
  const mp = await startMercadoPagoFake({ accessTokens: [TEST_SECRETS.mpAccessToken] });
  const flow = await startFlowFake({ merchants: [{ apiKey: TEST_SECRETS.flowApiKey, secretKey: TEST_SECRETS.flowSecretKey }] });
  const paypal = await startPayPalFake({ clients: [{ clientId: TEST_SECRETS.paypalClientId, clientSecret: TEST_SECRETS.paypalClientSecret }] });
  const tiendas = new TiendaStore(firestore);
  await tiendas.upsert(TEST_TIENDA);
  const publisher = createPublisher(pubsub);
  const idempotency = new IdempotencyStore(firestore);
  const deps: IngressDeps = {
    config: { maxBodyBytes: 64 * 1024, signatureTolerance: 300_000, mercadopagoSignatureTolerance: 600_000 },
    secrets: new EnvSecretSource({ env: testSecretEnv() }),
    tiendas,
    idempotency,
    publisher,
    mercadopago: createMercadoPagoClient({ baseUrl: mp.url, timeoutMs: 2000 }),
    flow: createFlowClient({ baseUrl: flow.url, timeoutMs: 2000 }),
    paypal: createPayPalClient({ baseUrl: paypal.url, timeoutMs: 2000 }),
    paypalVerifier: createPayPalVerifier({ trustedCertOrigins: [paypal.url], fetchTimeoutMs: 2000 }),
    ...overrides,
  };
  const server = await listen(createApp(deps));
  const comments = collect(pubsub, 'test-incoming');
  const payments = collect(pubsub, 'test-payments');
  return {
    projectId,
    pubsub,
    firestore,
    deps,
    url: server.url,
    mp,
    flow,
    paypal,
    idempotency,
    comments,
    payments,
    async close() {
      await Promise.allSettled([comments.close(), payments.close()]);
      await server.close();
      await Promise.allSettled([publisher.close(), mp.close(), flow.close(), paypal.close()]);
      await Promise.allSettled([pubsub.close(), firestore.terminate()]);
    },
  };
}

export type IngressHarness = Awaited<ReturnType<typeof startIngressHarness>>;
