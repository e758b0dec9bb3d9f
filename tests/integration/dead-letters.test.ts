import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetters } from '../../shared/pubsub/dead-letters.js';
import { createPublisher } from '../../shared/pubsub/publisher.js';
import { ATTR, consumerFor, TOPIC_NAMES } from '../../shared/topology/topology.js';
import { collect, createPullSubscription, emulatorClients } from '../helpers/test-kit.js';

const consumer = consumerFor(TOPIC_NAMES.notificationDelivery);

describe('dead letters can be listed and replayed', () => {
  const { pubsub } = emulatorClients();
  const publisher = createPublisher(pubsub);
  const dl = new DeadLetters(pubsub);
  beforeAll(async () => {
    await createPullSubscription(pubsub, consumer.deadLetterTopic, consumer.deadLetterSubscription);
    await createPullSubscription(pubsub, consumer.topic, 'main-watch');
  });
  afterAll(async () => {
    await dl.close();
    await publisher.close();
    await pubsub.close();
  });

  it('lists without consuming, then replays with the original data and attributes, bookkeeping stripped', async () => {
    await publisher.publishRaw(consumer.deadLetterTopic, Buffer.from('{"n":1}'), {
      [ATTR.event]: 'notification_delivery',
      [ATTR.idempotencyKey]: 'notif-1',
      [ATTR.deadLetterReason]: 'retries_exhausted: meta_rate_limit: code 613',
      [ATTR.retryAttempt]: '5',
      failure_0: JSON.stringify({ attempt: 0, at: '2026-11-29T10:00:00Z', kind: 'transient', reason: 'meta_rate_limit', error: 'code 613' }),
    });
    let listed = await dl.list(consumer, 10);
    for (let i = 0; i < 20 && listed.length === 0; i++) listed = await dl.list(consumer, 10);
    expect(listed).toHaveLength(1);
    expect(listed[0]!.reason).toBe('retries_exhausted: meta_rate_limit: code 613');
    expect(listed[0]!.history).toHaveLength(1);

    const main = collect(pubsub, 'main-watch');
    let replayed = 0;
    for (let i = 0; i < 20 && replayed === 0; i++) replayed = await dl.replay(consumer, publisher, 10);
    expect(replayed).toBe(1);
    const [m] = await main.waitFor(1);
    expect(m!.data.toString()).toBe('{"n":1}');
    expect(m!.attributes[ATTR.idempotencyKey]).toBe('notif-1');
    expect(m!.attributes[ATTR.retryAttempt]).toBeUndefined();
    expect(m!.attributes['failure_0']).toBeUndefined();
    expect(m!.attributes[ATTR.deadLetterReason]).toBeUndefined();
    await main.close();
    expect(await dl.list(consumer, 10)).toHaveLength(0);
  });
});
