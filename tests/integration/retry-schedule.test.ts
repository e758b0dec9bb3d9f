import Koa from 'koa';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher } from '../../shared/pubsub/publisher.js';
import { createPushHandler } from '../../shared/pubsub/push-handler.js';
import { PermanentError, TransientError } from '../../shared/pubsub/handler-errors.js';
import { readFailureHistory } from '../../shared/pubsub/retry-schedule.js';
import { provisionTopology } from '../../shared/topology/provision-topology.js';
import { ATTR, consumerFor, TOPIC_NAMES } from '../../shared/topology/topology.js';
import { collect, emulatorClients, listen, sleep } from '../helpers/test-kit.js';

/**
 * The product owner's retry schedule, end to end on the Pub/Sub emulator, compressed: the real schedule is
 * 10 s, 1 min, 5 min, 15 min, 1 h; here 200…1000 ms. Messages travel through the real topics, retry topic,
 * push subscriptions and dead-letter topic.
 */
const SCHEDULE = [200, 400, 600, 800, 1000];
const consumer = consumerFor(TOPIC_NAMES.incomingComments);

describe('retry schedule on the emulator', () => {
  const { pubsub } = emulatorClients();
  const publisher = createPublisher(pubsub);
  const calls: Array<{ key: string; attempt: number; at: number }> = [];
  const statuses: number[] = [];
  const effects = new Map<string, number>();
  /** key → behaviour */
  const behaviour = new Map<string, (attempt: number) => void>();
  let server: Awaited<ReturnType<typeof listen>>;
  let dlq: ReturnType<typeof collect>;

  beforeAll(async () => {
    const app = new Koa();
    app.use(async (ctx, next) => {
      await next();
      statuses.push(ctx.status);
    });
    app.use(
      createPushHandler({
        consumer,
        schema: z.object({ key: z.string() }),
        publisher,
        retrySchedule: SCHEDULE,
        handle: async ({ data, attempt }) => {
          calls.push({ key: data.key, attempt, at: Date.now() });
          behaviour.get(data.key)?.(attempt);
          effects.set(data.key, (effects.get(data.key) ?? 0) + 1);
        },
      }),
    );
    server = await listen(app);
    await provisionTopology(pubsub, {
      endpoints: { worker: server.url },
      consumers: [consumer],
      nativeRetry: { minimumBackoffSeconds: 1, maximumBackoffSeconds: 2 },
    });
    dlq = collect(pubsub, consumer.deadLetterSubscription);
  });

  afterAll(async () => {
    await dlq?.close();
    await publisher.close();
    await server?.close();
    await pubsub.close();
  });

  it('retries a transiently failing handler 5 times in schedule order, never early, then dead-letters it with its data, attributes and history', async () => {
    behaviour.set('always-fails', (attempt) => {
      throw new TransientError(`provider timeout on attempt ${attempt}`, 'provider_timeout');
    });
    await publisher.publishJson(consumer.topic, { key: 'always-fails' }, {
      event: 'feed_comment',
      idempotencyKey: 'comment-1',
      schemaVersion: '1.0',
      tiendaId: 'tienda-1',
      extra: { custom: 'kept' },
    });

    const [letter] = await dlq.waitFor(1, 40_000);
    const mine = calls.filter((c) => c.key === 'always-fails');
    expect(mine.map((c) => c.attempt)).toEqual([0, 1, 2, 3, 4, 5]);
    for (let n = 1; n < mine.length; n++) {
      // Never before its time: each retry waits at least its scheduled delay after the previous failure.
      expect(mine[n]!.at - mine[n - 1]!.at).toBeGreaterThanOrEqual(SCHEDULE[n - 1]!);
    }
    expect(letter!.json()).toEqual({ key: 'always-fails' });
    expect(letter!.attributes).toMatchObject({
      [ATTR.event]: 'feed_comment',
      [ATTR.idempotencyKey]: 'comment-1',
      [ATTR.tiendaId]: 'tienda-1',
      custom: 'kept',
      [ATTR.originalTopic]: consumer.topic,
    });
    expect(letter!.attributes[ATTR.deadLetterReason]).toMatch(/^retries_exhausted: provider_timeout/);
    const history = readFailureHistory(letter!.attributes);
    expect(history.map((h) => h.attempt)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(history.every((h) => h.kind === 'transient' && h.reason === 'provider_timeout')).toBe(true);
    expect(history[5]!.error).toBe('provider timeout on attempt 5');

    await sleep(2500);
    expect(dlq.messages.filter((m) => m.json<{ key: string }>().key === 'always-fails')).toHaveLength(1);
    expect(calls.filter((c) => c.key === 'always-fails')).toHaveLength(6);
  });

  it('a handler that succeeds on the 3rd try is not dead-lettered and its effect happens once', async () => {
    behaviour.set('third-time', (attempt) => {
      if (attempt < 2) throw new Error('flaky downstream'); // unknown errors count as transient
    });
    const before = dlq.messages.length;
    await publisher.publishJson(consumer.topic, { key: 'third-time' }, { event: 'feed_comment', idempotencyKey: 'c-3', schemaVersion: '1.0' });
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && (effects.get('third-time') ?? 0) === 0) await sleep(50);
    expect(calls.filter((c) => c.key === 'third-time').map((c) => c.attempt)).toEqual([0, 1, 2]);
    await sleep(3000);
    expect(effects.get('third-time')).toBe(1);
    expect(calls.filter((c) => c.key === 'third-time')).toHaveLength(3);
    expect(dlq.messages.length).toBe(before);
  });

  it('a message that can never succeed is answered 2xx and reaches the dead-letter topic once, with the reason', async () => {
    const statusStart = statuses.length;
    const before = dlq.messages.length;
    // Valid JSON, wrong schema: can never succeed.
    await publisher.publishRaw(consumer.topic, Buffer.from(JSON.stringify({ nope: true })), { event: 'feed_comment', idempotency_key: 'poison-1' });
    behaviour.set('permanent', () => {
      throw new PermanentError('tienda was deleted', 'tienda_deleted');
    });
    await publisher.publishJson(consumer.topic, { key: 'permanent' }, { event: 'feed_comment', idempotencyKey: 'poison-2', schemaVersion: '1.0' });

    await dlq.waitFor(before + 2, 20_000);
    await sleep(3000);
    const letters = dlq.messages.slice(before);
    expect(letters).toHaveLength(2);
    const byKey = new Map(letters.map((l) => [l.attributes[ATTR.idempotencyKey], l]));
    expect(byKey.get('poison-1')!.attributes[ATTR.deadLetterReason]).toMatch(/^schema_invalid: /);
    expect(byKey.get('poison-1')!.json()).toEqual({ nope: true });
    expect(byKey.get('poison-2')!.attributes[ATTR.deadLetterReason]).toBe('tienda_deleted: tienda was deleted');
    expect(readFailureHistory(byKey.get('poison-2')!.attributes)).toHaveLength(1);
    expect(calls.filter((c) => c.key === 'permanent')).toHaveLength(1);
    // Never a non-2xx for these: that would loop them until the native dead-letter policy.
    expect(statuses.slice(statusStart).every((s) => s >= 200 && s < 300)).toBe(true);
  });
});
