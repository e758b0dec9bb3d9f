import { IdempotencyStore } from '../../shared/idempotency/idempotency-store.js';
import { createLogger, getLogger, setLogger } from '../../shared/logging/logger.js';
import { isMainModule, runServer, startMain } from '../../shared/runtime/run-server.js';
import { createServiceClients } from '../../shared/runtime/service-clients.js';
import { LiveStore } from '../../shared/tiendas/live-store.js';
import { TiendaStore } from '../../shared/tiendas/tienda-store.js';
import { analyticsFromConfig } from '../../shared/analytics/analytics-recorder.js';
import { AnalyticsOutbox } from '../../shared/analytics/analytics-outbox.js';
import { pushAuthFromConfig } from '../../shared/pubsub/push-auth.js';
import { createApp } from './app.js';
import { LiveMetricsJob } from './live-metrics/live-metrics-job.js';
import { PaymentLinks } from '../../shared/payments/payment-links.js';
import { FirestorePaymentLinkStore } from '../../shared/payments/payment-link-store.js';
import { providerPayments } from './orders/provider-payments.js';
import { workerConfig } from './config.js';
import { IntentService } from './intent/intent-service.js';
import { buildLlmProvidersFromOptions, createLlmIntentChain } from './intent/llm/llm-intent-chain.js';

/** Order: config → logger → clients → server. */
export async function startWorker(env: Record<string, string | undefined> = process.env, options: { handleSignals?: boolean } = {}) {
  const config = workerConfig.load(env);
  setLogger(createLogger({ level: config.logLevel, projectId: config.projectId, base: { service: 'worker' } }));
  const clients = createServiceClients(config, env);
  const { firestore, secrets, publisher } = clients;

  let chain = null;
  if (config.intentLlm === 'auto') {
    const [gemini, openai, openrouter] = await Promise.all([
      config.geminiUseVertex ? Promise.resolve(undefined) : secrets.getOptional('gemini-api-key'),
      secrets.getOptional('openai-api-key'),
      secrets.getOptional('openrouter-api-key'),
    ]);
    const providers = buildLlmProvidersFromOptions({
      gemini: {
        apiKey: gemini,
        ...(config.geminiUseVertex ? { vertex: { project: config.projectId, location: config.vertexLocation } } : {}),
        model: config.geminiModel,
        baseUrl: config.geminiApiUrl,
        timeoutMs: config.llmTimeout,
      },
      openai: { apiKey: openai, model: config.openaiModel, baseUrl: config.openaiApiUrl, timeoutMs: config.llmTimeout },
      openrouter: { apiKey: openrouter, model: config.openrouterModel, baseUrl: config.openrouterApiUrl, timeoutMs: config.llmTimeout },
      breaker: { failureThreshold: config.llmBreakerThreshold, coolDownMs: config.llmBreakerCooldown },
    });
    if (providers.length > 0) chain = createLlmIntentChain({ providers });
    getLogger().info('intent providers', { llm: providers.map((p) => p.name), local: true });
  }

  if (!config.ingressPublicUrl) getLogger().warn('INGRESS_PUBLIC_URL is not set: payment providers will be told to notify http://localhost:8080');
  const payments = providerPayments(
    new PaymentLinks({
      secrets,
      mercadopagoApiUrl: config.mercadopagoApiUrl,
      flowApiUrl: config.flowApiUrl,
      paypalApiUrl: config.paypalApiUrl,
      timeoutMs: config.providerTimeout,
      // A reservation shorter than a minute (a demo's compressed RESERVATION_TTL) still gets its link.
      minLifetimeMs: Math.min(60_000, Math.floor(config.reservationTtl / 2)),
      ...(config.paymentReturnUrl ? { returnUrl: config.paymentReturnUrl } : {}),
      ...(config.flowPayerEmail ? { flowPayerEmail: config.flowPayerEmail } : {}),
      linkStore: new FirestorePaymentLinkStore(firestore),
    }),
    config.ingressPublicUrl ?? 'http://localhost:8080',
  );
  const analytics = analyticsFromConfig(config, { outbox: new AnalyticsOutbox(firestore) });
  const tiendas = new TiendaStore(firestore, { cacheTtlMs: config.tiendaCacheTtl });
  const lives = new LiveStore(firestore, { cacheTtlMs: config.liveCacheTtl });
  const app = createApp({
    ...payments,
    reservationMs: config.reservationTtl,
    allocationWaitMs: config.allocationWait,
    allocationGatherMs: config.allocationGather,
    tiendas,
    lives,
    firestore,
    idempotency: new IdempotencyStore(firestore),
    publisher,
    analytics,
    liveMetrics: new LiveMetricsJob({ tiendas, lives, secrets, analytics, graphUrl: config.metaGraphUrl, timeoutMs: config.metaTimeout }),
    intents: new IntentService(chain),
    retrySchedule: config.retrySchedule,
    pushAuth: pushAuthFromConfig(config),
    pushBudgetMarginMs: config.pushBudgetMargin,
  });
  return runServer(app, {
    port: config.port,
    name: 'worker',
    ...(options.handleSignals !== undefined ? { handleSignals: options.handleSignals } : {}),
    onClose: () => clients.close(),
  });
}

if (isMainModule(import.meta.url)) startMain('worker', () => startWorker());
