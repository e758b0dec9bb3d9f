import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { liveSchema } from '../../shared/tiendas/live-store.js';
import { newTiendaSchema } from '../../shared/tiendas/tienda-store.js';

/** The README's commands use these files: they must stay valid as the schemas evolve. */
describe('examples/ (the files the README names)', () => {
  it('examples/tienda.json is a tienda `npm run tienda -- add` accepts', () => {
    expect(newTiendaSchema.safeParse(JSON.parse(readFileSync('examples/tienda.json', 'utf8'))).success).toBe(true);
  });
  it('examples/live.json is a live of that tienda with per-variant and pooled stock', () => {
    const live = liveSchema.parse(JSON.parse(readFileSync('examples/live.json', 'utf8')));
    expect(live.tienda_id).toBe('moda-valpo');
    expect(live.products.find((p) => p.code === '101')!.stock).toBe(14); // the sum of its variant_stock
    expect(live.products.some((p) => p.variant_stock === undefined)).toBe(true);
  });
  it('examples/comments.jsonl is one {"text"} per line, for `npm run classify`', () => {
    const lines = readFileSync('examples/comments.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { text?: unknown });
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(typeof l.text).toBe('string');
  });
  it('data/demo-live.json is the live npm start replays: a low-stock variant for its burst, no green', () => {
    const file = JSON.parse(readFileSync('data/demo-live.json', 'utf8'));
    const live = liveSchema.parse({ ...file, tienda_id: 'tienda-demo', post_id: '1_2' });
    const polera = live.products.find((p) => p.code === '101')!;
    expect(polera.variant_stock!.find((v) => v.color === 'roja' && v.size === 'M')!.stock).toBeLessThanOrEqual(3);
    expect(polera.variants.color).not.toContain('verde');
  });
});
