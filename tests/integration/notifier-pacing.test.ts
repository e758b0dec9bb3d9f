import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BigQueryAnalyticsSink } from '../../shared/analytics/analytics-sink.js';
import { analyticsFromBigQuery } from '../../shared/analytics/analytics-recorder.js';
import type { NotificationDeliveryV1 } from '../../shared/events/event-schemas.js';
import { IdempotencyStore } from '../../shared/idempotency/idempotency-store.js';
import { createPublisher } from '../../shared/pubsub/publisher.js';
import { createSecretSource } from '../../shared/secrets/create-secret-source.js';
import { secretIdToEnvName } from '../../shared/secrets/env-secret-source.js';
import { provisionTopology } from '../../shared/topology/provision-topology.js';
import { consumerFor, TOPIC_NAMES } from '../../shared/topology/topology.js';
import { createApp } from '../../services/notifier/app.js';
import { ConversationStore } from '../../services/notifier/conversation-store.js';
import { createGraphClient } from '../../services/notifier/graph-client.js';
import { pageTokenSecretId, type NotificationDisposition } from '../../services/notifier/handlers/notification-handler.js';
import { PagePacer } from '../../services/notifier/page-pacer.js';
import { startBigQueryFake, type BigQueryFake } from '../fakes/bigquery-fake.js';
import { startMetaGraphFake, type MetaGraphFake } from '../fakes/meta-graph-fake.js';
import { emulatorClients, listen, waitUntil } from '../helpers/test-kit.js';

/**
 * A burst for one Page stays under the configured per-Page rate, measured where Meta would measure it: the Graph
 * fake counts the requests that arrived in every one-second window. No wall-clock totals are asserted.
 */

const TIENDA = 'tienda-burst';
const PAGE = '4444444444';
const OTHER_PAGE = '5555555555';
const TOKEN = 'EAAG-page-token-burst';
const RATE = 10;
const BURST = 200;

describe('notifier: per-Page send pacing', () => {
  const { projectId, pubsub, firestore } = emulatorClients();
  const publisher = createPublisher(pubsub);
  const consumer = consumerFor(TOPIC_NAMES.notificationDelivery);
  const delivered: Array<{ id: string; disposition: NotificationDisposition }> = [];
  let meta: MetaGraphFake;
  let bq: BigQueryFake;
  let pacer: PagePacer;
  let server: Awaited<ReturnType<typeof listen>>;

  beforeAll(async () => {
    meta = await startMetaGraphFake({ pageTokens: { [PAGE]: TOKEN, [OTHER_PAGE]: TOKEN } });
    bq = await startBigQueryFake({ dataset: 'livestreamsell' });
    // The whole burst fits in the queue (200 / 10 per s = 20 s) so that every message goes out on its first delivery.
    pacer = new PagePacer({ ratePerPage: RATE, maxQueueWaitMs: 25_000 });
    server = await listen(
      createApp({
        idempotency: new IdempotencyStore(firestore),
        secrets: createSecretSource({ source: 'env', projectId, env: { [secretIdToEnvName(pageTokenSecretId(TIENDA))]: TOKEN } }),
        graph: createGraphClient({ baseUrl: meta.url, timeoutMs: 5000, onUsage: (a, u) => pacer.noteUsage(a, u) }),
        conversations: new ConversationStore(firestore),
        pacer,
        publisher,
        analytics: analyticsFromBigQuery(new BigQueryAnalyticsSink({ projectId, dataset: 'livestreamsell', apiEndpoint: bq.url, maxAttempts: 2, retryDelayMs: 10 })),
        retrySchedule: [500, 1000, 2000, 3000, 5000],
        pushAuth: { enabled: false, allowedServiceAccounts: [] },
        onDelivered: (disposition, id) => delivered.push({ id, disposition }),
      }),
    );
    await provisionTopology(pubsub, { endpoints: { notifier: server.url }, consumers: [consumer], nativeRetry: { minimumBackoffSeconds: 1, maximumBackoffSeconds: 2 } });
  });
  afterAll(async () => {
    await server.close();
    await pacer.stop();
    await publisher.close();
    await meta.close();
    await bq.close();
    await Promise.allSettled([pubsub.close(), firestore.terminate()]);
  });

  const n = (i: number, account = PAGE): NotificationDeliveryV1 => ({
    schema_version: '1.0',
    notification_id: `burst-${account}-${i}:payment_link`,
    tienda_id: TIENDA,
    live_id: null,
    platform: 'facebook',
    account_id: account,
    comment_id: `${account}_live_${i}`,
    author_id: null,
    author_name: null,
    kind: 'payment_link',
    text: `Pedido ${i}: paga aquí https://pay.example/${i}`,
    order_id: `order-${i}`,
    payment_url: `https://pay.example/${i}`,
    event_at: new Date().toISOString(),
  });

  it(`a burst of ${BURST} notifications for one Page: every one sent, never more than ${RATE} requests in any second`, async () => {
    const burst = Array.from({ length: BURST }, (_, i) => n(i));
    await Promise.all(burst.map((m) => publisher.publishJson(TOPIC_NAMES.notificationDelivery, m, { event: 'notification_delivery', idempotencyKey: `notification:${m.notification_id}`, schemaVersion: '1.0', tiendaId: TIENDA })));
    await waitUntil(() => new Set(delivered.map((d) => d.id)).size >= BURST, 120_000, `${BURST} notifications handled (got ${delivered.length})`);
    expect(meta.replies.filter((r) => r.accountId === PAGE)).toHaveLength(BURST);
    expect(delivered.every((d) => d.disposition === 'sent')).toBe(true);
    const perSecond = meta.maxRequestsPerWindow(PAGE, 1000);
    expect(perSecond).toBeLessThanOrEqual(RATE);
    // The pacing is what bounded it: sends were held back for their turn (the burst was not merely slow to arrive).
    expect(pacer.heldBack(PAGE)).toBeGreaterThan(0);
  });

  it('Meta’s usage headers near the limit slow one Page down, then pause it; the paused message retries through the schedule', async () => {
    expect(pacer.minTimeFor(OTHER_PAGE)).toBe(Math.ceil(1050 / RATE));
    meta.setUsage({ business: { '1234567890': [{ type: 'messenger', call_count: 85, total_cputime: 10, total_time: 10, estimated_time_to_regain_access: 0 }] } });
    const first = n(1000, OTHER_PAGE);
    await publisher.publishJson(TOPIC_NAMES.notificationDelivery, first, { event: 'notification_delivery', idempotencyKey: `notification:${first.notification_id}`, schemaVersion: '1.0', tiendaId: TIENDA });
    await waitUntil(() => delivered.some((d) => d.id === first.notification_id), 20_000, 'the first send');
    expect(pacer.minTimeFor(OTHER_PAGE)).toBeGreaterThan(Math.ceil(1050 / RATE));
    expect(pacer.minTimeFor(PAGE)).toBe(Math.ceil(1050 / RATE)); // Business Use Case usage is per Page

    // Meta says 97 % and 1 minute to regain access: the Page is paused, the next message is not sent but scheduled.
    meta.setUsage({ business: { '1234567890': [{ type: 'messenger', call_count: 97, total_cputime: 10, total_time: 10, estimated_time_to_regain_access: 1 }] } });
    const second = n(1001, OTHER_PAGE);
    await publisher.publishJson(TOPIC_NAMES.notificationDelivery, second, { event: 'notification_delivery', idempotencyKey: `notification:${second.notification_id}`, schemaVersion: '1.0', tiendaId: TIENDA });
    await waitUntil(() => delivered.some((d) => d.id === second.notification_id), 20_000, 'the second send (it carried the 97 % answer)');
    const before = meta.requests.filter((r) => r.accountId === OTHER_PAGE).length;
    const third = n(1002, OTHER_PAGE);
    await publisher.publishJson(TOPIC_NAMES.notificationDelivery, third, { event: 'notification_delivery', idempotencyKey: `notification:${third.notification_id}`, schemaVersion: '1.0', tiendaId: TIENDA });
    await waitUntil(() => bq.rows('notifications').some((r) => r.notification_id === third.notification_id && r.status === 'retrying'), 20_000, 'the paused message scheduled for a retry');
    expect(bq.rows('notifications').find((r) => r.notification_id === third.notification_id && r.status === 'retrying')).toMatchObject({ reason: 'meta_usage_high', channel: 'private_reply' });
    expect(meta.requests.filter((r) => r.accountId === OTHER_PAGE).length).toBe(before);
  });
});
