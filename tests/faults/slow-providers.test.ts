import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetters, type DeadLetter } from '../../shared/pubsub/dead-letters.js';
import { TOPIC_NAMES, consumerFor } from '../../shared/topology/topology.js';
import { sleep, waitUntil } from '../helpers/test-kit.js';
import { SECRET_VALUES, deliverLikeMeta, outcomeCounts, purchaseComments, startPipeline, waitForOutcomes, withProgress, type Comment, type Pipeline } from './pipeline-harness.js';
import type { ProviderFault } from './provider-switch.js';

/**
 * Slow and failing providers (issue 13): Gemini, Mercado Pago and the Graph API answer 5xx / 429 or hang for a
 * while, with the retry schedule compressed to 1 s, 2 s, 3 s, 5 s, 8 s. Once they recover, every comment has
 * exactly one order, one payment link and one private reply. What outlives the schedule is in the consumer's
 * dead-letter topic with its failure history, and `npm run dlq -- replay` brings it to the same end.
 */
const SCHEDULE = '1s,2s,3s,5s,8s';
let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline({ retrySchedule: SCHEDULE });
}, 180_000);
afterAll(async () => {
  await p?.close();
});

let phase = 0;
type Faults = Partial<Record<keyof Pipeline['switches'], ProviderFault>>;

/**
 * Turns the providers down as `faults` says and delivers `comments` (one webhook each, like Meta). Each provider
 * comes back once it has failed `minFailures` requests and been down at least 4 s (Gemini's breaker, opened by an
 * earlier outage, may spare it all but its one trial call): the Graph API is only reached
 * once there is a link to send, so a Graph outage lasts past the others' (bounded by `capMs`).
 */
async function outage(comments: readonly Comment[], faults: Faults, minFailures = 1, capMs = 45_000) {
  const before = Object.fromEntries(Object.entries(p.switches).map(([k, s]) => [k, s.failed]));
  const failed = (name: string) => p.switches[name as keyof Faults].failed - before[name]!;
  for (const [name, f] of Object.entries(faults)) p.switches[name as keyof Faults].set(f);
  const t0 = Date.now();
  const deliveries = comments.map((c) => deliverLikeMeta(p.services.ingress.url, [c], Date.now() + 60_000));
  const downFor: Record<string, number> = {};
  const pending = new Set(Object.keys(faults));
  while (pending.size > 0 && Date.now() - t0 < capMs) {
    for (const name of [...pending]) {
      if (failed(name) >= minFailures && Date.now() - t0 >= 4000) {
        p.switches[name as keyof Faults].set(null);
        pending.delete(name);
        downFor[name] = Date.now() - t0;
      }
    }
    await sleep(100);
  }
  for (const s of Object.values(p.switches)) s.set(null);
  const upAt = Date.now();
  for (const attempts of await Promise.all(deliveries)) expect(attempts.at(-1)?.status).toBe(200);
  return { upAt, downFor, failed: Object.fromEntries(Object.keys(faults).map((k) => [k, failed(k)])) };
}

async function expectExactlyOnce(comments: readonly Comment[]) {
  // A moment for anything still in flight to (wrongly) send a second reply or make a second link.
  await sleep(2000);
  const counts = await outcomeCounts(p, comments);
  expect(counts.notExactlyOnce, await p.progress()).toEqual([]);
  for (const u of await p.stockBalance()) expect(u.available + u.reserved, u.unit).toBe(u.declared);
}

/** How many of `comments` the LLM chain could not decide (every provider failed: the local result stood). */
async function llmFallbacks(comments: readonly Comment[]): Promise<number> {
  const docs = await Promise.all(comments.map((c) => p.firestore.collection('comment_intents').doc(c.id).get()));
  return docs.filter((d) => d.get('decision.fallbackReason') === 'all_llm_failed').length;
}

describe('slow and failing providers', () => {
  it.each([
    ['Gemini 429, Mercado Pago 500, Graph 500', { gemini: { status: 429 }, mercadopago: { status: 500 }, graph: { status: 500 } }],
    ['Gemini 500, Mercado Pago 429, Graph 429', { gemini: { status: 500 }, mercadopago: { status: 429 }, graph: { status: 429 } }],
    ['all three hanging (no answer)', { gemini: 'hang', mercadopago: 'hang', graph: 'hang' }],
  ] as Array<[string, Faults]>)('%s for a while: after they recover every comment has one order, one link, one reply', async (what, faults) => {
    const comments = purchaseComments(`prov${++phase}-`, 10, { uncertainEvery: 2 });
    const { upAt, failed, downFor } = await outage(comments, faults);
    await withProgress(p, waitForOutcomes(p, comments, 90_000));
    console.log(
      `[faults] ${what}: down ${JSON.stringify(Object.fromEntries(Object.entries(downFor).map(([k, v]) => [k, `${(v / 1000).toFixed(1)} s`])))}, ` +
        `requests failed ${JSON.stringify(failed)}; all settled ${((Date.now() - upAt) / 1000).toFixed(1)} s after the last recovered`,
    );
    // Each provider really was asked while it was down (else this test would prove nothing).
    for (const name of Object.keys(faults)) expect(failed[name], name).toBeGreaterThanOrEqual(1);
    // Uncertain comments asked Gemini; while it failed, the local classifier's decision stood (no retry needed).
    expect(await llmFallbacks(comments)).toBeGreaterThan(0);
    await expectExactlyOnce(comments);
  }, 150_000);

  it('Mercado Pago down past the whole schedule: the comments are dead-lettered with their history, and `npm run dlq -- replay` completes them once', async () => {
    const consumer = consumerFor(TOPIC_NAMES.aiProcessing);
    const comments = purchaseComments('dlq', 4);
    const dl = new DeadLetters(p.pubsub());
    let letters: DeadLetter[] = [];
    try {
      p.switches.mercadopago.set({ status: 503 });
      for (const attempts of await Promise.all(comments.map((c) => deliverLikeMeta(p.services.ingress.url, [c], Date.now() + 60_000)))) {
        expect(attempts.at(-1)?.status).toBe(200);
      }
      // 1+2+3+5+8 s of retries, then the dead-letter topic.
      const detail = async () => {
        const orders = await Promise.all(comments.map((c) => p.orderOf(c.id)));
        const rows = orders.map((os, i) => `${comments[i]!.id}: ${JSON.stringify(os.map((o) => ({ status: o.status, payment: o.payment ?? null, delivery_pending: o.delivery_pending ?? null })))} replies ${p.graph.replies.filter((r) => r.commentId === comments[i]!.id).map((r) => JSON.stringify(r).slice(0, 200)).join(' | ')}`);
        return `${rows.join('\n')}\nletters: ${letters.map((l) => `${l.attributes.idempotency_key ?? '?'} ${l.reason}`).join('; ')}`;
      };
      await withProgress(
        { progress: async () => `${await p.progress()}\n${await detail()}` },
        waitUntil(
          async () => {
            letters = await dl.list(consumer, 100);
            return letters.length >= comments.length;
          },
          90_000,
          `${comments.length} dead letters on ${consumer.deadLetterTopic}`,
        ),
      );
      p.switches.mercadopago.set(null);
      expect(letters).toHaveLength(comments.length);
      for (const l of letters) {
        // The whole history: the first delivery and each of the 5 scheduled retries failed, and why.
        expect(l.history.length, JSON.stringify(l.history)).toBe(SCHEDULE.split(',').length + 1);
        expect(l.reason).toMatch(/503|unavailable|mercado/i);
      }
      console.log(`[faults] dead letter: reason "${letters[0]!.reason}", ${letters[0]!.history.length} failures: ${JSON.stringify(letters[0]!.history.map((h) => h.reason ?? h))}`);
      // Nobody was given a link while Mercado Pago was down.
      expect((await outcomeCounts(p, comments)).notExactlyOnce).toHaveLength(comments.length);
    } finally {
      p.switches.mercadopago.set(null);
      await dl.close();
    }

    // The operator's command, as documented: `npm run dlq -- replay --all ai_processing`.
    const run = promisify(execFile);
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, METADATA_SERVER_DETECTION: 'none', PUBSUB_EMULATOR_HOST: p.emulators.pubsub.host, GOOGLE_CLOUD_PROJECT: p.projectId };
    const replay = await run(process.execPath, ['--import', 'tsx', 'scripts/dlq.ts', 'replay', '--all', consumer.topic], { env, timeout: 60_000 });
    expect(replay.stderr).toMatch(new RegExp(`replayed ${comments.length} dead letter`));
    await withProgress(p, waitForOutcomes(p, comments, 90_000));
    await expectExactlyOnce(comments);
    const left = await run(process.execPath, ['--import', 'tsx', 'scripts/dlq.ts', 'list', consumer.topic], { env, timeout: 60_000 });
    expect(left.stderr).toMatch(/^0 dead letter/m);
  }, 240_000);

  it('no secret value appears in any captured log line', () => {
    const logs = p.logs();
    expect(logs).toMatch(/dead-lettered/);
    for (const secret of SECRET_VALUES) expect(logs.includes(secret), secret.slice(0, 4)).toBe(false);
  });
});
