import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { IdempotencyStore } from '../../shared/idempotency/idempotency-store.js';
import { createLogger, setLogger } from '../../shared/logging/logger.js';
import { createPublisher } from '../../shared/pubsub/publisher.js';
import { runServer, startMain } from '../../shared/runtime/run-server.js';
import { createSecretSource } from '../../shared/secrets/create-secret-source.js';
import { TiendaStore } from '../../shared/tiendas/tienda-store.js';
import { createApp } from './app.js';
import { ingressConfig } from './config.js';
import { createFlowClient } from './providers/flow-client.js';
import { createMercadoPagoClient } from './providers/mercadopago-client.js';
import { createPayPalClient } from './providers/paypal-client.js';
import { createPayPalVerifier } from './providers/paypal-verify.js';

/** Order: config → logger → clients → server. */
export async function startIngress(env: Record<string, string | undefined> = process.env, options: { handleSignals?: boolean } = {}) {
  const config = ingressConfig.load(env);
  setLogger(createLogger({ level: config.logLevel, projectId: config.projectId, base: { service: 'ingress' } }));
  const pubsub = new PubSub({ projectId: config.projectId });
  const firestore = new Firestore({ projectId: config.projectId });
  const secrets = createSecretSource({
    source: config.secretsSource,
    projectId: config.projectId,
    env,
    cacheTtlMs: config.secretsCacheTtl,
    ...(config.secretManagerEndpoint ? { secretManagerEndpoint: config.secretManagerEndpoint } : {}),
  });
  const publisher = createPublisher(pubsub);
  const app = createApp({
    config,
    secrets,
    tiendas: new TiendaStore(firestore),
    idempotency: new IdempotencyStore(firestore, { leaseMs: config.idempotencyLease, ttlMs: config.idempotencyTtl }),
    publisher,
    mercadopago: createMercadoPagoClient({ baseUrl: config.mercadopagoApiUrl, timeoutMs: config.providerTimeout }),
    flow: createFlowClient({ baseUrl: config.flowApiUrl, timeoutMs: config.providerTimeout }),
    paypal: createPayPalClient({ baseUrl: config.paypalApiUrl, timeoutMs: config.providerTimeout }),
    paypalVerifier: createPayPalVerifier({ trustedCertOrigins: config.paypalTrustedCertOrigins, fetchTimeoutMs: config.providerTimeout }),
  });
  return runServer(app, {
    port: config.port,
    name: 'ingress',
    ...(options.handleSignals !== undefined ? { handleSignals: options.handleSignals } : {}),
    onClose: async () => {
      await publisher.close();
      await Promise.allSettled([pubsub.close(), firestore.terminate(), secrets.close?.()]);
    },
  });
}

if (import.meta.url === `file://${process.argv[1]}`) startMain('ingress', () => startIngress());
