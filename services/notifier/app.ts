import Router from '@koa/router';
import Koa from 'koa';
import { buyerMessageEventSchema, notificationDeliveryV1Schema } from '../../shared/events/event-schemas.js';
import { requestContext } from '../../shared/http/request-context.js';
import type { IdempotencyStore } from '../../shared/idempotency/idempotency-store.js';
import { createPushAuth, type PushAuthOptions } from '../../shared/pubsub/push-auth.js';
import { createPushHandler, type PushOutcome } from '../../shared/pubsub/push-handler.js';
import type { Publisher } from '../../shared/pubsub/publisher.js';
import type { SecretSource } from '../../shared/secrets/secret-source.js';
import { consumerFor, TOPIC_NAMES } from '../../shared/topology/topology.js';
import { recordDeadLetter, type AnalyticsSink } from '../../shared/analytics/analytics-recorder.js';
import type { ConversationStore } from './conversation-store.js';
import type { GraphClient } from './graph-client.js';
import { handleBuyerMessage } from './handlers/buyer-message-handler.js';
import { handleNotification, type NotificationDisposition } from './handlers/notification-handler.js';
import { PagePacer } from './page-pacer.js';

export interface NotifierDeps {
  idempotency: IdempotencyStore;
  secrets: SecretSource;
  graph: GraphClient;
  /** Conversations, private-reply claims, Page settings, live status (Firestore). */
  conversations: ConversationStore;
  /** Per-Page send pacing; default: 50 sends/s per Page, 15 s longest queue wait. */
  pacer?: PagePacer;
  publisher: Publisher;
  analytics: AnalyticsSink;
  retrySchedule: readonly number[];
  pushAuth: PushAuthOptions;
  /** Called with what each handled notification became (metrics, tests). */
  onDelivered?: (disposition: NotificationDisposition, notificationId: string) => void;
  /** Called with the mid of each buyer message recorded (tests). */
  onBuyerMessage?: (mid: string) => void;
  onOutcome?: (outcome: PushOutcome, message: { messageId: string; attempt: number }) => void;
  now?: () => number;
}

/** Builds the notifier's Koa app (health + the notification_delivery and buyer_messages push endpoints); never listens (main.ts does). */
export function createApp(deps: NotifierDeps): Koa {
  const app = new Koa({ proxy: true });
  const router = new Router();
  const now = deps.now ?? Date.now;
  const consumer = consumerFor(TOPIC_NAMES.notificationDelivery);
  const buyerConsumer = consumerFor(TOPIC_NAMES.buyerMessages);
  const pacer = deps.pacer ?? new PagePacer({ ratePerPage: 50, maxQueueWaitMs: 15_000 });
  const handlerDeps = { ...deps, pacer };

  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.post(
    consumer.path,
    createPushAuth(deps.pushAuth),
    createPushHandler({
      consumer,
      schema: notificationDeliveryV1Schema,
      publisher: deps.publisher,
      handoffs: deps.idempotency,
      retrySchedule: deps.retrySchedule,
      onDeadLetter: recordDeadLetter(deps.analytics, now),
      ...(deps.onOutcome ? { onOutcome: deps.onOutcome } : {}),
      ...(deps.now ? { now: deps.now } : {}),
      handle: async ({ data, attempt }) => {
        const disposition = await handleNotification(data, handlerDeps, { attempt });
        deps.onDelivered?.(disposition, data.notification_id);
      },
    }),
  );
  router.post(
    buyerConsumer.path,
    createPushAuth(deps.pushAuth),
    createPushHandler({
      consumer: buyerConsumer,
      schema: buyerMessageEventSchema,
      publisher: deps.publisher,
      handoffs: deps.idempotency,
      retrySchedule: deps.retrySchedule,
      onDeadLetter: recordDeadLetter(deps.analytics, now),
      ...(deps.onOutcome ? { onOutcome: deps.onOutcome } : {}),
      ...(deps.now ? { now: deps.now } : {}),
      handle: async ({ data }) => {
        await handleBuyerMessage(data, deps);
        deps.onBuyerMessage?.(data.data.mid);
      },
    }),
  );

  app.use(requestContext());
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
