import Koa from 'koa';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestContext } from '../../shared/http/request-context.js';
import { createPublisher } from '../../shared/pubsub/publisher.js';
import { createPushHandler, pushBudgetMs, type PushOutcome } from '../../shared/pubsub/push-handler.js';
import { ATTR, CONSUMERS, consumerFor, TOPIC_NAMES } from '../../shared/topology/topology.js';
import { collect, createPullSubscription, emulatorClients, listen } from '../helpers/test-kit.js';

describe('push budget below the ack deadline', () => {
  it('every consumer gets a budget below its ack deadline, leaving the margin for answering', () => {
    for (const c of CONSUMERS) {
      const budget = pushBudgetMs(c);
      expect(budget, c.subscription).toBeGreaterThan(0);
      expect(budget, c.subscription).toBeLessThanOrEqual(c.ackDeadlineSeconds * 1000 - 10_000);
      expect(pushBudgetMs(c, 2000)).toBe(c.ackDeadlineSeconds * 1000 - 2000);
    }
  });

  describe('a handler that never finishes', () => {
    const consumer = consumerFor(TOPIC_NAMES.incomingComments);
    const { pubsub } = emulatorClients();
    const publisher = createPublisher(pubsub, { timeoutMs: 3000 });
    const outcomes: PushOutcome[] = [];
    const signals: AbortSignal[] = [];
    let srv: Awaited<ReturnType<typeof listen>>;
    let retries: ReturnType<typeof collect>;

    beforeAll(async () => {
      await createPullSubscription(pubsub, consumer.retryTopic, 'budget-retry');
      retries = collect(pubsub, 'budget-retry');
      const app = new Koa();
      app.use(requestContext());
      app.use(
        createPushHandler({
          consumer,
          schema: z.object({ n: z.number() }),
          publisher,
          retrySchedule: [1000],
          // Stands for "ack deadline − margin": the test cannot wait 20 s, the mechanism is the same.
          budgetMs: 400,
          onOutcome: (o) => outcomes.push(o),
          handle: ({ signal }) => {
            signals.push(signal);
            return new Promise<never>(() => undefined); // e.g. a dependency that accepts and never answers
          },
        }),
      );
      srv = await listen(app);
    });
    afterAll(async () => {
      await retries.close();
      await srv.close();
      await publisher.close();
      await pubsub.close();
    });

    it('is abandoned when the budget runs out: its signal fires, a retry is scheduled and the push answered 2xx before the ack deadline', async () => {
      const res = await fetch(srv.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ subscription: 's', message: { data: Buffer.from('{"n":1}').toString('base64'), attributes: { [ATTR.event]: 'feed_comment' }, messageId: 'm-hang-1' } }),
        signal: AbortSignal.timeout(consumer.ackDeadlineSeconds * 1000),
      });
      expect(res.status).toBe(204);
      expect(outcomes).toEqual(['retry_scheduled']);
      expect(signals).toHaveLength(1);
      expect(signals[0]!.aborted).toBe(true);
      const [retry] = await retries.waitFor(1);
      expect(retry!.attributes[ATTR.retryAttempt]).toBe('1');
      expect(retry!.attributes[ATTR.originalMessageId]).toBe('m-hang-1');
      expect(JSON.parse(retry!.attributes[`${ATTR.failurePrefix}0`]!)).toMatchObject({ kind: 'transient', reason: 'deadline_exceeded' });
    }, 40_000);
  });
});
