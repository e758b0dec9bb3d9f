import Koa from 'koa';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher } from '../../shared/pubsub/publisher.js';
import { createPushHandler } from '../../shared/pubsub/push-handler.js';
import { requestContext } from '../../shared/http/request-context.js';
import { ATTR, consumerFor, TOPIC_NAMES } from '../../shared/topology/topology.js';
import { collect, createPullSubscription, emulatorClients, listen } from '../helpers/test-kit.js';

const consumer = consumerFor(TOPIC_NAMES.aiProcessing);

/** Push bodies posted directly (the shape the emulator sends), to reach the edge cases deterministically. */
function pushBody(data: string | undefined, attributes: Record<string, string> = {}, messageId = String(Math.random())) {
  return JSON.stringify({ subscription: 'projects/p/subscriptions/s', message: { ...(data !== undefined ? { data } : {}), attributes, messageId, message_id: messageId } });
}

describe('push handler outcomes', () => {
  const { pubsub } = emulatorClients();
  const publisher = createPublisher(pubsub, { timeoutMs: 3000 });
  let handled = 0;
  let srv: Awaited<ReturnType<typeof listen>>;
  let dlq: ReturnType<typeof collect>;
  let retries: ReturnType<typeof collect>;
  const t0 = Date.parse('2026-11-29T12:00:00Z');

  beforeAll(async () => {
    await createPullSubscription(pubsub, consumer.deadLetterTopic, 'dlq-test');
    await createPullSubscription(pubsub, consumer.retryTopic, 'retry-test');
    const app = new Koa();
    app.use(requestContext());
    app.use(
      createPushHandler({
        consumer,
        schema: z.object({ ok: z.boolean() }),
        publisher,
        retrySchedule: [1000],
        now: () => t0,
        handle: async ({ data }) => {
          handled++;
          if (!data.ok) throw new Error('downstream 503');
        },
      }),
    );
    srv = await listen(app);
    dlq = collect(pubsub, 'dlq-test');
    retries = collect(pubsub, 'retry-test');
  });
  afterAll(async () => {
    await dlq.close();
    await retries.close();
    await srv.close();
    await publisher.close();
    await pubsub.close();
  });

  const post = (body: string) => fetch(srv.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');

  it('done → 204', async () => {
    const before = handled;
    expect((await post(pushBody(b64({ ok: true })))).status).toBe(204);
    expect(handled).toBe(before + 1);
  });

  it('a scheduled retry delivered early → 429 without doing the work', async () => {
    const before = handled;
    const res = await post(pushBody(b64({ ok: true }), { [ATTR.retryAttempt]: '1', [ATTR.notBefore]: new Date(t0 + 5000).toISOString() }));
    expect(res.status).toBe(429);
    expect(handled).toBe(before);
  });

  it('transient failure → retry topic with attempt, not_before and the failure; 204', async () => {
    expect((await post(pushBody(b64({ ok: false }), { [ATTR.event]: 'x' }, 'm-transient')))).toMatchObject({ status: 204 });
    const [m] = await retries.waitFor(1);
    expect(m!.attributes).toMatchObject({
      [ATTR.retryAttempt]: '1',
      [ATTR.notBefore]: new Date(t0 + 1000).toISOString(),
      [ATTR.originalMessageId]: 'm-transient',
      [ATTR.originalTopic]: consumer.topic,
      [ATTR.event]: 'x',
    });
    expect(JSON.parse(m!.attributes['failure_0']!)).toMatchObject({ attempt: 0, kind: 'transient', error: 'downstream 503' });
  });

  it('undecodable data and invalid JSON are dead-lettered (204), never looped', async () => {
    const before = dlq.messages.length;
    expect((await post(pushBody('%%%not-base64%%%'))).status).toBe(204);
    expect((await post(pushBody(Buffer.from('{oops').toString('base64')))).status).toBe(204);
    await dlq.waitFor(before + 2);
    const reasons = dlq.messages.slice(before).map((m) => m.attributes[ATTR.deadLetterReason]);
    expect(reasons.sort()).toEqual(['malformed_json: message data is not valid JSON', 'undecodable_data: message data is not valid base64']);
  });

  it('a body that is not a push envelope → 400', async () => {
    expect((await post('{"hello":"world"}')).status).toBe(400);
    expect((await post('not json')).status).toBe(400);
  });

  it('when the retry topic cannot be reached → 503 so Pub/Sub redelivers the original', async () => {
    const lonely = emulatorClients(); // a project where no retry topic exists
    const p = createPublisher(lonely.pubsub, { timeoutMs: 2000 });
    const app = new Koa();
    app.use(createPushHandler({ consumer, schema: z.object({}), publisher: p, retrySchedule: [10], handle: async () => { throw new Error('boom'); } }));
    const s = await listen(app);
    expect((await fetch(s.url, { method: 'POST', body: pushBody(b64({})) })).status).toBe(503);
    await s.close();
    await p.close();
    await lonely.pubsub.close();
  });
});
