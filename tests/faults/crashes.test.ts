import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitUntil } from '../helpers/test-kit.js';
import { withProgress, deliverLikeMeta, outcomeCounts, purchaseComments, startPipeline, waitForOutcomes, type Pipeline } from './pipeline-harness.js';

/**
 * Crashes (issue 13): the worker and then the notifier are SIGKILLed in the middle of a burst and started again
 * on their ports. Pub/Sub redelivers what they had not acknowledged, the claims they held expire (leases) and are
 * taken over, and Cloud Scheduler's expire-reservations job (run here every 5 s) completes deliveries a crash left
 * unfinished. Afterwards every purchase has exactly one order, one payment link and one private reply, and every
 * unit of stock is either available or reserved by exactly one order.
 */
let p: Pipeline;
let scheduler: ReturnType<typeof setInterval> | undefined;
beforeAll(async () => {
  // The worker's and notifier's claims have 60 s leases: the schedule must outlast one (2+5+10+20+40 s).
  p = await startPipeline({ retrySchedule: '2s,5s,10s,20s,40s' });
  scheduler = setInterval(() => {
    if (p.services.worker.alive) void fetch(`${p.services.worker.url}/jobs/expire-reservations`, { method: 'POST', signal: AbortSignal.timeout(20_000) }).catch(() => undefined);
  }, 5000);
}, 180_000);
afterAll(async () => {
  clearInterval(scheduler);
  await p?.close();
});

describe('crashes in the middle of a burst', () => {
  it('SIGKILL the worker, then the notifier, mid-burst: after restart every purchase has one order, one link, one reply; no stock lost or doubled', async () => {
    const comments = purchaseComments('crash', 80);
    const giveUpAt = Date.now() + 60_000;
    // The burst: 8 webhooks of 10 comments, all at once.
    const deliveries = Promise.all(Array.from({ length: 8 }, (_, i) => deliverLikeMeta(p.services.ingress.url, comments.slice(i * 10, i * 10 + 10), giveUpAt)));

    // Kill the worker once it is busy deciding orders (some exist, not all).
    await withProgress(p, waitUntil(async () => (await p.orders()).length >= 10, 90_000, 'the worker to be mid-burst'));
    const killedWorker = await p.services.worker.kill('SIGKILL');
    expect(killedWorker.signal).toBe('SIGKILL');
    const ordersAtWorkerCrash = (await p.orders()).length;
    await sleep(1500);
    await p.services.worker.start();
    await p.redeliver();

    // Kill the notifier once replies are flowing again (some sent, not all).
    await withProgress(p, waitUntil(() => p.graph.replies.length >= Math.min(20, ordersAtWorkerCrash + 5), 120_000, 'the notifier to be mid-burst'));
    const killedNotifier = await p.services.notifier.kill('SIGKILL');
    expect(killedNotifier.signal).toBe('SIGKILL');
    const repliesAtNotifierCrash = p.graph.replies.length;
    await sleep(1500);
    await p.services.notifier.start();
    await p.redeliver();

    for (const attempts of await deliveries) expect(attempts.at(-1)?.status).toBe(200);
    const t0 = Date.now();
    await withProgress(p, waitForOutcomes(p, comments, 200_000));
    console.log(
      `[faults] crashes: worker killed with ${ordersAtWorkerCrash}/80 orders made, notifier with ${repliesAtNotifierCrash}/80 replies sent; ` +
        `all settled ${((Date.now() - t0) / 1000).toFixed(1)} s after the burst was accepted`,
    );
    // A moment for anything still in flight to (wrongly) send a second reply or make a second link.
    await sleep(3000);
    const counts = await outcomeCounts(p, comments);
    expect(counts.notExactlyOnce, p.logs().slice(-4000)).toEqual([]);
    for (const u of await p.stockBalance()) expect(u.available + u.reserved, u.unit).toBe(u.declared);
  }, 420_000);
});
