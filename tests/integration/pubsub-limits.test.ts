import { createServer, type Socket } from 'node:net';
import Koa from 'koa';
import { PubSub } from '@google-cloud/pubsub';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../shared/pubsub/handler-errors.js';
import { createPublisher, PublishError } from '../../shared/pubsub/publisher.js';
import { IdempotencyStore } from '../../shared/idempotency/idempotency-store.js';
import { publishOnce, PublishOnceError } from '../../shared/idempotency/publish-once.js';
import { PUBSUB_LIMITS, PubSubLimitError, utf8Bytes } from '../../shared/pubsub/pubsub-limits.js';
import { createPushHandler } from '../../shared/pubsub/push-handler.js';
import { readFailureHistory } from '../../shared/pubsub/retry-schedule.js';
import { provisionTopology } from '../../shared/topology/provision-topology.js';
import { ATTR, consumerFor, TOPIC_NAMES } from '../../shared/topology/topology.js';
import { collect, createPullSubscription, emulatorClients, listen, type CollectedMessage } from '../helpers/test-kit.js';

/**
 * Pub/Sub refuses attribute values over 1024 bytes, keys over 256 bytes, more than 100 attributes and messages
 * over 10 MB; the emulator accepts all of them. These tests hold the publisher to production's limits on the
 * emulator, through the whole retry and dead-letter path with long non-ASCII errors.
 */
const consumer = consumerFor(TOPIC_NAMES.incomingComments);
const SCHEDULE = [100, 100];
/** ~3.9 KB of Spanish with 2-, 3- and 4-byte characters: what a provider's error page can look like. */
const LONG_SPANISH = 'Error de conexión con el proveedor: «tiempo de espera agotado» — reintente más tarde 🦤 ñandú. '.repeat(40);

function expectWithinLimits(m: CollectedMessage) {
  for (const [k, v] of Object.entries(m.attributes)) {
    expect(utf8Bytes(k), k).toBeLessThanOrEqual(PUBSUB_LIMITS.maxAttributeKeyBytes);
    expect(utf8Bytes(v), k).toBeLessThanOrEqual(PUBSUB_LIMITS.maxAttributeValueBytes);
    expect(v, k).not.toContain('\uFFFD');
  }
}

describe('Pub/Sub limits, enforced by our publisher on the emulator', () => {
  const { pubsub } = emulatorClients();
  const publisher = createPublisher(pubsub);
  let server: Awaited<ReturnType<typeof listen>>;
  let dlq: ReturnType<typeof collect>;
  let retries: ReturnType<typeof collect>;
  let sink: ReturnType<typeof collect>;

  beforeAll(async () => {
    const app = new Koa();
    app.use(
      createPushHandler({
        consumer,
        schema: z.object({ key: z.string() }),
        publisher,
        retrySchedule: SCHEDULE,
        handle: async ({ data, attempt }) => {
          if (data.key === 'transient') throw new TransientError(`${LONG_SPANISH} (intento ${attempt})`, 'proveedor_caído');
          if (data.key === 'permanent') throw new PermanentError(LONG_SPANISH, 'tienda_eliminada');
        },
      }),
    );
    server = await listen(app);
    await provisionTopology(pubsub, { endpoints: { worker: server.url }, consumers: [consumer], nativeRetry: { minimumBackoffSeconds: 1, maximumBackoffSeconds: 2 } });
    await createPullSubscription(pubsub, consumer.retryTopic, 'observe-retry');
    await createPullSubscription(pubsub, 'limits_sink', 'limits-sink');
    dlq = collect(pubsub, consumer.deadLetterSubscription);
    retries = collect(pubsub, 'observe-retry');
    sink = collect(pubsub, 'limits-sink');
  });

  afterAll(async () => {
    await Promise.all([dlq?.close(), retries?.close(), sink?.close()]);
    await server?.close();
    await publisher.close();
    await pubsub.close();
  });

  it('a long non-ASCII transient error goes through every retry and the dead-letter topic within the limits', async () => {
    await publisher.publishJson(consumer.topic, { key: 'transient' }, { event: 'feed_comment', idempotencyKey: 'c-transient', schemaVersion: '1.0' });
    const letters = await dlq.waitFor(1, 40_000);
    const letter = letters.find((l) => l.attributes[ATTR.idempotencyKey] === 'c-transient')!;
    const onRetry = retries.messages.filter((m) => m.attributes[ATTR.idempotencyKey] === 'c-transient');
    expect(onRetry).toHaveLength(SCHEDULE.length);
    for (const m of [...onRetry, letter]) expectWithinLimits(m);

    // The history survives whole and readable: one record per attempt, each error a prefix of the real one.
    const history = readFailureHistory(letter.attributes);
    expect(history.map((h) => h.attempt)).toEqual([0, 1, 2]);
    for (const h of history) {
      expect(h.reason).toBe('proveedor_caído');
      expect(h.error.endsWith('…')).toBe(true);
      expect(LONG_SPANISH.startsWith(h.error.slice(0, -1))).toBe(true);
    }
    const reason = letter.attributes[ATTR.deadLetterReason]!;
    expect(reason.startsWith('retries_exhausted: proveedor_caído: Error de conexión')).toBe(true);
    expect(utf8Bytes(reason)).toBeGreaterThan(900);
  });

  it('a long non-ASCII permanent error is dead-lettered at once with its reason cut by bytes', async () => {
    await publisher.publishJson(consumer.topic, { key: 'permanent' }, { event: 'feed_comment', idempotencyKey: 'c-permanent', schemaVersion: '1.0' });
    await dlq.waitFor(2, 30_000);
    const letter = dlq.messages.find((l) => l.attributes[ATTR.idempotencyKey] === 'c-permanent')!;
    expectWithinLimits(letter);
    expect(letter.attributes[ATTR.deadLetterReason]!.startsWith('tienda_eliminada: Error de conexión')).toBe(true);
    expect(readFailureHistory(letter.attributes)).toHaveLength(1);
  });

  it('shortens retry bookkeeping handed to it over the limit (any caller), keeping it parseable', async () => {
    await publisher.publishRaw('limits_sink', Buffer.from('{}'), {
      [ATTR.idempotencyKey]: 'bookkeeping',
      [ATTR.deadLetterReason]: 'é'.repeat(1500),
      failure_0: JSON.stringify({ attempt: 0, at: '2026-11-29T10:00:00.000Z', kind: 'transient', reason: 'x', error: 'ñ'.repeat(600) }),
    });
    const [m] = await sink.waitFor(1);
    expectWithinLimits(m!);
    expect(readFailureHistory(m!.attributes)[0]!.error.startsWith('ññ')).toBe(true);
  });

  it('refuses, before sending anything, what Pub/Sub would refuse: a clear permanent error', async () => {
    const before = sink.messages.length;
    const cases: Array<[Record<string, string>, Buffer, RegExp]> = [
      [{ idempotency_key: 'ñ'.repeat(600) }, Buffer.from('{}'), /attribute "idempotency_key" is 1200 bytes \(at most 1024\)/],
      [{ ['ñ'.repeat(129)]: 'v' }, Buffer.from('{}'), /is 258 bytes \(at most 256\)/],
      [Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`a${i}`, 'v'])), Buffer.from('{}'), /101 attributes \(at most 100\)/],
      [{ a: 'v' }, Buffer.alloc(PUBSUB_LIMITS.maxMessageBytes, 0x61), /bytes with its attributes \(at most 10000000\)/],
    ];
    for (const [attrs, data, message] of cases) {
      const err = await publisher.publishRaw('limits_sink', data, attrs).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PubSubLimitError);
      expect(err).toBeInstanceOf(PermanentError);
      expect(err).not.toBeInstanceOf(PublishError);
      expect((err as Error).message).toMatch(message);
    }
    // Nothing of the refused messages arrived: the next accepted message is the only new one.
    await publisher.publishRaw('limits_sink', Buffer.from('{}'), { [ATTR.idempotencyKey]: 'marker' });
    await sink.waitFor(before + 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.messages.slice(before).map((m) => m.attributes[ATTR.idempotencyKey])).toEqual(['marker']);
  });
});

describe('publishOnce passes a Pub/Sub limit through as permanent', () => {
  const { pubsub, firestore } = emulatorClients();
  const publisher = createPublisher(pubsub);
  afterAll(async () => {
    await publisher.close();
    await Promise.allSettled([pubsub.close(), firestore.terminate()]);
  });

  it('a message over the limits is refused once, as PubSubLimitError (not a transient PublishOnceError), and its claim is given back', async () => {
    await pubsub.createTopic('limits_once').catch(() => undefined);
    const idempotency = new IdempotencyStore(firestore);
    const message = { topic: 'limits_once', payload: { event: 'x', timestamp: new Date().toISOString(), data: {} }, event: 'x', key: 'limits-once-1', tiendaId: 'ñ'.repeat(600), schemaVersion: '1.0' };
    const err = await publishOnce([message], { idempotency, publisher }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PubSubLimitError);
    expect(err).not.toBeInstanceOf(PublishOnceError);
    expect(await idempotency.state('limits-once-1')).toBeNull();
  });
});

describe('every publish has a deadline', () => {
  const sockets: Socket[] = [];
  const blackHole = createServer((s) => void sockets.push(s));
  let pubsub: PubSub;
  beforeAll(async () => {
    await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', () => r()));
    // A Pub/Sub endpoint that accepts connections and never answers.
    const prev = process.env.PUBSUB_EMULATOR_HOST;
    process.env.PUBSUB_EMULATOR_HOST = `127.0.0.1:${(blackHole.address() as { port: number }).port}`;
    pubsub = new PubSub({ projectId: 'black-hole' });
    process.env.PUBSUB_EMULATOR_HOST = prev;
  });
  afterAll(async () => {
    await pubsub.close().catch(() => undefined);
    for (const s of sockets) s.destroy();
    await new Promise((r) => blackHole.close(r));
  });

  it('rejects with PublishError once its timeout has passed, against a server that never answers', async () => {
    const p = createPublisher(pubsub, { timeoutMs: 800 });
    await expect(p.publishJson('incoming_comments', {}, { event: 'x', idempotencyKey: 'k', schemaVersion: '1.0' })).rejects.toBeInstanceOf(PublishError);
  });

  it('stops waiting when the caller aborts (a push request whose budget ran out)', async () => {
    const p = createPublisher(pubsub, { timeoutMs: 60_000 });
    const ac = new AbortController();
    const pending = p.publishRaw('incoming_comments', Buffer.from('{}'), { a: 'b' }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 200);
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect((err as Error).message).toMatch(/caller gave up/);
  });
});
