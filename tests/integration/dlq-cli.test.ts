import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import Router from '@koa/router';
import Koa from 'koa';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestContext } from '../../shared/http/request-context.js';
import { PermanentError } from '../../shared/pubsub/handler-errors.js';
import { createPublisher } from '../../shared/pubsub/publisher.js';
import { createPushHandler } from '../../shared/pubsub/push-handler.js';
import { provisionTopology } from '../../shared/topology/provision-topology.js';
import { ATTR, consumerFor, TOPIC_NAMES } from '../../shared/topology/topology.js';
import { emulatorClients, listen, waitUntil } from '../helpers/test-kit.js';

const run = promisify(execFile);
const consumer = consumerFor(TOPIC_NAMES.paymentEvents);

/**
 * `npm run dlq` against the emulator: a consumer (the real push handler, pushed to by the emulator through the
 * provisioned topology) dead-letters messages while its cause is broken; the CLI lists, shows, replays one after
 * the cause is fixed (it then succeeds through the normal path, once) and purges another.
 */
describe('npm run dlq: list, show, replay after the fix, purge', () => {
  const { pubsub, projectId } = emulatorClients();
  const publisher = createPublisher(pubsub);
  let broken = true;
  const handled: string[] = [];
  let srv: Awaited<ReturnType<typeof listen>>;

  const cli = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run(path.join('node_modules', '.bin', 'tsx'), ['scripts/dlq.ts', ...args], {
        env: { ...process.env, GOOGLE_CLOUD_PROJECT: projectId },
        timeout: 60_000,
      });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  };

  beforeAll(async () => {
    const app = new Koa();
    const router = new Router();
    router.post(
      consumer.path,
      createPushHandler({
        consumer,
        schema: z.object({ order: z.string() }),
        publisher,
        retrySchedule: [500],
        handle: async ({ data }) => {
          // The cause: an order the payment names does not exist yet (what `unknown_order` dead-letters).
          if (broken) throw new PermanentError(`unknown_order: ${data.order}`, 'unknown_order');
          handled.push(data.order);
        },
      }),
    );
    app.use(requestContext());
    app.use(router.routes());
    srv = await listen(app);
    await provisionTopology(pubsub, { endpoints: { worker: srv.url, notifier: srv.url }, nativeRetry: { minimumBackoffSeconds: 1, maximumBackoffSeconds: 5 } });
  });
  afterAll(async () => {
    await srv.close();
    await publisher.close();
    await pubsub.close();
  });

  it('walks a dead letter from list to replay, and purges another', async () => {
    for (const order of ['o-1', 'o-2']) {
      await publisher.publishRaw(consumer.topic, Buffer.from(JSON.stringify({ order })), { [ATTR.event]: 'payment_success', [ATTR.idempotencyKey]: `pay:${order}` });
    }
    let listed: Array<{ id: string; topic: string; reason: string }> = [];
    await waitUntil(
      async () => {
        const out = await cli('list', 'payment_events', '--json');
        listed = out.stdout.trim() ? out.stdout.trim().split('\n').map((l) => JSON.parse(l)) : [];
        return listed.length === 2;
      },
      40_000,
      'two dead letters on payment_events',
    );
    expect(listed.map((l) => l.topic)).toEqual(['payment_events', 'payment_events']);
    expect(listed[0]!.reason).toMatch(/unknown_order/);

    // Listing did not consume: every topic's list still shows them.
    const everywhere = await cli('list');
    expect(everywhere.code).toBe(0);
    expect(everywhere.stderr).toMatch(/2 dead letter\(s\) on 5 topics/);

    const first = listed[0]!;
    const shown = await cli('show', first.id, '--json');
    expect(shown.code).toBe(0);
    const detail = JSON.parse(shown.stdout) as { data: { order: string }; attributes: Record<string, string>; history: unknown[]; reason: string };
    expect(detail.attributes[ATTR.idempotencyKey]).toMatch(/^pay:o-[12]$/);
    expect(detail.history.length).toBeGreaterThanOrEqual(1);
    expect(detail.reason).toMatch(/unknown_order/);

    // Purging asks first: without a terminal and without --yes nothing goes.
    const second = listed.find((l) => l.id !== first.id)!;
    const refused = await cli('purge', second.id);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--yes/);

    // The cause is fixed; the replay goes through the normal path and succeeds once.
    broken = false;
    const replayed = await cli('replay', first.id);
    expect(replayed.code).toBe(0);
    expect(replayed.stderr).toMatch(/replayed 1 dead letter\(s\) to payment_events/);
    await waitUntil(() => handled.includes(detail.data.order), 20_000, 'the replayed message handled');

    const purged = await cli('purge', second.id, '--yes');
    expect(purged.code).toBe(0);
    expect(purged.stderr).toMatch(/purged 1/);
    const after = await cli('list', 'payment_events', '--json');
    expect(after.stdout.trim()).toBe('');
    expect(handled).toEqual([detail.data.order]);
    handled.length = 0;

    // An unknown id is one line, not a stack.
    const unknown = await cli('show', 'no-such-id');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);

    // A topic where an id belongs is answered with the command that was meant, and nothing is replayed.
    const topicAsId = await cli('replay', 'payment_events');
    expect(topicAsId.code).toBe(2);
    expect(topicAsId.stderr).toMatch(/payment_events is a topic: `npm run dlq -- replay --all payment_events`/);

    // `replay --all <topic>` takes every dead letter of the topic (two more, broken again then fixed).
    broken = true;
    for (const order of ['o-3', 'o-4']) {
      await publisher.publishRaw(consumer.topic, Buffer.from(JSON.stringify({ order })), { [ATTR.event]: 'payment_success', [ATTR.idempotencyKey]: `pay:${order}` });
    }
    await waitUntil(async () => (await cli('list', 'payment_events', '--json')).stdout.trim().split('\n').filter(Boolean).length === 2, 40_000, 'two more dead letters');
    broken = false;
    const all = await cli('replay', '--all', 'payment_events');
    expect(all.code).toBe(0);
    expect(all.stderr).toMatch(/replayed 2 dead letter\(s\) to payment_events/);
    await waitUntil(() => handled.includes('o-3') && handled.includes('o-4'), 20_000, 'both replayed messages handled');
    expect((await cli('list', 'payment_events', '--json')).stdout.trim()).toBe('');
  }, 120_000);

  it('names the settings it lacks instead of trying Google', async () => {
    const { PUBSUB_EMULATOR_HOST: _p, GOOGLE_CLOUD_PROJECT: _g, ...env } = process.env;
    const out = await run(path.join('node_modules', '.bin', 'tsx'), ['scripts/dlq.ts', 'list'], { env, timeout: 30_000 }).catch((e: { code: number; stderr: string }) => e);
    expect((out as { code: number }).code).toBe(1);
    expect((out as { stderr: string }).stderr).toMatch(/set GOOGLE_CLOUD_PROJECT and PUBSUB_EMULATOR_HOST first/);
    expect((out as { stderr: string }).stderr).not.toMatch(/MetadataLookupWarning|at .*\.js:\d+/);
  });
});
