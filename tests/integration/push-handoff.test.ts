import Koa from 'koa';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdempotencyStore } from '../../shared/idempotency/idempotency-store.js';
import { createPublisher } from '../../shared/pubsub/publisher.js';
import { createPushHandler, type PushOutcome } from '../../shared/pubsub/push-handler.js';
import { ATTR, consumerFor, TOPIC_NAMES } from '../../shared/topology/topology.js';
import { firestoreThrough, startTcpProxy } from '../helpers/tcp-proxy.js';
import { collect, createPullSubscription, emulatorClients, listen, sleep, waitUntil } from '../helpers/test-kit.js';

/**
 * Pub/Sub may push one message twice at once (and the emulator does, under load). Each copy of a failing message
 * used to schedule its own retry, so one message ran two retry chains to the end and left two dead letters. A
 * failed delivery is now handed on (retry or dead letter) once per message id; a replayed dead letter (a new
 * message) is handed on afresh; without Firestore the message is still handed on.
 */
const consumer = consumerFor(TOPIC_NAMES.paymentEvents);
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');
const envelope = (messageId: string, attributes: Record<string, string> = {}, subscription: string = consumer.subscription) =>
  JSON.stringify({ subscription: `projects/p/subscriptions/${subscription}`, message: { data: b64({ ok: false }), attributes: { [ATTR.event]: 'payment_success', ...attributes }, messageId, message_id: messageId } });

describe('a failed delivery is handed on once per message', () => {
  const { pubsub, firestore, projectId } = emulatorClients();
  const publisher = createPublisher(pubsub, { timeoutMs: 3000 });
  const outcomes: PushOutcome[] = [];
  let retries: ReturnType<typeof collect>;
  let dlq: ReturnType<typeof collect>;
  const servers: Array<Awaited<ReturnType<typeof listen>>> = [];

  const start = async (handoffs: IdempotencyStore, schedule = [60_000]) => {
    const app = new Koa();
    app.use(
      createPushHandler({
        consumer,
        schema: z.object({ ok: z.boolean() }),
        publisher,
        handoffs,
        retrySchedule: schedule,
        onOutcome: (o) => void outcomes.push(o),
        // Slow enough that two copies overlap.
        handle: async () => {
          await sleep(150);
          throw new Error('mercado pago 503');
        },
      }),
    );
    const srv = await listen(app);
    servers.push(srv);
    return (body: string) => fetch(srv.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((r) => r.status);
  };
  /** Posts like Pub/Sub: a non-2xx is delivered again (after a pause) until it is answered 2xx. */
  const deliver = async (post: (body: string) => Promise<number>, body: string) => {
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      statuses.push(await post(body));
      if (statuses.at(-1)! < 300) return statuses;
      await sleep(200);
    }
    return statuses;
  };

  beforeAll(async () => {
    await createPullSubscription(pubsub, consumer.retryTopic, 'handoff-retries');
    await createPullSubscription(pubsub, consumer.deadLetterTopic, 'handoff-dlq');
    retries = collect(pubsub, 'handoff-retries');
    dlq = collect(pubsub, 'handoff-dlq');
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await retries.close();
    await dlq.close();
    await publisher.close();
    await Promise.allSettled([pubsub.close(), firestore.terminate()]);
  });

  it('two copies of one message pushed at once schedule one retry; a later copy schedules none', async () => {
    const post = await start(new IdempotencyStore(firestore));
    const body = envelope('m-dup-retry');
    const answers = await Promise.all([deliver(post, body), deliver(post, body)]);
    // Each copy ends answered 2xx; one that met the other mid-hand-off was told to come back (503), never 2xx early.
    for (const a of answers) {
      expect(a.at(-1)).toBe(204);
      for (const s of a.slice(0, -1)) expect(s).toBe(503);
    }
    expect(await deliver(post, body)).toEqual([204]);
    await sleep(500);
    expect(retries.messages.filter((m) => m.attributes[ATTR.originalMessageId] === 'm-dup-retry')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'retry_scheduled')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'already_handed_on').length).toBeGreaterThanOrEqual(2);
  });

  it('two copies of a message on its last attempt leave one dead letter', async () => {
    const post = await start(new IdempotencyStore(firestore), []);
    const body = envelope('m-dup-dlq');
    await Promise.all([deliver(post, body), deliver(post, body)]);
    await sleep(500);
    expect(dlq.messages.filter((m) => m.attributes[ATTR.originalMessageId] === 'm-dup-dlq')).toHaveLength(1);
  });

  it('a replayed dead letter is a new message: handed on again', async () => {
    const post = await start(new IdempotencyStore(firestore), []);
    // What `npm run dlq -- replay` publishes: the original attributes (retry bookkeeping stripped), a new message id.
    await deliver(post, envelope('m-replayed-1', { [ATTR.originalMessageId]: 'm-replay-origin' }));
    await deliver(post, envelope('m-replayed-2', { [ATTR.originalMessageId]: 'm-replay-origin', replayed_from: 'm-replayed-1' }));
    await waitUntil(() => dlq.messages.filter((m) => m.attributes[ATTR.originalMessageId] === 'm-replay-origin').length === 2, 10_000, 'both dead letters');
    expect(dlq.messages.filter((m) => m.attributes[ATTR.originalMessageId] === 'm-replay-origin')).toHaveLength(2);
  });

  it('message ids are unique within a topic only: the same id delivered by the retry subscription is another message', async () => {
    const post = await start(new IdempotencyStore(firestore), [60_000, 60_000]);
    expect(await deliver(post, envelope('m-shared-id', { [ATTR.originalMessageId]: 'm-shared-a' }))).toEqual([204]);
    expect(await deliver(post, envelope('m-shared-id', { [ATTR.originalMessageId]: 'm-shared-b', [ATTR.retryAttempt]: '1' }, consumer.retrySubscription))).toEqual([204]);
    await waitUntil(() => ['m-shared-a', 'm-shared-b'].every((id) => retries.messages.some((m) => m.attributes[ATTR.originalMessageId] === id)), 10_000, 'a retry for each');
  });

  it('without Firestore the message is still handed on (a retry is never lost to the hand-off claim)', async () => {
    const proxy = await startTcpProxy(process.env.FIRESTORE_EMULATOR_HOST!);
    const unreachable = firestoreThrough(proxy, projectId);
    proxy.down();
    try {
      const post = await start(new IdempotencyStore(unreachable, { opTimeoutMs: 500 }));
      expect(await deliver(post, envelope('m-no-firestore'))).toEqual([204]);
      await waitUntil(() => retries.messages.some((m) => m.attributes[ATTR.originalMessageId] === 'm-no-firestore'), 10_000, 'the retry');
    } finally {
      void unreachable.terminate().catch(() => undefined); // its client keeps retrying into the cut network
      void proxy.close();
    }
  });
});
