/**
 * Evaluates the local intent classifier on a labelled JSONL set.
 *
 *   npx tsx scripts/eval-intent.ts [--data data/intent-dev.jsonl] [--catalog data/catalog-demo.json] [--json]
 *
 * Prints intent accuracy, per-intent precision/recall/F1, the exact-match rate of purchase items
 * (multiset equality, field by field), the share marked confident and the accuracy among those, and
 * every miss. It is a report, not a gate: exit code 0 unless an input file cannot be read or parsed (2).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { classifyLocal, type LocalClassification } from '../services/worker/intent/local-classifier.js';
import { INTENTS, type Catalog, type Intent, type IntentItem } from '../services/worker/intent/intent-types.js';

/** One labelled line of the data set. */
export interface LabelledComment {
  text: string;
  featured: string | null;
  intent: Intent;
  items: IntentItem[];
}

/** Per-intent scores. */
export interface IntentScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** One comment the classifier got wrong (intent or purchase items). */
export interface Miss {
  line: number;
  text: string;
  featured: string | null;
  expected: { intent: Intent; items: IntentItem[] };
  got: { intent: Intent; items: IntentItem[]; confidence: number; confident: boolean; signals: string[] };
  kind: 'intent' | 'items';
}

/** The whole report. */
export interface EvalReport {
  data: string;
  catalog: string;
  total: number;
  intentAccuracy: number;
  perIntent: Record<Intent, IntentScores>;
  purchaseItems: { evaluated: number; exactMatches: number; exactMatchRate: number };
  confident: { count: number; share: number; accuracy: number };
  misses: Miss[];
}

const itemKey = (i: IntentItem): string => JSON.stringify([i.product, i.color, i.size, i.quantity]);

/** Items equal as a multiset, compared field by field. */
export function sameItems(a: readonly IntentItem[], b: readonly IntentItem[]): boolean {
  if (a.length !== b.length) return false;
  const count = new Map<string, number>();
  for (const i of a) count.set(itemKey(i), (count.get(itemKey(i)) ?? 0) + 1);
  for (const i of b) {
    const k = itemKey(i);
    const n = count.get(k) ?? 0;
    if (n === 0) return false;
    count.set(k, n - 1);
  }
  return true;
}

/** Parses a JSONL file of labelled comments (blank lines and lines starting with "//" are skipped). */
export function parseLabelled(jsonl: string): { line: number; row: LabelledComment }[] {
  const out: { line: number; row: LabelledComment }[] = [];
  jsonl.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('//')) return;
    out.push({ line: i + 1, row: JSON.parse(line) as LabelledComment });
  });
  return out;
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/** Runs the classifier over `rows` and scores it. */
export function evaluate(
  rows: { line: number; row: LabelledComment }[],
  catalog: Catalog,
  names: { data: string; catalog: string } = { data: '-', catalog: '-' },
): EvalReport {
  const misses: Miss[] = [];
  let correct = 0;
  let itemsEvaluated = 0;
  let itemsExact = 0;
  let confidentCount = 0;
  let confidentCorrect = 0;
  const tp = new Map<Intent, number>();
  const fp = new Map<Intent, number>();
  const fn = new Map<Intent, number>();
  const support = new Map<Intent, number>();
  const inc = (m: Map<Intent, number>, k: Intent): void => {
    m.set(k, (m.get(k) ?? 0) + 1);
  };

  for (const { line, row } of rows) {
    const got: LocalClassification = classifyLocal(row.text, catalog, { featured: row.featured });
    inc(support, row.intent);
    const intentOk = got.intent === row.intent;
    let itemsOk = true;
    if (intentOk) {
      correct++;
      inc(tp, row.intent);
    } else {
      inc(fp, got.intent);
      inc(fn, row.intent);
    }
    if (row.intent === 'purchase') {
      itemsEvaluated++;
      itemsOk = intentOk && sameItems(got.items, row.items);
      if (itemsOk) itemsExact++;
    }
    if (got.confident) {
      confidentCount++;
      if (intentOk) confidentCorrect++;
    }
    if (!intentOk || !itemsOk) {
      misses.push({
        line,
        text: row.text,
        featured: row.featured,
        expected: { intent: row.intent, items: row.items },
        got: {
          intent: got.intent,
          items: got.items,
          confidence: got.confidence,
          confident: got.confident,
          signals: got.signals,
        },
        kind: intentOk ? 'items' : 'intent',
      });
    }
  }

  const perIntent = {} as Record<Intent, IntentScores>;
  for (const intent of INTENTS) {
    const t = tp.get(intent) ?? 0;
    const precision = ratio(t, t + (fp.get(intent) ?? 0));
    const recall = ratio(t, t + (fn.get(intent) ?? 0));
    perIntent[intent] = {
      precision,
      recall,
      f1: ratio(2 * precision * recall, precision + recall),
      support: support.get(intent) ?? 0,
    };
  }

  return {
    data: names.data,
    catalog: names.catalog,
    total: rows.length,
    intentAccuracy: ratio(correct, rows.length),
    perIntent,
    purchaseItems: { evaluated: itemsEvaluated, exactMatches: itemsExact, exactMatchRate: ratio(itemsExact, itemsEvaluated) },
    confident: { count: confidentCount, share: ratio(confidentCount, rows.length), accuracy: ratio(confidentCorrect, confidentCount) },
    misses,
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const showItems = (items: IntentItem[]): string =>
  items.length === 0 ? '[]' : items.map((i) => `${i.product}/${i.color ?? '-'}/${i.size ?? '-'}/x${i.quantity ?? '-'}`).join(' + ');

/** Human-readable report. */
export function formatReport(r: EvalReport): string {
  const lines: string[] = [];
  lines.push(`data: ${r.data}   catalog: ${r.catalog}   comments: ${r.total}`);
  lines.push(`intent accuracy: ${pct(r.intentAccuracy)}`);
  lines.push('intent      precision  recall     F1  support');
  for (const intent of INTENTS) {
    const s = r.perIntent[intent];
    lines.push(
      `${intent.padEnd(10)} ${pct(s.precision).padStart(10)} ${pct(s.recall).padStart(7)} ${pct(s.f1).padStart(6)} ${String(s.support).padStart(8)}`,
    );
  }
  lines.push(
    `purchase items exact match: ${pct(r.purchaseItems.exactMatchRate)} (${r.purchaseItems.exactMatches}/${r.purchaseItems.evaluated})`,
  );
  lines.push(`confident: ${pct(r.confident.share)} of comments (${r.confident.count}), accuracy among them ${pct(r.confident.accuracy)}`);
  lines.push(`misses: ${r.misses.length}`);
  for (const m of r.misses) {
    lines.push(
      `  line ${m.line} [${m.kind}] ${JSON.stringify(m.text)} (featured ${m.featured ?? 'none'})\n` +
        `    expected ${m.expected.intent} ${showItems(m.expected.items)}\n` +
        `    got      ${m.got.intent} ${showItems(m.got.items)} conf=${m.got.confidence}${m.got.confident ? '' : ' (not confident)'}\n` +
        `    signals  ${m.got.signals.join('; ')}`,
    );
  }
  return lines.join('\n');
}

function argValue(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  const v = i >= 0 ? args[i + 1] : undefined;
  return v ?? fallback;
}

function main(): void {
  const args = process.argv.slice(2);
  const dataPath = argValue(args, '--data', 'data/intent-dev.jsonl');
  const catalogPath = argValue(args, '--catalog', 'data/catalog-demo.json');
  let rows: { line: number; row: LabelledComment }[];
  let catalog: Catalog;
  try {
    rows = parseLabelled(readFileSync(resolve(dataPath), 'utf8'));
    catalog = JSON.parse(readFileSync(resolve(catalogPath), 'utf8')) as Catalog;
  } catch (err) {
    process.stderr.write(`eval-intent: cannot read inputs: ${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const report = evaluate(rows, catalog, { data: dataPath, catalog: catalogPath });
  process.stdout.write(`${args.includes('--json') ? JSON.stringify(report, null, 2) : formatReport(report)}\n`);
}

// Run only as a script, so tests can import evaluate() without side effects.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
