import Router from '@koa/router';
import Koa from 'koa';
import { notificationDeliveryV1Schema } from '../../shared/events/event-schemas.js';
import { requestContext } from '../../shared/http/request-context.js';
import type { IdempotencyStore } from '../../shared/idempotency/idempotency-store.js';
import { createPushAuth, type PushAuthOptions } from '../../shared/pubsub/push-auth.js';
import { createPushHandler, type PushOutcome } from '../../shared/pubsub/push-handler.js';
import type { Publisher } from '../../shared/pubsub/publisher.js';
import type { SecretSource } from '../../shared/secrets/secret-source.js';
import { consumerFor, TOPIC_NAMES } from '../../shared/topology/topology.js';
import { recordDeadLetter, type AnalyticsSink } from '../../shared/analytics/analytics-recorder.js';
import type { GraphClient } from './graph-client.js';
import { handleNotification, type NotificationDisposition } from './handlers/notification-handler.js';

export interface NotifierDeps {
  idempotency: IdempotencyStore;
  secrets: SecretSource;
  graph: GraphClient;
  publisher: Publisher;
  analytics: AnalyticsSink;
  retrySchedule: readonly number[];
  pushAuth: PushAuthOptions;
  /** Called with what each handled notification became (metrics, tests). */
  onDelivered?: (disposition: NotificationDisposition, notificationId: string) => void;
  onOutcome?: (outcome: PushOutcome, message: { messageId: string; attempt: number }) => void;
  now?: () => number;
}

/** Builds the notifier's Koa app (health + the notification_delivery push endpoint); never listens (main.ts does). */
export function createApp(deps: NotifierDeps): Koa {
  const app = new Koa({ proxy: true });
  const router = new Router();
  const now = deps.now ?? Date.now;
  const consumer = consumerFor(TOPIC_NAMES.notificationDelivery);

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
      retrySchedule: deps.retrySchedule,
      onDeadLetter: recordDeadLetter(deps.analytics, now),
      ...(deps.onOutcome ? { onOutcome: deps.onOutcome } : {}),
      ...(deps.now ? { now: deps.now } : {}),
      handle: async ({ data, attempt }) => {
        const disposition = await handleNotification(data, deps, { attempt });
        deps.onDelivered?.(disposition, data.notification_id);
      },
    }),
  );

  app.use(requestContext());
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
