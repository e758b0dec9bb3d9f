import Router from '@koa/router';
import Koa from 'koa';
import type { Firestore } from '@google-cloud/firestore';
import { aiProcessingV1Schema, feedCommentEventSchema } from '../../shared/events/event-schemas.js';
import { requestContext } from '../../shared/http/request-context.js';
import type { IdempotencyStore } from '../../shared/idempotency/idempotency-store.js';
import type { PushAuthOptions } from '../../shared/pubsub/push-auth.js';
import { createPushAuth } from '../../shared/pubsub/push-auth.js';
import { createPushHandler, type PushOutcome } from '../../shared/pubsub/push-handler.js';
import type { Publisher } from '../../shared/pubsub/publisher.js';
import type { LiveStore } from '../../shared/tiendas/live-store.js';
import type { TiendaStore } from '../../shared/tiendas/tienda-store.js';
import { consumerFor, TOPIC_NAMES } from '../../shared/topology/topology.js';
import { recordDeadLetter, type AnalyticsSink } from '../../shared/analytics/analytics-recorder.js';
import { handleAiProcessing, type StoredIntent } from './handlers/ai-processing-handler.js';
import { handleIncomingComment } from './handlers/incoming-comment-handler.js';
import type { IntentService } from './intent/intent-service.js';
import type { Live } from '../../shared/tiendas/live-store.js';

export interface WorkerDeps {
  tiendas: TiendaStore;
  lives: LiveStore;
  firestore: Firestore;
  idempotency: IdempotencyStore;
  publisher: Publisher;
  analytics: AnalyticsSink;
  intents: IntentService;
  retrySchedule: readonly number[];
  pushAuth: PushAuthOptions;
  onIntent?: (intent: StoredIntent, live: Live) => Promise<void>;
  onOutcome?: (outcome: PushOutcome, message: { messageId: string; attempt: number }) => void;
  /** Margin below each subscription's ack deadline for answering a push whose handler overran (`PUSH_BUDGET_MARGIN`). */
  pushBudgetMarginMs?: number;
  now?: () => number;
}

/** Builds the worker's Koa app (push endpoints); never listens (main.ts does). */
export function createApp(deps: WorkerDeps): Koa {
  const app = new Koa({ proxy: true });
  const router = new Router();
  const common = {
    publisher: deps.publisher,
    retrySchedule: deps.retrySchedule,
    onDeadLetter: recordDeadLetter(deps.analytics, deps.now),
    ...(deps.onOutcome ? { onOutcome: deps.onOutcome } : {}),
    ...(deps.pushBudgetMarginMs !== undefined ? { budgetMarginMs: deps.pushBudgetMarginMs } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  };

  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok', llm: deps.intents.llmEnabled ? 'enabled' : 'off' };
  });
  const auth = createPushAuth(deps.pushAuth);
  const incoming = consumerFor(TOPIC_NAMES.incomingComments);
  router.post(
    incoming.path,
    auth,
    createPushHandler({ ...common, consumer: incoming, schema: feedCommentEventSchema, handle: async ({ data }) => void (await handleIncomingComment(data, deps)) }),
  );
  const ai = consumerFor(TOPIC_NAMES.aiProcessing);
  router.post(ai.path, auth, createPushHandler({ ...common, consumer: ai, schema: aiProcessingV1Schema, handle: async ({ data }) => void (await handleAiProcessing(data, deps)) }));

  app.use(requestContext());
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
