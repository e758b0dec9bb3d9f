import type { Firestore } from '@google-cloud/firestore';
import type Koa from 'koa';
import { createApp as createNotifierApp } from '../../services/notifier/app.js';
import { ConversationStore } from '../../services/notifier/conversation-store.js';
import { createGraphClient } from '../../services/notifier/graph-client.js';
import { createApp as createWorkerApp } from '../../services/worker/app.js';
import { IntentService } from '../../services/worker/intent/intent-service.js';
import type { AnalyticsSink } from '../../shared/analytics/analytics-recorder.js';
import { IdempotencyStore } from '../../shared/idempotency/idempotency-store.js';
import type { Publisher } from '../../shared/pubsub/publisher.js';
import type { PushAuthOptions } from '../../shared/pubsub/push-auth.js';
import { EnvSecretSource } from '../../shared/secrets/env-secret-source.js';
import { LiveStore } from '../../shared/tiendas/live-store.js';
import { TiendaStore } from '../../shared/tiendas/tienda-store.js';
import type { ConsumerDefinition } from '../../shared/topology/topology.js';
import { orderStepLeftOut } from './worker-harness.js';

/**
 * The worker's and the notifier's real apps (createApp), for tests that ask their routers and their push-auth rather
 * than their work: no LLM, no order step, a Graph API nobody listens on, analytics dropped.
 */
export function consumerApps(deps: {
  firestore: Firestore;
  publisher: Publisher;
  pushAuth: (service: ConsumerDefinition['service']) => PushAuthOptions;
}): Record<ConsumerDefinition['service'], Koa> {
  const { firestore, publisher } = deps;
  const analytics: AnalyticsSink = { record: async () => undefined };
  return {
    worker: createWorkerApp({
      tiendas: new TiendaStore(firestore),
      lives: new LiveStore(firestore),
      firestore,
      idempotency: new IdempotencyStore(firestore),
      publisher,
      analytics,
      intents: new IntentService(null),
      retrySchedule: [1000],
      pushAuth: deps.pushAuth('worker'),
      ...orderStepLeftOut(),
    }),
    notifier: createNotifierApp({
      idempotency: new IdempotencyStore(firestore),
      secrets: new EnvSecretSource({ env: {} }),
      graph: createGraphClient({ baseUrl: 'http://127.0.0.1:9/v21.0', timeoutMs: 1000 }),
      conversations: new ConversationStore(firestore),
      publisher,
      analytics,
      retrySchedule: [1000],
      pushAuth: deps.pushAuth('notifier'),
    }),
  };
}
