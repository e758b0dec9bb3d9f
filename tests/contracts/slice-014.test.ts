/**
 * The integration contract of this slice, asserted against the running code (the ingress app, the worker
 * app, the push machinery, the topology provisioned on the emulator) — not against constants copied here.
 * The literal values below are the product owner's contract; the code must produce them.
 */
import { readFileSync } from 'node:fs';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { signMetaBody } from '../../services/ingress/providers/meta-signature.js';
import { signEventsRequest } from '../../services/ingress/events-auth.js';
import { workerConfig } from '../../services/worker/config.js';
import { aiProcessingV1Schema, basePayloadSchema } from '../../shared/events/event-schemas.js';
import { createPublisher } from '../../shared/pubsub/publisher.js';
import { createPushHandler } from '../../shared/pubsub/push-handler.js';
import { provisionTopology } from '../../shared/topology/provision-topology.js';
import { ATTR, consumerFor, TOPIC_NAMES } from '../../shared/topology/topology.js';
import { startIngressHarness, TEST_SECRETS, TEST_TIENDA, type IngressHarness } from '../helpers/ingress-harness.js';
import { fbFeedComment, pageWebhook } from '../helpers/meta-payloads.js';
import { collect, createPullSubscription, emulatorClients, listen, sleep, waitUntil } from '../helpers/test-kit.js';
import { DEMO_CATALOG, LIVE_POST, WORKER_TIENDA, startWorkerHarness, type WorkerHarness } from '../helpers/worker-harness.js';

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

describe('slice 014 contract', () => {
  let ingress: IngressHarness;
  beforeAll(async () => {
    ingress = await startIngressHarness();
  });
  afterAll(() => ingress.close());

  const metaPost = (body: unknown) => {
    const raw = JSON.stringify(body);
    return fetch(`${ingress.url}/webhooks/meta`, { method: 'POST', headers: { 'x-hub-signature-256': signMetaBody(raw, TEST_SECRETS.metaAppSecret) }, body: raw });
  };

  describe('inbound events in the base payload {event, timestamp, data}', () => {
    it('feed_comment, payment_success and payment_failure are published by the ingress, each exactly in the base payload', async () => {
      const page = TEST_TIENDA.meta_page_id;
      expect((await metaPost(pageWebhook(page, [fbFeedComment(page, 'contract-c1', 'quiero la roja')]))).status).toBe(200);
      ingress.mp.setPayment({ id: 9101, status: 'approved', external_reference: 'order-1' });
      const n = ingress.mp.signedNotification({ paymentId: 9101, secret: TEST_SECRETS.mpWebhookSecret, path: `/webhooks/mercadopago/${TEST_TIENDA.id}` });
      expect((await ingress.mp.deliverNotification(ingress.url, n)).status).toBe(200);
      const f = ingress.flow.addPayment({ apiKey: TEST_SECRETS.flowApiKey, commerceOrder: 'order-2', amount: 5000, status: 3 });
      expect((await fetch(`${ingress.url}/webhooks/flow/${TEST_TIENDA.id}`, { method: 'POST', body: `token=${f.token}` })).status).toBe(200);

      const [comment] = await ingress.comments.waitFor(1);
      const payments = await ingress.payments.waitFor(2);
      const all = [comment!, ...payments];
      expect(all.map((m) => m.json<{ event: string }>().event).sort()).toEqual(['feed_comment', 'payment_failure', 'payment_success']);
      for (const m of all) {
        const body = m.json<Record<string, unknown>>();
        expect(Object.keys(body).sort()).toEqual(['data', 'event', 'timestamp']);
        expect(body.timestamp).toMatch(ISO_8601);
        expect(basePayloadSchema.safeParse(body).success).toBe(true);
        expect(m.attributes[ATTR.event]).toBe(body.event);
        expect(m.attributes[ATTR.schemaVersion]).toBe('1.0');
        expect(m.attributes[ATTR.traceparent]).toMatch(/^00-[\da-f]{32}-[\da-f]{16}-0[01]$/);
      }
    });
  });

  describe('idempotency key rules', () => {
    it('comment id for Meta, transaction id + state for payments, X-Idempotency-Key for POST /events; a duplicate is 200 and publishes nothing', async () => {
      const page = TEST_TIENDA.meta_page_id;
      const body = pageWebhook(page, [fbFeedComment(page, 'contract-k1', 'mía')]);
      expect(await (await metaPost(body)).json()).toMatchObject({ published: 1 });
      const dup = await metaPost(body);
      expect(dup.status).toBe(200);
      expect(await dup.json()).toMatchObject({ published: 0, duplicates: 1 });

      const event = { event: 'payment_success', timestamp: '2026-11-29T10:00:00Z', data: { provider: 'paypal', tienda_id: TEST_TIENDA.id, transaction_id: 'T-1', order_reference: null, amount: 1, currency: 'USD', status: 'COMPLETED', reason: null } };
      const raw = JSON.stringify(event);
      const post = () => fetch(`${ingress.url}/events`, { method: 'POST', headers: { 'x-idempotency-key': 'contract-key-1', 'x-lss-signature': signEventsRequest({ body: raw, idempotencyKey: 'contract-key-1' }, TEST_SECRETS.eventsHmac) }, body: raw });
      expect((await post()).status).toBe(200);
      const again = await post();
      expect(again.status).toBe(200);
      expect(await again.json()).toMatchObject({ published: 0 });
      expect((await fetch(`${ingress.url}/events`, { method: 'POST', headers: { 'x-lss-signature': signEventsRequest({ body: raw, idempotencyKey: '' }, TEST_SECRETS.eventsHmac) }, body: raw })).status).toBe(400);

      await sleep(1000);
      const keys = [...ingress.comments.messages, ...ingress.payments.messages].map((m) => m.attributes[ATTR.idempotencyKey]);
      expect(keys.filter((k) => k === 'comment:contract-k1')).toHaveLength(1);
      expect(keys.filter((k) => k === 'events:contract-key-1')).toHaveLength(1);
      expect(keys).toContain('mercadopago:9101:approved');
    });
  });

  describe('queue names', () => {
    it('provisioning creates incoming_comments, ai_processing, notification_delivery (and payment_events) with those exact names', async () => {
      const { pubsub } = emulatorClients();
      await provisionTopology(pubsub, { endpoints: { worker: 'http://127.0.0.1:9', notifier: 'http://127.0.0.1:9' } });
      const [topics] = await pubsub.getTopics();
      const names = topics.map((t) => t.name.split('/').pop());
      for (const required of ['incoming_comments', 'ai_processing', 'notification_delivery', 'payment_events']) expect(names).toContain(required);
      const [subs] = await pubsub.getSubscriptions();
      const incoming = subs.find((s) => s.name.endsWith(`/${consumerFor(TOPIC_NAMES.incomingComments).subscription}`))!;
      const [meta] = await incoming.getMetadata();
      expect(meta.topic).toMatch(/\/topics\/incoming_comments$/);
      expect(meta.deadLetterPolicy?.deadLetterTopic).toBeTruthy();
      expect(meta.pushConfig?.pushEndpoint).toBe('http://127.0.0.1:9/pubsub/incoming-comments');
      await pubsub.close();
    });
  });

  describe('retry schedule', () => {
    it('by default the push machinery retries at 10 s, 1 min, 5 min, 15 min, 1 h after each failure, then dead-letters', async () => {
      const schedule = workerConfig.load({ GOOGLE_CLOUD_PROJECT: 'contract' }).retrySchedule;
      const consumer = consumerFor(TOPIC_NAMES.aiProcessing);
      const { pubsub } = emulatorClients();
      await createPullSubscription(pubsub, consumer.retryTopic, 'c-retry');
      await createPullSubscription(pubsub, consumer.deadLetterTopic, 'c-dlq');
      const retries = collect(pubsub, 'c-retry');
      const dlq = collect(pubsub, 'c-dlq');
      const publisher = createPublisher(pubsub);
      let now = Date.parse('2026-11-29T20:00:00Z');
      const app = new Koa();
      app.use(createPushHandler({ consumer, schema: z.object({}), publisher, retrySchedule: schedule, now: () => now, handle: async () => { throw new Error('Gemini 503'); } }));
      const srv = await listen(app);
      const delays: number[] = [];
      let attributes: Record<string, string> = { event: 'ai_processing' };
      for (let attempt = 0; attempt <= 5; attempt++) {
        const res = await fetch(srv.url, { method: 'POST', body: JSON.stringify({ subscription: 's', message: { data: Buffer.from('{}').toString('base64'), attributes, messageId: `m${attempt}` } }) });
        expect(res.status).toBe(204);
        if (attempt === 5) break;
        const [next] = (await retries.waitFor(attempt + 1)).slice(attempt);
        delays.push(Date.parse(next!.attributes[ATTR.notBefore]!) - now);
        attributes = next!.attributes;
        now = Date.parse(attributes[ATTR.notBefore]!); // delivered exactly when due
      }
      expect(delays).toEqual([10_000, 60_000, 300_000, 900_000, 3_600_000]);
      const [letter] = await dlq.waitFor(1);
      expect(letter!.attributes[ATTR.deadLetterReason]).toMatch(/^retries_exhausted/);
      await Promise.all([retries.close(), dlq.close(), srv.close(), publisher.close()]);
      await pubsub.close();
    });
  });

  describe('ai_processing v1.0', () => {
    let worker: WorkerHarness;
    beforeAll(async () => {
      worker = await startWorkerHarness();
    });
    afterAll(() => worker.close());

    it('the worker publishes exactly {comment_id, text, context:{tienda_id, live_id}, schema_version:"1.0"}', async () => {
      await worker.publisher.publishJson(
        TOPIC_NAMES.incomingComments,
        { event: 'feed_comment', timestamp: '2026-11-29T22:00:00Z', data: { platform: 'facebook', source_field: 'feed', account_id: WORKER_TIENDA.meta_page_id, post_id: LIVE_POST, comment_id: 'contract-ai-1', parent_id: null, author_id: 'u1', author_name: null, text: 'yo la azul', created_time: '2026-11-29T22:00:00Z' } },
        { event: 'feed_comment', idempotencyKey: 'comment:contract-ai-1', schemaVersion: '1.0' },
      );
      await waitUntil(() => worker.aiMessages.messages.length > 0, 20_000, 'an ai_processing message');
      const body = worker.aiMessages.messages[0]!.json();
      expect(body).toStrictEqual({ comment_id: 'contract-ai-1', text: 'yo la azul', context: { tienda_id: WORKER_TIENDA.id, live_id: DEMO_CATALOG.live_id }, schema_version: '1.0' });
    });

    it('the schema (and its exported JSON Schema) admits nothing else', () => {
      const ok = { comment_id: 'c', text: 't', context: { tienda_id: 'a', live_id: 'b' }, schema_version: '1.0' };
      expect(aiProcessingV1Schema.safeParse(ok).success).toBe(true);
      expect(aiProcessingV1Schema.safeParse({ ...ok, extra: 1 }).success).toBe(false);
      expect(aiProcessingV1Schema.safeParse({ ...ok, schema_version: '1.1' }).success).toBe(false);
      expect(aiProcessingV1Schema.safeParse({ ...ok, context: { tienda_id: 'a' } }).success).toBe(false);
      const json = JSON.parse(readFileSync('shared/events/json-schema/ai_processing.v1.0.schema.json', 'utf8'));
      expect(json.required.sort()).toEqual(['comment_id', 'context', 'schema_version', 'text']);
      expect(json.additionalProperties).toBe(false);
      expect(json.properties.schema_version.const).toBe('1.0');
      expect(json.properties.context.required.sort()).toEqual(['live_id', 'tienda_id']);
    });
  });
});
