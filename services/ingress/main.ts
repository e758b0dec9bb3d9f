import { IdempotencyStore } from '../../shared/idempotency/idempotency-store.js';
import { createLogger, setLogger } from '../../shared/logging/logger.js';
import { isMainModule, runServer, startMain } from '../../shared/runtime/run-server.js';
import { createServiceClients } from '../../shared/runtime/service-clients.js';
import { TiendaStore } from '../../shared/tiendas/tienda-store.js';
import { createApp } from './app.js';
import { ingressConfig } from './config.js';
import { createFlowClient } from '../../shared/providers/flow-client.js';
import { createMercadoPagoClient } from '../../shared/providers/mercadopago-client.js';
import { createPayPalClient } from '../../shared/providers/paypal-client.js';
import { createPayPalVerifier } from './providers/paypal-verify.js';
import { createPayPalOrdersClient } from '../../shared/payments/paypal-orders.js';

/** Order: config → logger → clients → server. */
export async function startIngress(env: Record<string, string | undefined> = process.env, options: { handleSignals?: boolean } = {}) {
  const config = ingressConfig.load(env);
  setLogger(createLogger({ level: config.logLevel, projectId: config.projectId, base: { service: 'ingress' } }));
  const clients = createServiceClients(config, env);
  const { firestore, secrets, publisher } = clients;
  const app = createApp({
    config,
    secrets,
    tiendas: new TiendaStore(firestore, { cacheTtlMs: config.tiendaCacheTtl }),
    idempotency: new IdempotencyStore(firestore, { leaseMs: config.idempotencyLease, ttlMs: config.idempotencyTtl }),
    publisher,
    mercadopago: createMercadoPagoClient({ baseUrl: config.mercadopagoApiUrl, timeoutMs: config.providerTimeout }),
    flow: createFlowClient({ baseUrl: config.flowApiUrl, timeoutMs: config.providerTimeout }),
    paypal: createPayPalClient({ baseUrl: config.paypalApiUrl, timeoutMs: config.providerTimeout }),
    paypalOrders: createPayPalOrdersClient({ baseUrl: config.paypalApiUrl, timeoutMs: config.providerTimeout }),
    paypalVerifier: createPayPalVerifier({
      trustedCertOrigins: config.paypalTrustedCertOrigins,
      fetchTimeoutMs: config.providerTimeout,
      maxAgeMs: config.paypalTransmissionTolerance,
    }),
  });
  return runServer(app, {
    port: config.port,
    name: 'ingress',
    ...(options.handleSignals !== undefined ? { handleSignals: options.handleSignals } : {}),
    onClose: () => clients.close(),
  });
}

if (isMainModule(import.meta.url)) startMain('ingress', () => startIngress());
