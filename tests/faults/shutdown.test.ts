import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitUntil } from '../helpers/test-kit.js';
import { purchaseComments, signedBatch, startPipeline, probePublished, type Pipeline } from './pipeline-harness.js';

/**
 * Shutdown (issue 13): Cloud Run sends SIGTERM and kills the instance 10 s later. The ingress process stops
 * accepting, finishes the requests in flight and exits 0 within that; what it answered 200 is published, and what it
 * could not finish is not acknowledged (a 503, or no answer, never a 200), so Meta sends it again.
 */
let p: Pipeline;
let probe: Awaited<ReturnType<typeof probePublished>>;
/** Every message the ingress published to incoming_comments, by idempotency key. */
let published: Map<string, number>;
beforeAll(async () => {
  p = await startPipeline({ ingressOnly: true });
  probe = await probePublished(p, 'shutdown-probe');
  published = probe.published;
}, 180_000);
afterAll(async () => {
  await probe?.close();
  await p?.close();
});

const send = (body: string, headers: Record<string, string>) =>
  fetch(`${p.services.ingress.url}/webhooks/meta`, { method: 'POST', headers, body, signal: AbortSignal.timeout(30_000) }).then(
    async (r) => ({ status: r.status as number | 'no answer', text: await r.text(), at: performance.now() }),
    () => ({ status: 'no answer' as const, text: '', at: performance.now() }),
  );

/**
 * SIGTERM shortly after `requests` were sent; resolves with the answers, the exit, how long the exit took and when
 * the signal was sent (an answer after it was in flight and finished).
 */
async function sigtermWhile(requests: () => Promise<Array<{ status: number | 'no answer'; at: number }>>) {
  if (!p.services.ingress.alive) await p.services.ingress.start();
  const answers = requests();
  await sleep(300); // the requests are in the process (reading, claiming, publishing)
  const t0 = performance.now();
  const exit = await p.services.ingress.kill('SIGTERM', 12_000);
  return { answers: await answers, exit, ms: performance.now() - t0, signalAt: t0 };
}

describe('SIGTERM', () => {
  it('with batches in flight: they are finished, answered 200 and published, and the process exits 0 within 10 s', async () => {
    const batches = [0, 1, 2].map((b) => purchaseComments(`term${b}-`, 100));
    const { answers, exit, ms, signalAt } = await sigtermWhile(() => Promise.all(batches.map((c) => signedBatch(c)).map((b) => send(b.body, b.headers))));
    console.log(
      `[faults] SIGTERM with 3 batches of 100 in flight: answers ${answers.map((a) => `${a.status} (${(a.at - signalAt).toFixed(0)} ms after the signal)`).join(', ')}; ` +
        `exit ${exit.code} after ${ms.toFixed(0)} ms`,
    );
    expect(exit).toEqual({ code: 0, signal: null });
    expect(ms).toBeLessThan(10_000);
    // Requests in flight at the signal were finished and answered 200 after it.
    expect(answers.filter((a) => a.status === 200 && a.at > signalAt).length).toBeGreaterThan(0);
    // A batch answered 200 is wholly published; one the closing server no longer took is not acknowledged (Meta resends it).
    for (const [i, a] of answers.entries()) {
      if (a.status === 200) await waitUntil(() => batches[i]!.every((c) => [...published.keys()].some((k) => k.endsWith(c.id))), 30_000, `batch ${i} published`);
      else expect([503, 'no answer']).toContain(a.status);
    }
    await p.services.ingress.start();
  }, 120_000);

  it('with more in flight than 8 s can finish: the process still exits 0 within 10 s, and nothing it did not finish is answered 200', async () => {
    const batches = [0, 1, 2, 3].map((b) => purchaseComments(`long${b}-`, 1000));
    const { answers, exit, ms } = await sigtermWhile(() => Promise.all(batches.map((c) => signedBatch(c)).map((b) => send(b.body, b.headers))));
    console.log(`[faults] SIGTERM with 4 batches of 1,000 in flight: answers ${answers.map((a) => a.status).join(', ')}; exit ${exit.code} after ${ms.toFixed(0)} ms`);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(ms).toBeLessThan(10_000);
    // A batch answered 200 is wholly published; one cut off (no answer) is Meta's to send again.
    for (const [i, a] of answers.entries()) {
      if (a.status === 200) await waitUntil(() => batches[i]!.every((c) => [...published.keys()].some((k) => k.endsWith(c.id))), 30_000, `batch ${i} published`);
      else expect([503, 'no answer']).toContain(a.status);
    }
    await p.services.ingress.start();
  }, 120_000);

  it('with Firestore frozen: the request in flight is not acknowledged (503 or no answer), the process still exits 0 within 10 s, and Meta\'s resend is published once', async () => {
    const comments = purchaseComments('frozen', 20);
    const batch = signedBatch(comments);
    if (!p.services.ingress.alive) await p.services.ingress.start();
    p.pauseFirestore();
    let result;
    try {
      result = await sigtermWhile(async () => [await send(batch.body, batch.headers)]);
    } finally {
      p.resumeFirestore();
    }
    console.log(`[faults] SIGTERM with Firestore frozen: answer ${result.answers[0]!.status}; exit ${result.exit.code} after ${result.ms.toFixed(0)} ms`);
    expect(result.answers[0]!.status).not.toBe(200);
    expect(result.exit).toEqual({ code: 0, signal: null });
    expect(result.ms).toBeLessThan(10_000);
    // A fresh instance; Meta sends the batch again (its keys may still be claimed by the dead instance: 503 until the lease ends).
    await p.services.ingress.start();
    const giveUp = Date.now() + 60_000;
    let status: number | 'no answer' = 'no answer';
    while (status !== 200 && Date.now() < giveUp) {
      status = (await send(batch.body, batch.headers)).status;
      if (status !== 200) await sleep(2000);
    }
    expect(status).toBe(200);
    await sleep(3000);
    const counts = comments.map((c) => [...published].filter(([k]) => k.endsWith(c.id)).reduce((n, [, v]) => n + v, 0));
    expect(counts.filter((n) => n !== 1)).toEqual([]);
  }, 150_000);
});
