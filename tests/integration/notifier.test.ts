import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BigQueryAnalyticsSink } from '../../shared/analytics/analytics-sink.js';
import type { NotificationDeliveryV1 } from '../../shared/events/event-schemas.js';
import { IdempotencyStore } from '../../shared/idempotency/idempotency-store.js';
import { createPublisher } from '../../shared/pubsub/publisher.js';
import { createSecretSource } from '../../shared/secrets/create-secret-source.js';
import { secretIdToEnvName } from '../../shared/secrets/env-secret-source.js';
import { provisionTopology } from '../../shared/topology/provision-topology.js';
import { ATTR, consumerFor, TOPIC_NAMES } from '../../shared/topology/topology.js';
import { createApp } from '../../services/notifier/app.js';
import { ConversationStore } from '../../services/notifier/conversation-store.js';
import { createGraphClient } from '../../services/notifier/graph-client.js';
import { INVITATION } from '../../services/notifier/message-builder.js';
import { pageTokenSecretId, type NotificationDisposition } from '../../services/notifier/handlers/notification-handler.js';
import { analyticsFromBigQuery } from '../../shared/analytics/analytics-recorder.js';
import { startBigQueryFake, type BigQueryFake } from '../fakes/bigquery-fake.js';
import { startMetaGraphFake, type MetaGraphFake } from '../fakes/meta-graph-fake.js';
import { collect, emulatorClients, listen, sleep, waitUntil } from '../helpers/test-kit.js';

const consumer = consumerFor(TOPIC_NAMES.notificationDelivery);
const TIENDA = 'moda-valpo';
const PAGE = '2222222222';
const IG = '17841400000000002';
const TOKEN = 'EAAG-page-token-moda-valpo';

function notification(id: string, over: Partial<NotificationDeliveryV1> = {}): NotificationDeliveryV1 {
  return {
    schema_version: '1.0',
    notification_id: id,
    tienda_id: TIENDA,
    live_id: 'live-2026-11-29',
    platform: 'facebook',
    account_id: PAGE,
    comment_id: `${PAGE}_555000111_${id}`,
    author_id: '6100000000001',
    author_name: 'Javiera Soto',
    kind: 'payment_link',
    text: `¡Listo! Reservamos tu polera roja M. Paga aquí: https://pay.example/${id}`,
    order_id: `order-${id}`,
    payment_url: `https://pay.example/${id}`,
    event_at: '2026-11-29T10:00:00.000Z',
    ...over,
  };
}

describe('notifier: notification_delivery → Meta private reply, on the emulators', () => {
  const { projectId, pubsub, firestore } = emulatorClients();
  const publisher = createPublisher(pubsub);
  const delivered: Array<{ id: string; disposition: NotificationDisposition }> = [];
  let meta: MetaGraphFake;
  let bq: BigQueryFake;
  let server: Awaited<ReturnType<typeof listen>>;
  let dlq: ReturnType<typeof collect>;

  beforeAll(async () => {
    meta = await startMetaGraphFake({ pageTokens: { [PAGE]: TOKEN, [IG]: TOKEN } });
    bq = await startBigQueryFake({ dataset: 'livestreamsell' });
    const app = createApp({
      idempotency: new IdempotencyStore(firestore),
      // The env path of the real secret source: `tienda-<id>-meta-page-token` → TIENDA_<ID>_META_PAGE_TOKEN.
      secrets: createSecretSource({ source: 'env', projectId, env: { [secretIdToEnvName(pageTokenSecretId(TIENDA))]: TOKEN } }),
      graph: createGraphClient({ baseUrl: meta.url, timeoutMs: 2000 }),
      conversations: new ConversationStore(firestore),
      publisher,
      analytics: analyticsFromBigQuery(new BigQueryAnalyticsSink({ projectId, dataset: 'livestreamsell', apiEndpoint: bq.url, maxAttempts: 2, retryDelayMs: 10 })),
      retrySchedule: [200, 400, 600, 800, 1000],
      pushAuth: { enabled: false, allowedServiceAccounts: [] },
      onDelivered: (disposition, id) => delivered.push({ id, disposition }),
    });
    server = await listen(app);
    // Instagram private replies need the live on air.
    await firestore.collection('tiendas').doc(TIENDA).collection('lives').doc('live-2026-11-29').set({ status: 'live' });
    await provisionTopology(pubsub, { endpoints: { notifier: server.url }, consumers: [consumer], nativeRetry: { minimumBackoffSeconds: 1, maximumBackoffSeconds: 2 } });
    dlq = collect(pubsub, consumer.deadLetterSubscription);
  });
  afterAll(async () => {
    await dlq.close();
    await server.close();
    await publisher.close();
    await meta.close();
    await bq.close();
    await Promise.allSettled([pubsub.close(), firestore.terminate()]);
  });

  const publish = (body: unknown, id: string) =>
    publisher.publishJson(TOPIC_NAMES.notificationDelivery, body, { event: 'notification_delivery', idempotencyKey: `notification:${id}`, schemaVersion: '1.0', tiendaId: TIENDA });
  const repliesTo = (commentId: string) => meta.replies.filter((r) => r.commentId === commentId);
  const callsFor = (commentId: string) => meta.requests.filter((r) => (r.body as { recipient?: { comment_id?: string } })?.recipient?.comment_id === commentId);
  const rowsOf = (id: string) => bq.rows('notifications').filter((r) => r.notification_id === id);
  const deadLetterOf = (id: string) => dlq.messages.find((m) => m.attributes[ATTR.idempotencyKey] === `notification:${id}`);

  it('a notification_delivery v1.0 message becomes exactly one private reply with the right recipient, text and token', async () => {
    const n = notification('n-one');
    await publish(n, n.notification_id);
    await waitUntil(() => repliesTo(n.comment_id).length > 0, 15_000, 'the private reply');
    await waitUntil(() => rowsOf('n-one').length > 0, 15_000, 'the notifications row');
    await sleep(1500);
    expect(repliesTo(n.comment_id)).toHaveLength(1);
    expect(repliesTo(n.comment_id)[0]).toMatchObject({ accountId: PAGE, text: `${n.text}\n\n${INVITATION.facebook}`, token: TOKEN, version: 'v21.0' });
    // The payment link as a button, and a postback that invites the answer opening the 24 h window.
    expect(repliesTo(n.comment_id)[0]!.message).toMatchObject({
      attachment: { type: 'template', payload: { template_type: 'button', buttons: [{ type: 'web_url', url: n.payment_url }, { type: 'postback' }] } },
    });
    expect(callsFor(n.comment_id).map((r) => [r.path, r.tokenVia, r.status])).toEqual([[`/v21.0/${PAGE}/messages`, 'header', 200]]);
    expect(delivered.filter((d) => d.id === 'n-one')).toEqual([{ id: 'n-one', disposition: 'sent' }]);
    expect(rowsOf('n-one')).toEqual([
      expect.objectContaining({ tienda_id: TIENDA, live_id: n.live_id, platform: 'facebook', comment_id: n.comment_id, order_id: n.order_id, kind: 'payment_link', status: 'sent', channel: 'private_reply', format: 'button_template', attempt: 1, http_status: 200, error_code: null }),
    ]);
    expect(bq.insertIds('notifications')).toContain('notification:n-one');
  });

  it('an Instagram notification replies from the IG account', async () => {
    const n = notification('n-ig', { platform: 'instagram', account_id: IG, comment_id: '17900000000000077', kind: 'question_answer', order_id: null, payment_url: null });
    await publish(n, n.notification_id);
    await waitUntil(() => repliesTo(n.comment_id).length > 0, 15_000, 'the IG private reply');
    expect(repliesTo(n.comment_id)[0]).toMatchObject({ accountId: IG, token: TOKEN });
    await waitUntil(() => rowsOf('n-ig').length > 0, 15_000, 'the notifications row');
    expect(rowsOf('n-ig')[0]).toMatchObject({ platform: 'instagram', status: 'sent', order_id: null });
  });

  it('the same notification published twice → one reply', async () => {
    const n = notification('n-twice');
    await Promise.all([publish(n, n.notification_id), publish(n, n.notification_id)]);
    await waitUntil(() => delivered.filter((d) => d.id === 'n-twice').length >= 2, 20_000, 'both deliveries handled');
    await sleep(1000);
    expect(repliesTo(n.comment_id)).toHaveLength(1);
    expect(delivered.filter((d) => d.id === 'n-twice').map((d) => d.disposition).sort()).toEqual(['duplicate', 'sent']);
    // Meta was asked once: the second delivery stopped at the idempotency claim.
    expect(callsFor(n.comment_id)).toHaveLength(1);
    expect(rowsOf('n-twice').filter((r) => r.status === 'sent')).toHaveLength(1);
  });

  it('613 (rate limit), then success → one reply after a scheduled retry', async () => {
    const n = notification('n-613');
    meta.failNext(613);
    await publish(n, n.notification_id);
    await waitUntil(() => repliesTo(n.comment_id).length > 0, 20_000, 'the reply after the retry');
    await waitUntil(() => rowsOf('n-613').some((r) => r.status === 'sent'), 15_000, 'the sent row');
    await sleep(1500);
    expect(repliesTo(n.comment_id)).toHaveLength(1);
    expect(callsFor(n.comment_id).map((r) => [r.status, r.errorCode])).toEqual([
      [400, 613],
      [200, null],
    ]);
    const rows = rowsOf('n-613').sort((a, b) => Number(a.attempt) - Number(b.attempt));
    expect(rows).toEqual([
      expect.objectContaining({ status: 'retrying', attempt: 1, http_status: 400, error_code: '613' }),
      expect.objectContaining({ status: 'sent', attempt: 2, http_status: 200, error_code: null }),
    ]);
    expect(deadLetterOf('n-613')).toBeUndefined();
  });

  it('a permanent Meta error (551) → dead-lettered with the reason, no retry, no reply', async () => {
    const n = notification('n-551');
    meta.failNext(551);
    await publish(n, n.notification_id);
    await waitUntil(() => deadLetterOf('n-551') !== undefined, 20_000, 'the dead letter');
    const dead = deadLetterOf('n-551')!;
    expect(dead.attributes[ATTR.deadLetterReason]).toMatch(/^meta_recipient_unavailable: .*551/);
    expect(dead.attributes[ATTR.retryAttempt]).toBeUndefined();
    expect(JSON.parse(dead.attributes['failure_0']!)).toMatchObject({ attempt: 0, kind: 'permanent', reason: 'meta_recipient_unavailable' });
    expect(dead.json()).toEqual(n);
    await sleep(2000);
    expect(callsFor(n.comment_id)).toHaveLength(1);
    expect(repliesTo(n.comment_id)).toHaveLength(0);
    expect(rowsOf('n-551')).toEqual([expect.objectContaining({ status: 'failed', attempt: 1, error_code: '551/1545041' })]);
    await waitUntil(() => bq.rows('dead_letters').some((r) => String(r.reason).startsWith('meta_recipient_unavailable')), 10_000, 'the dead_letters row');
  });

  it('an invalid message (schema) → dead-lettered without calling Meta', async () => {
    const bad = { ...notification('n-bad'), schema_version: '2.0', extra: true };
    await publish(bad, 'n-bad');
    await waitUntil(() => deadLetterOf('n-bad') !== undefined, 20_000, 'the dead letter');
    expect(deadLetterOf('n-bad')!.attributes[ATTR.deadLetterReason]).toMatch(/^schema_invalid: /);
    expect(callsFor(bad.comment_id)).toHaveLength(0);
    expect(rowsOf('n-bad')).toHaveLength(0);
  });

  it('one notifications row per sent reply', async () => {
    const sentRows = bq.rows('notifications').filter((r) => r.status === 'sent');
    expect(sentRows.map((r) => r.comment_id).sort()).toEqual(meta.replies.map((r) => r.commentId).sort());
  });
});
