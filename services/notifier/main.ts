import { IdempotencyStore } from '../../shared/idempotency/idempotency-store.js';
import { createLogger, setLogger } from '../../shared/logging/logger.js';
import { isMainModule, runServer, startMain } from '../../shared/runtime/run-server.js';
import { createServiceClients } from '../../shared/runtime/service-clients.js';
import { analyticsFromConfig } from '../../shared/analytics/analytics-recorder.js';
import { AnalyticsOutbox } from '../../shared/analytics/analytics-outbox.js';
import { pushAuthFromConfig } from '../../shared/pubsub/push-auth.js';
import { createApp } from './app.js';
import { notifierConfig } from './config.js';
import { ConversationStore } from './conversation-store.js';
import { createGraphClient } from './graph-client.js';
import { PagePacer } from './page-pacer.js';

/** Order: config → logger → clients → server. */
export async function startNotifier(env: Record<string, string | undefined> = process.env, options: { handleSignals?: boolean } = {}) {
  const config = notifierConfig.load(env);
  setLogger(createLogger({ level: config.logLevel, projectId: config.projectId, base: { service: 'notifier' } }));
  const clients = createServiceClients(config, env);
  const { firestore, secrets, publisher } = clients;
  const pacer = new PagePacer({ ratePerPage: config.sendRatePerPage, maxQueueWaitMs: config.sendQueueMaxWait });
  const app = createApp({
    // The default 60 s lease outlasts two Send API calls (META_TIMEOUT each): a live claim is never taken over
    // while its holder may still be talking to Meta.
    idempotency: new IdempotencyStore(firestore),
    secrets,
    graph: createGraphClient({ baseUrl: config.metaGraphUrl, timeoutMs: config.metaTimeout, onUsage: (account, usage) => pacer.noteUsage(account, usage) }),
    conversations: new ConversationStore(firestore),
    pacer,
    publisher,
    analytics: analyticsFromConfig(config, { outbox: new AnalyticsOutbox(firestore) }),
    retrySchedule: config.retrySchedule,
    pushAuth: pushAuthFromConfig(config),
  });
  return runServer(app, {
    port: config.port,
    name: 'notifier',
    ...(options.handleSignals !== undefined ? { handleSignals: options.handleSignals } : {}),
    onClose: async () => {
      await pacer.stop();
      await clients.close();
    },
  });
}

if (isMainModule(import.meta.url)) startMain('notifier', () => startNotifier());
