import Router from '@koa/router';
import Koa from 'koa';
import type { Firestore } from '@google-cloud/firestore';
import { aiProcessingV1Schema, feedCommentEventSchema, paymentFailureEventSchema, paymentSuccessEventSchema } from '../../shared/events/event-schemas.js';
import { z } from 'zod';
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
import { CommentStore } from './comments/comment-store.js';
import { OrderIntake } from './orders/order-intake.js';
import { OrderJobs } from './orders/order-jobs.js';
import { OrderOutcomes } from './orders/order-outcomes.js';
import { OrderStore } from './orders/order-store.js';
import type { PaymentLinkPort, PaymentStatusPort } from './orders/payment-link-port.js';
import { settlePayment } from './orders/payment-settlement.js';
import { StockAllocator } from './orders/stock-allocator.js';
import type { LiveMetricsJob } from './live-metrics/live-metrics-job.js';

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
  /** Payment links and payment re-reads at the tienda's provider (shared/payments). */
  links: PaymentLinkPort;
  paymentStatus: PaymentStatusPort;
  /** How long a reservation waits for its payment. */
  reservationMs: number;
  /** How long a comment's push waits for the allocator before it retries later. */
  allocationWaitMs: number;
  /** How long near-simultaneous purchases gather so they are served in comment order. */
  allocationGatherMs?: number;
  /** Replaces the order step (tests of the intent step alone). */
  onIntent?: (intent: StoredIntent, live: Live) => Promise<void>;
  /** Reads on-air lives' metrics from the Graph API into BigQuery `live_metrics` (absent: the job answers skipped). */
  liveMetrics?: LiveMetricsJob;
  onOutcome?: (outcome: PushOutcome, message: { messageId: string; attempt: number }) => void;
  /** Margin below each subscription's ack deadline for answering a push whose handler overran (`PUSH_BUDGET_MARGIN`). */
  pushBudgetMarginMs?: number;
  now?: () => number;
}

/** The order step's parts, built once per app from the worker's dependencies. */
export function createOrderParts(deps: WorkerDeps) {
  const now = deps.now;
  const orders = new OrderStore(deps.firestore);
  const comments = new CommentStore(deps.firestore);
  const allocator = new StockAllocator(deps.firestore, orders, {
    reservationMs: deps.reservationMs,
    ...(deps.allocationGatherMs !== undefined ? { gatherMs: deps.allocationGatherMs } : {}),
    ...(now ? { now } : {}),
  });
  const outcomes = new OrderOutcomes({ ...deps, orders, allocator, allocationWaitMs: deps.allocationWaitMs });
  const intake = new OrderIntake({ firestore: deps.firestore, orders, allocator, outcomes, comments, ...(now ? { now } : {}) });
  const jobs = new OrderJobs({ ...deps, orders, allocator, outcomes, payments: deps.paymentStatus });
  return { orders, comments, allocator, outcomes, intake, jobs };
}

/**
 * The worker's Cloud Scheduler jobs: HTTP POSTs behind the same OIDC check as the push endpoints. Terraform
 * declares one `google_cloud_scheduler_job` per entry (held against this list by tests/unit/terraform.test.ts).
 */
export const WORKER_JOBS = [
  { name: 'expire-reservations', path: '/jobs/expire-reservations', schedule: '* * * * *', what: 'releases overdue reservations, serves waitlists, finishes abandoned deliveries' },
  { name: 'reconcile-payments', path: '/jobs/reconcile-payments', schedule: '*/5 * * * *', what: 're-reads unpaid orders at their provider and publishes what webhooks missed' },
  { name: 'record-live-metrics', path: '/jobs/record-live-metrics', schedule: '* * * * *', what: "reads on-air lives' metrics (status, viewers) from the Graph API into BigQuery live_metrics" },
] as const;

const paymentEventSchema = z.discriminatedUnion('event', [paymentSuccessEventSchema, paymentFailureEventSchema]);

/** Builds the worker's Koa app (push endpoints and jobs); never listens (main.ts does). */
export function createApp(deps: WorkerDeps): Koa {
  const app = new Koa({ proxy: true });
  const parts = createOrderParts(deps);
  const onIntent = deps.onIntent ?? (async (intent: StoredIntent, live: Live) => void (await parts.intake.handle(intent, live)));
  const router = new Router();
  const common = {
    publisher: deps.publisher,
    handoffs: deps.idempotency,
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
    createPushHandler({ ...common, consumer: incoming, schema: feedCommentEventSchema, handle: async ({ data }) => void (await handleIncomingComment(data, { ...deps, comments: parts.comments })) }),
  );
  const ai = consumerFor(TOPIC_NAMES.aiProcessing);
  router.post(ai.path, auth, createPushHandler({ ...common, consumer: ai, schema: aiProcessingV1Schema, handle: async ({ data }) => void (await handleAiProcessing(data, { ...deps, onIntent })) }));
  const payments = consumerFor(TOPIC_NAMES.paymentEvents);
  router.post(
    payments.path,
    auth,
    createPushHandler({ ...common, consumer: payments, schema: paymentEventSchema, handle: async ({ data }) => void (await settlePayment(data, { ...deps, orders: parts.orders, outcomes: parts.outcomes })) }),
  );
  // Cloud Scheduler jobs: the same OIDC check as the push endpoints (Scheduler sends a Google-signed token).
  const runJob = {
    'expire-reservations': () => parts.jobs.expireReservations(),
    'reconcile-payments': () => parts.jobs.reconcilePayments(),
    'record-live-metrics': async () => (deps.liveMetrics ? deps.liveMetrics.run() : { lives: 0, recorded: 0, skipped: [{ reason: 'not_configured' }] }),
  };
  for (const job of WORKER_JOBS) {
    router.post(job.path, auth, async (ctx) => {
      ctx.body = await runJob[job.name]();
    });
  }

  app.use(requestContext());
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
