/**
 * `npm run bench:e2e` — the whole pipeline (ingress, worker, notifier as processes; own Pub/Sub and Firestore
 * emulators; Mercado Pago, Gemini, Graph API and BigQuery stand-ins), measured from a signed comment webhook to
 * its private reply at the Graph stand-in:
 *
 *   steady   E2E_RATE comments/s (default 50) for E2E_SECONDS (default 30), one comment per webhook
 *   burst    E2E_BURST comments (default 1000) in webhooks of 100 at once: time until every one is answered
 *   gemini   the steady run again with a Gemini stand-in answering in GEMINI_DELAY_MS (default 800 ms)
 *
 * 5 % of the comments are ones the local classifier is unsure of (they go to Gemini when it is configured).
 * The baseline, measured in the same run, is the round trip of one webhook to the ingress alone (the part Meta
 * waits for): the ratio says how much of the end-to-end time is the pipeline behind the 200. Never asserted.
 */
import os from 'node:os';
import { createLogger, setLogger } from '../shared/logging/logger.js';
import { deliverLikeMeta, LIVE_POST, startPipeline, type Comment, type Pipeline } from '../tests/faults/pipeline-harness.js';

const RATE = Number(process.env.E2E_RATE ?? 50);
const SECONDS = Number(process.env.E2E_SECONDS ?? 30);
const BURST = Number(process.env.E2E_BURST ?? 1000);
const GEMINI_DELAY_MS = Number(process.env.GEMINI_DELAY_MS ?? 800);

/**
 * Every 20th comment is one the local classifier is unsure of: a list sharing one size ("roja y azul M", decided
 * locally at 0.68, below the threshold), so it goes to Gemini when Gemini is configured. The run prints how many
 * Gemini calls it made, so a classifier that learns to decide these alone shows up as 0 instead of passing unseen.
 */
function comments(prefix: string, n: number): Comment[] {
  const colors = ['roja', 'azul', 'negra', 'blanca'];
  const sizes = ['S', 'M', 'L'];
  return Array.from({ length: n }, (_, i) => ({
    id: `${LIVE_POST}_${prefix}${i}`,
    author: `b-${prefix}-${i}`,
    text: i % 20 === 19 ? `${colors[i % 4]} y ${colors[(i + 1) % 4]} ${sizes[i % 3]}` : `quiero la polera ${colors[i % 4]} talla ${sizes[i % 3]}`,
  }));
}

const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
};

/** Sent-at per comment → latency to its first private reply (comments without a reply are counted as lost). */
async function settle(p: Pipeline, sentAt: Map<string, number>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  const answered = () => p.graph.replies.filter((r) => sentAt.has(r.commentId));
  while (Date.now() < deadline && new Set(answered().map((r) => r.commentId)).size < sentAt.size) await new Promise((r) => setTimeout(r, 200));
  const first = new Map<string, number>();
  for (const r of answered()) if (!first.has(r.commentId)) first.set(r.commentId, Date.parse(r.at));
  const latencies = [...first].map(([id, at]) => at - sentAt.get(id)!);
  return { latencies, lost: sentAt.size - first.size, duplicates: answered().length - first.size, lastAt: Math.max(...first.values()) };
}

async function steady(p: Pipeline, prefix: string) {
  const list = comments(prefix, RATE * SECONDS);
  const sentAt = new Map<string, number>();
  const start = Date.now();
  const sends: Array<Promise<unknown>> = [];
  for (let i = 0; i < list.length; i++) {
    const due = start + (i * 1000) / RATE;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sentAt.set(list[i]!.id, Date.now());
    sends.push(deliverLikeMeta(p.services.ingress.url, [list[i]!], Date.now() + 120_000));
  }
  await Promise.all(sends);
  return settle(p, sentAt, 180_000);
}

async function main() {
  setLogger(createLogger({ level: 'CRITICAL' }));
  console.log(`end-to-end benchmark on ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
  const p = await startPipeline({ extraEnv: { ingress: { LOG_LEVEL: 'ERROR' }, worker: { LOG_LEVEL: 'ERROR' }, notifier: { LOG_LEVEL: 'ERROR' } } });
  try {
    // Baseline: the ingress alone, one comment per webhook, sequentially (what Meta waits for).
    const base: number[] = [];
    for (const c of comments('base', 50)) {
      const t0 = performance.now();
      await deliverLikeMeta(p.services.ingress.url, [c], Date.now() + 30_000);
      base.push(performance.now() - t0);
    }
    const baseP50 = pct(base, 0.5);
    console.log(`baseline  webhook → 200 at the ingress: p50 ${baseP50.toFixed(0)} ms, p99 ${pct(base, 0.99).toFixed(0)} ms`);

    const line = (name: string, r: Awaited<ReturnType<typeof settle>>) =>
      console.log(
        `${name.padEnd(9)} webhook → private reply: p50 ${pct(r.latencies, 0.5).toFixed(0)} ms (${(pct(r.latencies, 0.5) / baseP50).toFixed(1)}× baseline), ` +
          `p95 ${pct(r.latencies, 0.95).toFixed(0)} ms, p99 ${pct(r.latencies, 0.99).toFixed(0)} ms; answered ${r.latencies.length}, not answered within the wait ${r.lost}, duplicate replies ${r.duplicates}`,
      );
    line(`steady ${RATE}/s×${SECONDS}s`, await steady(p, 'st'));

    {
      const list = comments('burst', BURST);
      const sentAt = new Map(list.map((c) => [c.id, Date.now()] as const));
      const t0 = Date.now();
      await Promise.all(Array.from({ length: Math.ceil(BURST / 100) }, (_, i) => deliverLikeMeta(p.services.ingress.url, list.slice(i * 100, i * 100 + 100), Date.now() + 120_000)));
      const accepted = Date.now() - t0;
      const r = await settle(p, sentAt, 400_000);
      console.log(`burst     ${BURST} comments: accepted in ${(accepted / 1000).toFixed(1)} s, every reply sent after ${((r.lastAt - t0) / 1000).toFixed(1)} s (${(BURST / ((r.lastAt - t0) / 1000)).toFixed(0)} comments/s); not answered within the wait ${r.lost}, duplicate replies ${r.duplicates}`);
    }

    p.gemini.setResponder(() => ({ kind: 'delay', ms: GEMINI_DELAY_MS, then: { kind: 'heuristic' } }));
    const llmBefore = p.gemini.requests.length;
    line(`gemini ${GEMINI_DELAY_MS}ms`, await steady(p, 'gm'));
    console.log(`          (Gemini stand-in calls during that run: ${p.gemini.requests.length - llmBefore})`);
  } finally {
    await p.close();
  }
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
