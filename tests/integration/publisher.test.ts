import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher, PublishError } from '../../shared/pubsub/publisher.js';
import { runWithLogContext } from '../../shared/logging/log-context.js';
import { ATTR } from '../../shared/topology/topology.js';
import { collect, createPullSubscription, emulatorClients, unreachablePublisher } from '../helpers/test-kit.js';

describe('publisher on the emulator', () => {
  const { pubsub } = emulatorClients();
  const publisher = createPublisher(pubsub);
  let sink: ReturnType<typeof collect>;
  beforeAll(async () => {
    await createPullSubscription(pubsub, 'incoming_comments', 'pub-test');
    sink = collect(pubsub, 'pub-test');
  });
  afterAll(async () => {
    await sink.close();
    await publisher.close();
    await pubsub.close();
  });

  it('publishes JSON with the DESIGN §2 attributes, continuing the caller trace', async () => {
    const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await runWithLogContext({ traceparent: parent }, () =>
      publisher.publishJson('incoming_comments', { event: 'feed_comment', n: 1 }, {
        event: 'feed_comment',
        idempotencyKey: 'comment:1',
        schemaVersion: '1.0',
        tiendaId: 't-1',
      }),
    );
    const [m] = await sink.waitFor(1);
    expect(m!.json()).toEqual({ event: 'feed_comment', n: 1 });
    expect(m!.attributes).toMatchObject({
      [ATTR.event]: 'feed_comment',
      [ATTR.idempotencyKey]: 'comment:1',
      [ATTR.schemaVersion]: '1.0',
      [ATTR.tiendaId]: 't-1',
    });
    // Same trace id, new span id.
    expect(m!.attributes[ATTR.traceparent]).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[\da-f]{16}-01$/);
    expect(m!.attributes[ATTR.traceparent]).not.toBe(parent);
  });

  it('omits tienda_id when unknown and starts a trace when there is none', async () => {
    await publisher.publishJson('incoming_comments', { n: 2 }, { event: 'feed_comment', idempotencyKey: 'comment:2', schemaVersion: '1.0' });
    await sink.waitFor(2);
    const m = sink.messages.find((x) => x.json<{ n: number }>().n === 2)!;
    expect(m.attributes[ATTR.tiendaId]).toBeUndefined();
    expect(m.attributes[ATTR.traceparent]).toMatch(/^00-[\da-f]{32}-[\da-f]{16}-01$/);
  });

  it('fails with PublishError when the topic does not exist (caller answers 503)', async () => {
    await expect(publisher.publishJson('no_such_topic', {}, { event: 'x', idempotencyKey: 'k', schemaVersion: '1.0' })).rejects.toBeInstanceOf(PublishError);
  });

  it('fails with PublishError when Pub/Sub is unreachable', async () => {
    const { pubsub: dead, publisher: p } = unreachablePublisher();
    await expect(p.publishJson('incoming_comments', {}, { event: 'x', idempotencyKey: 'k', schemaVersion: '1.0' })).rejects.toBeInstanceOf(PublishError);
    await dead.close();
  });
});
