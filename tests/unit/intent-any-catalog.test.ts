import { describe, expect, it } from 'vitest';
import { asOrdered } from '../../scripts/eval-intent.js';
import type { Catalog, CatalogProduct } from '../../services/worker/intent/intent-types.js';
import { classifyLocal, type LocalClassification } from '../../services/worker/intent/local-classifier.js';
import { catalogProductSchema } from '../../shared/tiendas/live-store.js';

/**
 * The local classifier on shops that sell something else than clothes: variant values spelled the merchant's
 * way (units, words, ranges), the ways viewers say them, numbers that are sizes or counts, lists that
 * distribute a count, and the conditional-claims policy. Every catalog here is written for these tests (none
 * is the demo catalog nor a labelled set's).
 */
const shop = (featured: string, products: CatalogProduct[]): Catalog => ({
  tienda_id: 't-any',
  live_id: 'l-any',
  currency: 'CLP',
  featured_product: featured,
  products,
});
const p = (code: string, name: string, keywords: string[], variants: CatalogProduct['variants'], aliases?: Record<string, string>): CatalogProduct => ({
  code,
  name,
  keywords,
  price: 1000,
  variants,
  stock: 10,
  ...(aliases ? { aliases } : {}),
});

const shoes = shop('Z1', [
  p('Z1', 'Zapatillas de lona', ['zapatillas', 'zapas'], { color: ['blanco', 'negro', 'nude'], size: ['35', '36', '37', '38', '39', '40'] }),
  p('Z2', 'Mocasines de cuero', ['mocasines'], { color: ['marrón'], size: ['39', '40', '41'] }, { café: 'marrón' }),
  p('Z3', 'Botines chelsea', ['botines'], { color: ['negro', 'burdeo'], size: ['36', '37', '38', '39'] }, { vino: 'burdeo' }),
  p('Z4', 'Bolso de cuero', ['bolso', 'bolsos'], { color: ['negro', 'marrón', 'beige'] }, { café: 'marrón' }),
  p('Z5', 'Calcetines térmicos', ['calcetines'], { size: ['36-38', '39-41'] }),
  p('Z6', 'Polera básica', ['polera', 'poleras'], { color: ['gris'], size: ['M', '2XL'] }),
]);
const kids = shop('K1', [
  p('K1', 'Conjunto deportivo', ['conjunto', 'buzo'], { color: ['gris', 'azul'], size: ['2 años', '4 años', '6 años', '8 años'] }),
  p('K2', 'Gorro de lana', ['gorro'], { color: ['rosado', 'azul'], size: ['talla única'] }),
]);
const beauty = shop('B1', [
  p('B1', 'Perfume Flor', ['perfume'], { size: ['50 ml', '100 ml'] }),
  p('B2', 'Labial mate', ['labial', 'labiales'], { color: ['coral', 'nude', 'rojo pasión'] }),
]);
const tech = shop('T1', [
  p('T1', 'Celular Nova', ['celular', 'celu'], { color: ['negro', 'lila'], size: ['128GB', '256GB'] }),
  p('T2', 'Batería externa', ['power bank', 'bateria'], { size: ['10000 mAh', '20000 mAh'] }),
  p('T3', 'Cable USB', ['cable'], { size: ['1 m', '2 m'] }),
]);
const home = shop('H1', [
  p('H1', 'Juego de sábanas', ['sabanas', 'juego'], { color: ['blanco', 'gris'], size: ['1 plaza', '2 plazas'] }, { doble: '2 plazas', sencilla: '1 plaza' }),
  p('H2', 'Olla de acero', ['olla'], { size: ['24 cm', '28 cm'] }),
]);

const CATALOGS: Record<string, Catalog> = { shoes, kids, beauty, tech, home };

const items = (r: LocalClassification): string =>
  r.items.map((i) => `${i.product}/${i.color ?? '-'}/${i.size ?? '-'}/x${i.quantity ?? '-'}`).join(' + ');
const claim = (catalog: Catalog, text: string, featured?: string): string => {
  const r = classifyLocal(text, catalog, featured === undefined ? {} : { featured });
  expect(r.intent, `${text} → ${r.intent} (${r.signals.join('; ')})`).toBe('purchase');
  return items(r);
};

describe('variant values as the merchant spells them, said the way viewers say them', () => {
  it.each([
    ['kids', 'me la aparta talla 4', 'K1/-/4 años/x1'],
    ['kids', 'el conjunto gris para 8', 'K1/gris/8 años/x1'],
    ['kids', 'sepárame uno azul para 6 añitos', 'K1/azul/6 años/x1'],
    ['kids', 'el azul talla cuatro', 'K1/azul/4 años/x1'],
    ['beauty', 'mío el perfume de 50', 'B1/-/50 ml/x1'],
    ['beauty', 'la de 100 para mí', 'B1/-/100 ml/x1'],
    ['beauty', 'uno de cien mililitros', 'B1/-/100 ml/x1'],
    ['beauty', 'perfume 50ml porfa', 'B1/-/50 ml/x1'],
    ['shoes', 'las grises treinta y siete pa mí', 'Z1/-/37/x1'],
    ['shoes', '#38 blancas 🙋‍♀️', 'Z1/blanco/38/x1'],
    ['shoes', 'me las guarda en negro n° 36', 'Z1/negro/36/x1'],
    ['shoes', 'los calcetines 36-38', 'Z5/-/36-38/x1'],
    ['shoes', 'la polera 2xl', 'Z6/gris/2XL/x1'],
    ['tech', 'lo quiero en lila 256', 'T1/lila/256GB/x1'],
    ['tech', 'el celu negro de 128 gigas', 'T1/negro/128GB/x1'],
    ['tech', 'power bank de 20 mil para mí', 'T2/-/20000 mAh/x1'],
    ['tech', 'un cable de 2 metros', 'T3/-/2 m/x1'],
    ['home', 'la olla de 28 para mí', 'H2/-/28 cm/x1'],
    ['home', 'las sábanas grises de una plaza', 'H1/gris/1 plaza/x1'],
  ])('%s: "%s"', (name, text, expected) => {
    // The catalog's first product is featured unless the comment names another.
    expect(claim(CATALOGS[name as string] as Catalog, text as string)).toBe(expected);
  });

  it('a product with one value in a dimension gets it; with several, nothing is guessed', () => {
    expect(claim(shoes, 'quiero los mocasines talla 39')).toBe('Z2/marrón/39/x1');
    expect(claim(kids, 'un gorro rosado', 'K2')).toBe('K2/rosado/talla única/x1');
    expect(claim(shoes, 'las blancas 37')).toBe('Z1/blanco/37/x1'); // two or more values: nothing guessed
  });

  it('reads the aliases a catalog declares, for that product only', () => {
    expect(claim(shoes, 'los mocasines café 40')).toBe('Z2/marrón/40/x1');
    expect(claim(shoes, 'botines vino 38')).toBe('Z3/burdeo/38/x1');
    expect(claim(home, 'sábanas dobles blancas')).toBe('H1/blanco/2 plazas/x1');
    expect(claim(home, 'juego sencillo gris')).toBe('H1/gris/1 plaza/x1');
    // "café" is an alias of Z2 and Z4, not of the zapatillas: asked there it is a colour they do not sell.
    const r = classifyLocal('zapatillas café 38', shoes);
    expect(r.items[0]?.color ?? null).toBeNull();
    expect(r.confident).toBe(false);
  });
});

describe('numbers: a size when the product in context sells it, a count otherwise', () => {
  it('a count before the item, a size after it or after "de/para/talla"', () => {
    expect(claim(kids, 'quiero 2 conjuntos grises talla 4')).toBe('K1/gris/4 años/x2');
    expect(claim(kids, 'quiero 2')).toBe('K1/-/-/x2'); // "2 años" is sold, but a bare 2 after "quiero" counts
    expect(claim(shoes, 'zapatillas negras 39 x2')).toBe('Z1/negro/39/x2');
    expect(claim(home, 'regálame dos ollas de 24', 'H2')).toBe('H2/-/24 cm/x2');
  });

  it('"un par" of a product sold in pairs is one unit; of anything else two', () => {
    expect(claim(shoes, 'un par de botines negros del 38')).toBe('Z3/negro/38/x1');
    expect(claim(shoes, 'dos pares blancos del 35')).toBe('Z1/blanco/35/x2');
    const poleras = classifyLocal('un par de poleras M', shoes);
    expect(items(poleras)).toBe('Z6/gris/M/x2');
    expect(poleras.confident).toBe(false); // "un par" of shirts may be "a couple": the LLM checks
  });

  it('a number the product does not sell, said with a unit, is an unknown size (sent to the LLM)', () => {
    const r = classifyLocal('el perfume de 75 ml', beauty);
    expect(r.intent).toBe('purchase');
    expect(r.items[0]?.size ?? null).toBeNull();
    expect(r.confident).toBe(false);
  });
});

describe('distributive lists: one item per named variant, with the counts the text implies', () => {
  it.each([
    ['shoes', 'quiero 3 bolsos: negro, café y beige', 'Z4', 'Z4/negro/-/x1 + Z4/marrón/-/x1 + Z4/beige/-/x1'],
    ['shoes', 'las dos en 37: negra y nude', 'Z1', 'Z1/negro/37/x1 + Z1/nude/37/x1'],
    ['shoes', '2 negras, una 36 y otra 38', 'Z1', 'Z1/negro/36/x1 + Z1/negro/38/x1'],
    ['shoes', 'quiero 2 pares negros, uno 36 y otro 40', 'Z1', 'Z1/negro/36/x1 + Z1/negro/40/x1'],
    ['shoes', 'dame dos botines burdeo, 36 y 39', 'Z1', 'Z3/burdeo/36/x1 + Z3/burdeo/39/x1'],
    ['kids', 'quiero 2 conjuntos: azul y gris, los dos talla 6', 'K1', 'K1/azul/6 años/x1 + K1/gris/6 años/x1'],
    ['beauty', 'me llevo 3 labiales: nude, coral y rojo', 'B2', 'B2/nude/-/x1 + B2/coral/-/x1 + B2/rojo pasión/-/x1'],
    ['beauty', 'quiero dos: uno de 50 y otro de 100', 'B1', 'B1/-/50 ml/x1 + B1/-/100 ml/x1'],
    ['tech', 'dos celulares: uno lila y otro negro, ambos de 128', 'T1', 'T1/lila/128GB/x1 + T1/negro/128GB/x1'],
    ['kids', 'gorros: uno rosado y uno azul', 'K2', 'K2/rosado/talla única/x1 + K2/azul/talla única/x1'],
  ])('%s: "%s"', (name, text, featured, expected) => {
    expect(claim(CATALOGS[name as string] as Catalog, text as string, featured as string)).toBe(expected);
  });

  it('a count that does not add up to the list keeps its own meaning', () => {
    expect(claim(shoes, '2 negras 37 y una blanca 38')).toBe('Z1/negro/37/x2 + Z1/blanco/38/x1');
  });
});

describe('conditional claims, past purchases and "lo mío"', () => {
  it('a claim conditional on stock is a purchase of that variant, decided locally', () => {
    const r = classifyLocal('si hay en 40 me lo llevo', shoes);
    expect([r.intent, items(r), r.confident]).toEqual(['purchase', 'Z1/-/40/x1', true]);
    expect(claim(beauty, 'si tienes el coral me lo apartas', 'B2')).toBe('B2/coral/-/x1');
  });

  it('a claim conditional on anything else is a question', () => {
    for (const text of ['si me hacen descuento me llevo dos pares', 'si me dejas el perfume en 900 me lo llevo', 'si pago en efectivo me lo llevo?']) {
      const r = classifyLocal(text, beauty);
      expect(r.intent, text).toBe('question');
      expect(r.items).toEqual([]);
    }
  });

  it('"sí" (yes) is no condition', () => {
    expect(claim(shoes, 'sí, me la llevo en 38')).toBe('Z1/-/38/x1');
    expect(claim(shoes, 'si la quiero negra 36')).toBe('Z1/negro/36/x1');
  });

  it('what the viewer already got is chatter; "cancela lo mío" is a cancel', () => {
    expect(classifyLocal('ayer me llegaron los míos y están divinos', shoes).intent).toBe('other');
    expect(classifyLocal('saludos, llevo 3 pares comprados acá', shoes).intent).toBe('other');
    expect(classifyLocal('cancela lo mío de la cartera porfa', shoes).intent).toBe('cancel');
    expect(classifyLocal('mejor cancela lo mío nomás', shoes).intent).toBe('cancel');
  });
});

describe('catalog aliases in the live catalog and in evaluation', () => {
  it('the live catalog schema accepts aliases that point at a value of the product, and rejects others', () => {
    const base = { code: 'Z2', name: 'Mocasines', keywords: [], price: 1, variants: { color: ['marrón'] }, stock: 1 };
    expect(catalogProductSchema.safeParse({ ...base, aliases: { café: 'marrón' } }).success).toBe(true);
    const bad = catalogProductSchema.safeParse({ ...base, aliases: { azul: 'celeste' } });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toContain('not one of the product');
  });

  it('compares items as the order step completes them (a single-valued dimension filled)', () => {
    expect(asOrdered([{ product: 'Z2', color: null, size: '40', quantity: 1 }], shoes)).toEqual([
      { product: 'Z2', color: 'marrón', size: '40', quantity: 1 },
    ]);
    expect(asOrdered([{ product: 'Z1', color: null, size: '40', quantity: 1 }], shoes)[0]?.color).toBeNull();
  });
});
