/**
 * Spanish quantity words as viewers write them ("dos rojas", "un par de aros", "media docena").
 * Only small quantities: a live claim of more than a dozen units is rare and deserves a human/LLM look.
 */

/** One quantity read from the token stream. */
export interface QuantityWord {
  value: number;
  /** How many tokens the expression spans ("un par de" = 3). */
  length: number;
  /** The expression is vague about the number (e.g. "un par": two shirts or one pair of shoes). */
  vague: boolean;
  /** An article-like "un/una/uno": quantity 1 that also opens a new item in a list. */
  article: boolean;
}

const UNITS: ReadonlyMap<string, number> = new Map([
  ['uno', 1],
  ['una', 1],
  ['un', 1],
  ['dos', 2],
  ['tres', 3],
  ['cuatro', 4],
  ['cinco', 5],
  ['seis', 6],
  ['siete', 7],
  ['ocho', 8],
  ['nueve', 9],
  ['diez', 10],
  ['once', 11],
  ['doce', 12],
]);

/**
 * Reads a quantity expression starting at `norms[i]` (normalised words). Returns null when there is none.
 * "ambos/ambas" and "las dos" are left to the caller's context (they often mean "both items shown").
 */
export function readQuantityWord(norms: readonly string[], i: number): QuantityWord | null {
  const w = norms[i];
  if (w === undefined) return null;
  const next = norms[i + 1];
  if ((w === 'un' || w === 'una') && next === 'par') {
    return { value: 2, length: norms[i + 2] === 'de' ? 3 : 2, vague: true, article: false };
  }
  if (w === 'media' && next === 'docena') {
    return { value: 6, length: norms[i + 2] === 'de' ? 3 : 2, vague: false, article: false };
  }
  if ((w === 'una' || w === 'un') && next === 'docena') {
    return { value: 12, length: norms[i + 2] === 'de' ? 3 : 2, vague: false, article: false };
  }
  if (w === 'ambos' || w === 'ambas') return { value: 2, length: 1, vague: true, article: false };
  const unit = UNITS.get(w);
  if (unit === undefined) return null;
  return { value: unit, length: 1, vague: false, article: unit === 1 };
}

/** Words after a number that mark it as a count ("2 unidades", "3 pares", "2 u"). */
export const COUNT_NOUNS: ReadonlySet<string> = new Set([
  'unidad',
  'unidades',
  'u',
  'un',
  'uds',
  'ud',
  'und',
  'unid',
  'pza',
  'pzas',
  'pieza',
  'piezas',
  'par',
  'pares',
  'x',
]);
