import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyticsOutbox, outboxDocId } from '../../shared/analytics/analytics-outbox.js';
import { analyticsFromBigQuery } from '../../shared/analytics/analytics-recorder.js';
import { BigQueryAnalyticsSink } from '../../shared/analytics/analytics-sink.js';
import { IdempotencyStore } from '../../shared/idempotency/idempotency-store.js';
import { createLogger, getLogger, setLogger } from '../../shared/logging/logger.js';
import { createPublisher } from '../../shared/pubsub/publisher.js';
import { LiveStore } from '../../shared/tiendas/live-store.js';
import { TiendaStore } from '../../shared/tiendas/tienda-store.js';
import { consumerFor, TOPIC_NAMES } from '../../shared/topology/topology.js';
import { createApp } from '../../services/worker/app.js';
import { IntentService } from '../../services/worker/intent/intent-service.js';
import { startBigQueryFake, type BigQueryFake } from '../fakes/bigquery-fake.js';
import { collect, createPullSubscription, emulatorClients, listen } from '../helpers/test-kit.js';
import { DEMO_CATALOG, LIVE_POST, WORKER_TIENDA, orderStepLeftOut } from '../helpers/worker-harness.js';

const BUYER = 'Fernanda Ilabaca';
const TEXT = 'quiero la roja talla M';

/**
 * A BigQuery outage (a stand-in that accepts the connection and never answers) must neither block nor fail a
 * comment, and must lose no row: the worker answers each push before its subscription's ack deadline, publishes
 * ai_processing, keeps the rows in the outbox, and a replay later stores them under their own insertIds.
 */
describe('analytics off the business path: BigQuery hangs, comments flow, rows are replayed', () => {
  const { projectId, pubsub, firestore } = emulatorClients();
  const publisher = createPublisher(pubsub, { timeoutMs: 5000 });
  const outbox = new AnalyticsOutbox(firestore);
  const previousLogger = getLogger();
  const logLines: string[] = [];
  let bq: BigQueryFake;
  let sink: BigQueryAnalyticsSink;
  let srv: Awaited<ReturnType<typeof listen>>;
  let ai: ReturnType<typeof collect>;

  beforeAll(async () => {
    bq = await startBigQueryFake({ dataset: 'livestreamsell' });
    const tiendas = new TiendaStore(firestore);
    const lives = new LiveStore(firestore);
    await tiendas.upsert(WORKER_TIENDA);
    await lives.upsert({ tienda_id: WORKER_TIENDA.id, live_id: DEMO_CATALOG.live_id, platform: 'facebook', post_id: LIVE_POST, status: 'live', started_at: '2026-01-01T00:00:00.000Z', title: 'Live', currency: 'CLP', featured_product: DEMO_CATALOG.featured_product, products: DEMO_CATALOG.products });
    await createPullSubscription(pubsub, TOPIC_NAMES.aiProcessing, 'observe-ai-outage');
    ai = collect(pubsub, 'observe-ai-outage');
    // The client's own per-request timeout is far longer than the insert deadline: only the enforced deadline helps.
    sink = new BigQueryAnalyticsSink({ projectId, dataset: 'livestreamsell', apiEndpoint: bq.url, retryDelayMs: 10, timeoutMs: 60_000 });
    setLogger(createLogger({ write: (line) => logLines.push(line) }));
    const app = createApp({
      tiendas,
      lives,
      firestore,
      idempotency: new IdempotencyStore(firestore),
      publisher,
      analytics: analyticsFromBigQuery(sink, { outbox, insertTimeoutMs: 1000 }),
      intents: new IntentService(null),
      retrySchedule: [200, 400],
      pushAuth: { enabled: false, allowedServiceAccounts: [] },
      // This test is about the intent step's analytics: the order step is left out.
      onIntent: async () => undefined,
      ...orderStepLeftOut(),
    });
    srv = await listen(app);
  });
  afterAll(async () => {
    setLogger(previousLogger);
    await ai.close();
    await srv.close();
    await publisher.close();
    await bq.close();
    await Promise.allSettled([pubsub.close(), firestore.terminate()]);
  });

  /** A push as Pub/Sub sends it; the client gives up at the subscription's ack deadline, like Pub/Sub does. */
  const push = (path: string, ackDeadlineSeconds: number, data: unknown, attributes: Record<string, string>) =>
    fetch(`${srv.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        subscription: 'projects/p/subscriptions/s',
        message: { data: Buffer.from(JSON.stringify(data)).toString('base64'), attributes, messageId: `m-${Math.random()}` },
      }),
      signal: AbortSignal.timeout(ackDeadlineSeconds * 1000),
    });

  it('with BigQuery hung, a comment is forwarded and classified, each push answered 2xx before its ack deadline', async () => {
    bq.failNextRequests(Infinity, 'hang');
    const incoming = consumerFor(TOPIC_NAMES.incomingComments);
    const comment = {
      event: 'feed_comment',
      timestamp: '2026-11-29T22:00:00.000Z',
      data: {
        platform: 'facebook', source_field: 'feed', account_id: WORKER_TIENDA.meta_page_id, post_id: LIVE_POST,
        comment_id: 'bq-out-1', parent_id: LIVE_POST, author_id: 'u-bq-out-1', author_name: BUYER, text: TEXT,
        created_time: '2026-11-29T22:00:00.000Z',
      },
    };
    const first = await push(incoming.path, incoming.ackDeadlineSeconds, comment, { event: 'feed_comment', idempotency_key: 'comment:bq-out-1' });
    expect(first.status).toBe(204);
    const [forwarded] = await ai.waitFor(1);
    expect(forwarded!.json()).toMatchObject({ comment_id: 'bq-out-1', text: TEXT });

    const aiConsumer = consumerFor(TOPIC_NAMES.aiProcessing);
    const second = await push(aiConsumer.path, aiConsumer.ackDeadlineSeconds, forwarded!.json(), forwarded!.attributes);
    expect(second.status).toBe(204);
    expect((await firestore.collection('comment_intents').doc('bq-out-1').get()).get('decision.result.intent')).toBe('purchase');

    expect(bq.hangingRequests).toBeGreaterThanOrEqual(2);
    expect(bq.insertIds('comments')).toEqual([]);
    const kept = await outbox.list('pending');
    expect(kept.map((e) => `${e.table}/${e.insertId}`).sort()).toEqual(['comments/comment:bq-out-1', 'intents/intent:bq-out-1']);
    expect((await firestore.collection('analytics_outbox').doc(outboxDocId('comments', 'comment:bq-out-1')).get()).get('state')).toBe('pending');
    // The rows (buyer's name, comment) are in the outbox, not in the logs.
    expect(logLines.join('\n')).not.toContain(TEXT);
    expect(logLines.join('\n')).not.toContain(BUYER);
  }, 120_000);

  it('a replay while BigQuery is still down keeps every row; after recovery it stores them with their own insertIds', async () => {
    const stillDown = await outbox.replay(new BigQueryAnalyticsSink({ projectId, dataset: 'livestreamsell', apiEndpoint: bq.url, timeoutMs: 300, requestRetries: 0 }));
    expect(stillDown).toEqual({ replayed: 0, rejected: 0, failed: 2 });
    expect(await outbox.list('pending')).toHaveLength(2);

    bq.recover();
    const result = await outbox.replay(sink);
    expect(result).toEqual({ replayed: 2, rejected: 0, failed: 0 });
    expect(bq.insertIds('comments')).toEqual(['comment:bq-out-1']);
    expect(bq.insertIds('intents')).toEqual(['intent:bq-out-1']);
    expect(bq.rows('comments')[0]).toMatchObject({ comment_id: 'bq-out-1', text: TEXT, disposition: 'forwarded' });
    expect(await outbox.list('pending')).toEqual([]);

    // Replaying again (or a row that did reach BigQuery late) changes nothing: same insertIds, de-duplicated.
    expect(await outbox.replay(sink)).toEqual({ replayed: 0, rejected: 0, failed: 0 });
  }, 60_000);
});
