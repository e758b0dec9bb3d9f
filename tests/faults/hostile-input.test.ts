import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitUntil } from '../helpers/test-kit.js';
import { SECRET_VALUES, purchaseComments, signedBatch, startPipeline, probePublished, type Pipeline } from './pipeline-harness.js';

/**
 * Hostile and huge input at the ingress process (issue 13), on its own emulators: a signed Meta batch of 1,000
 * changes (Meta's documented maximum) is answered 200 before Meta's timeout and publishes each comment exactly
 * once, also when Meta sends it again; one change more is refused 413 before anything is claimed or published;
 * a body over MAX_BODY_BYTES is refused 413. Slow-loris clients (headers or body trickled a byte at a time) do not
 * starve `/healthz`, and the server's deliberate header / request timeouts close them.
 */
let p: Pipeline;
let probe: Awaited<ReturnType<typeof probePublished>>;
/** Every message the ingress published to incoming_comments, by idempotency key. */
let published: Map<string, number>;
beforeAll(async () => {
  p = await startPipeline({ ingressOnly: true });
  probe = await probePublished(p, 'hostile-probe');
  published = probe.published;
}, 180_000);
afterAll(async () => {
  await probe?.close();
  await p?.close();
});

const post = async (body: string, headers: Record<string, string>) => {
  const t0 = performance.now();
  const res = await fetch(`${p.services.ingress.url}/webhooks/meta`, { method: 'POST', headers, body, signal: AbortSignal.timeout(30_000) });
  return { status: res.status, text: await res.text(), ms: performance.now() - t0 };
};

/** Waits until the probe has seen `n` distinct keys and then nothing new for `quietMs`. */
async function settled(n: number, quietMs = 3000): Promise<void> {
  await waitUntil(() => published.size >= n, 60_000, `${n} distinct comments published`);
  let total = -1;
  while (total !== [...published.values()].reduce((a, b) => a + b, 0)) {
    total = [...published.values()].reduce((a, b) => a + b, 0);
    await sleep(quietMs);
  }
}

describe('hostile and huge input', () => {
  it('a signed batch of 1,000 changes is answered 200 in time and publishes each comment once, also when Meta sends it again', async () => {
    const comments = purchaseComments('huge', 1000);
    const batch = signedBatch(comments);
    console.log(`[faults] 1,000-change batch: ${(batch.body.length / 1024).toFixed(0)} KiB`);
    const first = await post(batch.body, batch.headers);
    expect(first.status, first.text).toBe(200);
    // Meta waits 20 s for an answer; this one must come well within it.
    expect(first.ms).toBeLessThan(20_000);
    await settled(1000);
    // Meta re-sends what it did not see answered: same body, same signature.
    const again = await post(batch.body, batch.headers);
    expect(again.status, again.text).toBe(200);
    await sleep(3000);
    const mine = comments.map((c) => [...published].find(([k]) => k.endsWith(c.id))?.[1] ?? 0);
    expect(mine.filter((n) => n !== 1)).toEqual([]);
    expect(published.size).toBe(1000);
    console.log(`[faults] 1,000-change batch answered in ${first.ms.toFixed(0)} ms, its re-send in ${again.ms.toFixed(0)} ms; 1,000 messages published, 0 twice`);
  }, 120_000);

  it('one change over the limit (1,001) and a body over MAX_BODY_BYTES are refused 413, nothing claimed or published', async () => {
    const before = published.size;
    const over = signedBatch(purchaseComments('over', 1001));
    const refused = await post(over.body, over.headers);
    expect(refused.status, refused.text).toBe(413);
    expect(JSON.parse(refused.text).code).toBe('too_many_changes');
    // The same comments in a batch of 1,000 are accepted afterwards: the 413 claimed none of their keys.
    const fits = signedBatch(purchaseComments('over', 1000));
    expect((await post(fits.body, fits.headers)).status).toBe(200);
    await settled(before + 1000);
    expect(published.size).toBe(before + 1000);

    // 3 MiB of one comment's text: over the 2 MiB default body limit.
    const huge = signedBatch([{ id: 'huge-body-1', author: 'a', text: 'x'.repeat(3 * 1024 * 1024) }]);
    const tooBig = await post(huge.body, huge.headers);
    expect(tooBig.status).toBe(413);
    expect(JSON.parse(tooBig.text).code).toBe('body_too_large');
    expect(p.services.ingress.alive).toBe(true);
  }, 120_000);

  it('slow-loris clients do not starve /healthz, and the header and request timeouts close them', async () => {
    const { port } = new URL(p.services.ingress.url);
    const sockets: Array<{ socket: Socket; closedAt: number | null; answer: string }> = [];
    const open = (first: string) => {
      const s = { socket: connect(Number(port), '127.0.0.1'), closedAt: null as number | null, answer: '' };
      s.socket.on('data', (d) => (s.answer += d.toString()));
      s.socket.on('close', () => (s.closedAt = Date.now()));
      s.socket.on('error', () => undefined);
      s.socket.write(first);
      sockets.push(s);
      return s;
    };
    const started = Date.now();
    // 150 clients that never finish their headers, 150 that announce a body and trickle it.
    for (let i = 0; i < 150; i++) open(`POST /webhooks/meta HTTP/1.1\r\nHost: ingress\r\nX-Slow-${i}: `);
    for (let i = 0; i < 150; i++) open(`POST /webhooks/meta HTTP/1.1\r\nHost: ingress\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`);
    const trickle = setInterval(() => {
      for (const s of sockets) if (s.closedAt === null) s.socket.write('a');
    }, 1000);
    try {
      // /healthz keeps answering while they hang on.
      const health: number[] = [];
      for (let i = 0; i < 10; i++) {
        const t0 = performance.now();
        const res = await fetch(`${p.services.ingress.url}/healthz`, { signal: AbortSignal.timeout(5000) });
        expect(res.status).toBe(200);
        health.push(performance.now() - t0);
        await sleep(500);
      }
      // headersTimeout (10 s) and requestTimeout (20 s), checked every second: everyone is cut off.
      await waitUntil(() => sockets.every((s) => s.closedAt !== null), 40_000, 'the slow clients to be cut off');
      const headerClosed = sockets.slice(0, 150).map((s) => (s.closedAt! - started) / 1000);
      const bodyClosed = sockets.slice(150).map((s) => (s.closedAt! - started) / 1000);
      // A trickled body gets Node's 408 before its connection is closed.
      expect(sockets.slice(150).filter((s) => s.answer.startsWith('HTTP/1.1 408')).length).toBeGreaterThan(0);
      console.log(
        `[faults] slow-loris: /healthz max ${Math.max(...health).toFixed(0)} ms with 300 slow clients; header tricklers cut off after ` +
          `${Math.min(...headerClosed).toFixed(1)}–${Math.max(...headerClosed).toFixed(1)} s, body tricklers after ${Math.min(...bodyClosed).toFixed(1)}–${Math.max(...bodyClosed).toFixed(1)} s ` +
          `(${sockets.slice(150).filter((s) => s.answer.startsWith('HTTP/1.1 408')).length} answered 408)`,
      );
    } finally {
      clearInterval(trickle);
      for (const s of sockets) s.socket.destroy();
    }
    // Still serving webhooks afterwards.
    const one = signedBatch(purchaseComments('after-loris', 1));
    expect((await post(one.body, one.headers)).status).toBe(200);
  }, 120_000);

  it('no secret value appears in any captured log line', () => {
    const logs = p.logs();
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of SECRET_VALUES) expect(logs.includes(secret), secret.slice(0, 4)).toBe(false);
  });
});
