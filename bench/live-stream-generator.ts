/**
 * A seeded generator of realistic live-stream comment streams, filled from any catalog.
 *
 * The mix below is an assumption drawn from how Latin-American live-selling chats read (most
 * comments are social; claims come in bursts when a product is on screen), not measured data.
 * It is a parameter: change MIX to test another shape of chat.
 *
 *   other    ~45%  greetings, emojis, laughter, praise, tags/shares, "ya pagué", stream problems
 *   question ~22%  price, sizes/stock/colours, shipping, payment, product details
 *   purchase ~28%  bare variants ("roja M"), "yo"/🙋, "mía", "quiero…", "me la llevo…", codes, quantities,
 *                  multi-item lists, third parties; ~8% of claims are repeated by the same viewer
 *   cancel    ~3%  "cancelo…", "ya no la quiero", "me arrepentí…"
 *   hard      ~2%  long stories, mixed claim/cancel, colours the product lacks (expected to go to an LLM)
 *
 * Noise is applied on top: accents dropped (very common on phones), stretched letters ("siii"),
 * k/qu and s/z swaps ("kiero", "asul"), CAPS, extra "!!!", trailing emojis.
 */
import type { Catalog, CatalogProduct, Intent } from '../services/worker/intent/intent-types.js';

/** One generated comment; `intended` is what the template was written to be. */
export interface GeneratedComment {
  text: string;
  featured: string | null;
  intended: Intent | 'hard';
}

/** Options of generateLiveStream. */
export interface LiveStreamOptions {
  comments: number;
  seed: number;
  catalog: Catalog;
  /** Comments between changes of the featured product (default 40). */
  featuredEvery?: number;
}

/** mulberry32: tiny, fast, good enough for reproducible benchmarks. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kind = Intent | 'hard';
const MIX: readonly [Kind, number][] = [
  ['other', 0.45],
  ['question', 0.22],
  ['purchase', 0.28],
  ['cancel', 0.03],
  ['hard', 0.02],
];

const OTHER = [
  'hola!!', 'holaaa desde {city}', 'buenas noches a todas', 'saludos desde {city} 👋', 'buenas buenas', 'holi',
  '😍😍😍', '🔥🔥', '❤️❤️❤️', '👏👏', '💕', 'jajajaja', 'jsjsjs', 'JAJAJA', 'jaja me encanta',
  'qué lindo todo', 'hermosa la {kw}', 'me encanta este live', 'qué bonita 😍', 'divina!!', 'te queda precioso',
  'precioso ese color', 'compartido ❤️', 'ya compartí', '@{name} mira esto', '@{name} 👀', 'ya pagué',
  'ya te transferí amiga', 'no se escucha', 'se congeló', 'llegué tarde 😭', 'gracias reina', 'bendiciones',
  'éxitos!!', 'qué buen precio', 'me llegó mi pedido, gracias!', 'la {c1} está más linda que la {c2}',
];
const QUESTION = [
  'cuánto cuesta?', 'precio?', 'precio de la {kw}?', 'cuánto sale?', 'a cuánto la {kw}', 'hay talla {s}?',
  'tienen en {c1}?', 'viene en verde?', 'qué tallas tiene la {kw}?', 'hacen envíos a {city}?',
  'cuánto sale el envío?', 'aceptan transferencia?', 'aceptan tarjeta?', 'la {kw} es de algodón?',
  'qué talla me recomiendas?', 'todavía hay {c1}?', 'info porfa', 'cómo compro?', 'cuánto demora el envío',
  'la {kw} tiene stock en {s}?', 'tienes la {kw} en {c1} talla {s}?', 'hay descuento por 2?',
];
const PURCHASE = [
  '{c1} {s}', '{c1} {s} porfa', 'yo', 'yo yo yo', '🙋‍♀️', '🙋‍♀️ {c1} {s}', '✋ {c1}', 'mía!!', 'mía la {c1} {s}',
  'quiero la {c1}', 'quiero la {c1} talla {s}', 'yo quiero una {c1} {s}', 'me la llevo', 'me la llevo en {c1} {s}',
  'la quiero!', 'la {c1} {s} es mía', '{code} {c1} {s}', '#{code} talla {s}', '2 {c1s} {s}', 'dos {kws} {c1s} {s}', '3 {kws} porfa',
  'apártame una {c1} {s}', 'me separas la {c1} en {s} porfa', 'sold {c1} {s}', 'para mí una {c1} {s}',
  'mi hermana quiere la {c1} {s}', 'kiero la {c1} {s}', 'una {c1} {s} y una {c2} {s}', 'me anoto con la {c1}',
  'quiero la {kw} {c1}', 'resérvame la {c1} {s}', 'mio {c1} {s}!!!', 'la tienen en {c1}? la quiero',
];
const CANCEL = ['cancelo la {c1}', 'ya no la quiero, perdón', 'me arrepentí de la {kw}', 'anula mi pedido porfa', 'bórrame de la lista'];
const HARD = [
  'hola amiga te cuento que ayer vi tu live y me gustó mucho la {kw} {c1} pero no sé si me va a quedar porque a veces uso {s} y a veces otra talla, qué hago',
  'cancelo la {c1} y quiero la {c2}',
  'quiero la verde agua {s}',
  'la {c1} o la {c2}, no sé cuál',
  'mejor la {c2}',
];
/** When the product cannot fill any template of a kind (e.g. no variants at all). */
const FALLBACK: Record<Kind, string> = {
  other: 'hola!',
  question: 'precio?',
  purchase: 'yo',
  cancel: 'cancelo',
  hard: 'mejor la otra',
};
const CITIES = ['Lima', 'Santiago', 'Bogotá', 'Guadalajara', 'Arequipa', 'Valparaíso', 'Medellín', 'Rosario', 'Quito'];
const NAMES = ['ana', 'maria_jose', 'lupita', 'caro.g', 'vale23'];
const EMOJI_TAIL = ['', '', '', ' 😍', ' ❤️', ' 🙏', ' 🔥', '!!', '!!!'];

function pick<T>(rnd: () => number, list: readonly T[]): T {
  const v = list[Math.floor(rnd() * list.length)];
  if (v === undefined) throw new Error('pick from empty list');
  return v;
}

const plural = (w: string): string => (/s$/.test(w) ? w : /[aeiouéó]$/.test(w) ? `${w}s` : `${w}es`);

/** Templates whose placeholders the product can fill (no "{c1}" for a product without colours). */
function usable(templates: readonly string[], product: CatalogProduct | undefined): string[] {
  const hasColour = (product?.variants.color?.length ?? 0) > 0;
  const hasSize = (product?.variants.size?.length ?? 0) > 0;
  return templates.filter((t) => (hasColour || !/\{c[12]s?\}/.test(t)) && (hasSize || !t.includes('{s}')));
}

function fill(template: string, rnd: () => number, product: CatalogProduct | undefined): string {
  const colours = product?.variants.color ?? [];
  const sizes = product?.variants.size ?? [];
  const c1 = colours.length > 0 ? pick(rnd, colours) : '';
  const others = colours.filter((c) => c !== c1);
  const c2 = others.length > 0 ? pick(rnd, others) : c1;
  const s = sizes.length > 0 ? pick(rnd, sizes) : '';
  const kw = product ? pick(rnd, product.keywords.length > 0 ? product.keywords : [product.name]) : 'prenda';
  return template
    .replace(/\{c1s\}/g, plural(c1))
    .replace(/\{kws\}/g, plural(kw))
    .replace(/\{c1\}/g, c1)
    .replace(/\{c2\}/g, c2)
    .replace(/\{s\}/g, s)
    .replace(/\{kw\}/g, kw)
    .replace(/\{code\}/g, product?.code ?? '')
    .replace(/\{city\}/g, pick(rnd, CITIES))
    .replace(/\{name\}/g, pick(rnd, NAMES))
    .replace(/ +/g, ' ')
    .trim();
}

/** Phone-typing noise, each with its own probability. */
function noise(text: string, rnd: () => number): string {
  let t = text;
  if (rnd() < 0.5) t = t.normalize('NFD').replace(/[\u0300-\u0301\u0303]/g, '').normalize('NFC');
  if (rnd() < 0.1) t = t.replace(/qu(?=[ie])/g, 'k');
  if (rnd() < 0.08) t = t.replace(/z/g, 's');
  if (rnd() < 0.12) t = t.replace(/([aeiou])(?=[!?. ]*$)/, '$1$1$1');
  if (rnd() < 0.08) t = t.toUpperCase();
  return t + pick(rnd, EMOJI_TAIL);
}

/** Generates `comments` comments, reproducibly for a given seed and catalog. */
export function generateLiveStream(options: LiveStreamOptions): GeneratedComment[] {
  const rnd = seededRandom(options.seed);
  const every = options.featuredEvery ?? 40;
  const products = options.catalog.products;
  const out: GeneratedComment[] = [];
  let lastClaim: GeneratedComment | undefined;
  for (let i = 0; i < options.comments; i++) {
    const featuredProduct = products.length > 0 ? products[Math.floor(i / every) % products.length] : undefined;
    const featured = featuredProduct?.code ?? null;
    // The same viewer repeating a claim a moment later.
    if (lastClaim && lastClaim.featured === featured && rnd() < 0.08) {
      out.push(lastClaim);
      continue;
    }
    let r = rnd();
    let kind: Kind = 'other';
    for (const [k, share] of MIX) {
      if (r < share) {
        kind = k;
        break;
      }
      r -= share;
    }
    const templates = { other: OTHER, question: QUESTION, purchase: PURCHASE, cancel: CANCEL, hard: HARD }[kind];
    // Claims and questions are about the product on screen most of the time.
    const about = rnd() < 0.85 ? featuredProduct : products.length > 0 ? pick(rnd, products) : undefined;
    const candidates = usable(templates, about);
    const text = noise(fill(pick(rnd, candidates.length > 0 ? candidates : [FALLBACK[kind]]), rnd, about), rnd);
    const comment: GeneratedComment = { text, featured, intended: kind };
    out.push(comment);
    if (kind === 'purchase') lastClaim = comment;
  }
  return out;
}
