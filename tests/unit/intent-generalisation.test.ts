import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluate, formatReport, parseLabelled } from '../../scripts/eval-intent.js';
import type { Catalog } from '../../services/worker/intent/intent-types.js';

/**
 * Two sets written blind — by authors who never saw the classifier or the other sets — for a Mexican and
 * an Argentine shop. First-run scores before any change prompted by them: MX 97.5 % intent / 93.8 % items,
 * AR 97.5 % / 95.2 %. The MX set's failure patterns were then fixed generically (without showing its
 * sentences); the AR set was never described to anyone changing the classifier. The thresholds sit at the
 * product targets, so a regression below them fails while wording tweaks do not.
 */
const SETS = [
  { name: 'Mexican shop (CH/M/G/XG, masculine colours)', data: 'tests/fixtures/intent-blind-mx.jsonl', catalog: 'tests/fixtures/catalog-blind-mx.json' },
  { name: 'Argentine shop (voseo, numeric sizes)', data: 'tests/fixtures/intent-blind-ar.jsonl', catalog: 'tests/fixtures/catalog-blind-ar.json' },
];

describe('local classifier on blind sets with other catalogs', () => {
  it.each(SETS)('$name: intent ≥ 95 %, purchase items ≥ 90 %, and what it decides alone is ≥ 97 % right', ({ data, catalog }) => {
    const rows = parseLabelled(readFileSync(data, 'utf8'));
    expect(rows.length).toBe(120);
    const report = evaluate(rows, JSON.parse(readFileSync(catalog, 'utf8')) as Catalog);
    expect(report.intentAccuracy, formatReport(report)).toBeGreaterThanOrEqual(0.95);
    expect(report.purchaseItems.exactMatchRate, formatReport(report)).toBeGreaterThanOrEqual(0.9);
    expect(report.confident.accuracy, formatReport(report)).toBeGreaterThanOrEqual(0.97);
  });
});

/**
 * Five shops of other kinds (footwear, cosmetics, kids, electronics, home), catalogs and comments written by people
 * who never saw the classifier. First run, before any change prompted by them (tests/fixtures/unseen/FIRST-RUN.txt
 * and the README): intent 84.6–90.6 %, purchase items 9.5–33.3 % on ninos/tecno/hogar. Their tune sets were then used
 * to fix general rules (no per-shop code); each shop's holdout set was never seen by whoever tuned. These thresholds
 * are the targets, so a regression below them fails while wording changes do not.
 */
const UNSEEN = ['zapatos', 'belleza', 'ninos', 'tecno', 'hogar'].map((shop) => ({
  shop,
  data: `tests/fixtures/unseen/tune-${shop}.jsonl`,
  catalog: `tests/fixtures/unseen/catalog-${shop}.json`,
}));

describe('local classifier on shops that do not sell clothes (tune sets)', () => {
  it.each(UNSEEN)('$shop: intent ≥ 95 %, purchase items ≥ 90 %, what it decides alone ≥ 98 % right (items included)', ({ data, catalog }) => {
    const report = evaluate(parseLabelled(readFileSync(data, 'utf8')), JSON.parse(readFileSync(catalog, 'utf8')) as Catalog);
    expect(report.intentAccuracy, formatReport(report)).toBeGreaterThanOrEqual(0.95);
    expect(report.purchaseItems.exactMatchRate, formatReport(report)).toBeGreaterThanOrEqual(0.9);
    expect(report.confident.exactAccuracy, formatReport(report)).toBeGreaterThanOrEqual(0.98);
    // Calibration must not be bought by sending everything to the LLM.
    expect(report.confident.share, formatReport(report)).toBeGreaterThanOrEqual(0.8);
  });
});
