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
});
