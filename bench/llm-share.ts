/**
 * How many comments of a busy live would still need an LLM after the local classifier, and how
 * fast the local pass is relative to a trivial baseline measured in the same run.
 *
 *   npx tsx bench/llm-share.ts [--comments N] [--seed S] [--catalog data/catalog-demo.json]
 *
 * The stream comes from bench/live-stream-generator.ts (its header documents the comment mix).
 * Throughput is reported as comments per second on this one core (this process is single-threaded) and
 * as a ratio to `text.toLowerCase()` over the same comments, which means the same on a laptop and on CI.
 * Run it once per catalog (`--catalog tests/fixtures/unseen/catalog-tecno.json`…) to see other shop kinds.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { classifyLocal, type LocalClassification } from '../services/worker/intent/local-classifier.js';
import type { Catalog } from '../services/worker/intent/intent-types.js';
import { generateLiveStream, type GeneratedComment } from './live-stream-generator.js';

function argValue(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  return (i >= 0 ? args[i + 1] : undefined) ?? fallback;
}

/** Nanoseconds spent running `fn` over the stream `rounds` times. */
function timeIt(rounds: number, fn: () => void): number {
  const start = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) fn();
  return Number(process.hrtime.bigint() - start);
}

const pct = (a: number, b: number): string => (b === 0 ? '   -  ' : `${((a / b) * 100).toFixed(1).padStart(5)}%`);

function main(): void {
  const args = process.argv.slice(2);
  const count = Number(argValue(args, '--comments', '5000'));
  const seed = Number(argValue(args, '--seed', '42'));
  const catalogPath = argValue(args, '--catalog', 'data/catalog-demo.json');
  if (!Number.isInteger(count) || count <= 0 || !Number.isFinite(seed)) {
    process.stderr.write('usage: npx tsx bench/llm-share.ts [--comments N>0] [--seed S] [--catalog path]\n');
    process.exitCode = 2;
    return;
  }
  const catalog = JSON.parse(readFileSync(resolve(catalogPath), 'utf8')) as Catalog;
  const stream: GeneratedComment[] = generateLiveStream({ comments: count, seed, catalog });

  // Classification pass (also warms the per-catalog index cache and the JIT).
  const results: LocalClassification[] = stream.map((c) => classifyLocal(c.text, catalog, { featured: c.featured }));

  const byIntended = new Map<string, { total: number; llm: number }>();
  const byPredicted = new Map<string, { total: number; llm: number }>();
  const bump = (m: Map<string, { total: number; llm: number }>, k: string, llm: boolean): void => {
    const row = m.get(k) ?? { total: 0, llm: 0 };
    row.total++;
    if (llm) row.llm++;
    m.set(k, row);
  };
  let llm = 0;
  let agree = 0;
  let judged = 0;
  results.forEach((r, i) => {
    const c = stream[i];
    if (!c) return;
    if (!r.confident) llm++;
    bump(byIntended, c.intended, !r.confident);
    bump(byPredicted, r.intent, !r.confident);
    if (c.intended !== 'hard') {
      judged++;
      if (c.intended === r.intent) agree++;
    }
  });

  // Throughput: same comments, same process, alternating to share thermal/GC conditions.
  const rounds = Math.max(1, Math.ceil(20000 / count));
  let sink = 0;
  const baseline = (): void => {
    for (const c of stream) sink += c.text.toLowerCase().length;
  };
  const local = (): void => {
    for (const c of stream) sink += classifyLocal(c.text, catalog, { featured: c.featured }).items.length;
  };
  timeIt(rounds, baseline);
  let baseNs = 0;
  let localNs = 0;
  for (let k = 0; k < 3; k++) {
    baseNs += timeIt(rounds * 20, baseline) / 20;
    localNs += timeIt(rounds, local);
  }

  const lines: string[] = [];
  lines.push(`comments: ${count}  seed: ${seed}  catalog: ${catalogPath}`);
  lines.push(`need an LLM (not confident): ${pct(llm, count)}  (${llm}/${count}; threshold in local-classifier.ts)`);
  lines.push(`agreement with the generator's intended intent (excluding "hard"): ${pct(agree, judged)}`);
  lines.push('by intended kind      comments   share   to LLM');
  for (const k of ['purchase', 'question', 'cancel', 'other', 'hard']) {
    const row = byIntended.get(k) ?? { total: 0, llm: 0 };
    lines.push(`  ${k.padEnd(18)} ${String(row.total).padStart(8)}  ${pct(row.total, count)}  ${pct(row.llm, row.total)}`);
  }
  lines.push('by predicted intent   comments   share   to LLM');
  for (const k of ['purchase', 'question', 'cancel', 'other']) {
    const row = byPredicted.get(k) ?? { total: 0, llm: 0 };
    lines.push(`  ${k.padEnd(18)} ${String(row.total).padStart(8)}  ${pct(row.total, count)}  ${pct(row.llm, row.total)}`);
  }
  const ratio = localNs / Math.max(1, baseNs);
  const perSecond = (3 * rounds * count) / (localNs / 1e9);
  lines.push(`comments per second on one core (local classifier): ${Math.round(perSecond).toLocaleString('en-US')}`);
  lines.push(
    `throughput: local classifier = 1/${ratio.toFixed(0)} of the text.toLowerCase() baseline over the same comments` +
      ` (${rounds} round(s) x3; checksum ${sink % 997})`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
