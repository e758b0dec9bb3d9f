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
  /** "un par (de)": its unit depends on the product (one pair of shoes). */
  pair?: boolean;
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
    return { value: 2, length: norms[i + 2] === 'de' ? 3 : 2, vague: true, article: false, pair: true };
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

/**
 * Numbers that are amounts, not counts, codes or sizes ("$350", "100%", "a las 8", "2 horas",
 * "24 de diciembre", "2021"): the words around them say so. A number read this way never becomes an
 * item attribute and never makes a comment look like a bare claim.
 */
export type AmountKind = 'price' | 'percent' | 'time' | 'date' | 'year' | 'rating';

/** Units after a number that make it a time or a duration ("8 pm", "2 horas", "3 días"). */
export const TIME_UNITS: ReadonlySet<string> = new Set([
  'am', 'pm', 'hrs', 'hr', 'h', 'hs', 'hora', 'horas', 'min', 'mins', 'minuto', 'minutos', 'seg', 'segundo', 'segundos',
  'dia', 'dias', 'semana', 'semanas', 'mes', 'meses', 'ano', 'anos', 'anitos', 'horitas', 'minutitos',
]);

/** Currency words after a number ("350 pesos", "20 mil", "15 lucas"). */
export const CURRENCY_WORDS: ReadonlySet<string> = new Set([
  'pesos', 'peso', 'soles', 'sol', 'dolares', 'dolar', 'dls', 'usd', 'mxn', 'mx', 'clp', 'cop', 'pen', 'ars', 'bs',
  'bolivianos', 'quetzales', 'lempiras', 'colones', 'lucas', 'luca', 'varos', 'baros', 'mil', 'k', 'euros', 'eur',
]);

/** Month names: "10 de mayo" is a date. */
export const MONTHS: ReadonlySet<string> = new Set([
  'enero', 'febrero', 'marzo', 'abril', 'mayo', 'junio', 'julio', 'agosto', 'septiembre', 'setiembre', 'octubre',
  'noviembre', 'diciembre',
]);

/**
 * Units that are also how kids' sizes are spoken ("pijama talla 4 años", "body 6 meses"): a number
 * before them is an age-size when the catalog sells that number as a size, a duration otherwise.
 */
export const AGE_UNITS: ReadonlySet<string> = new Set(['ano', 'anos', 'anitos', 'mes', 'meses']);

/** Words before "las"/"la" + number that make it a clock time ("a las 8", "desde las 9", "son las 10"). */
export const CLOCK_LEADS: ReadonlySet<string> = new Set(['a', 'desde', 'hasta', 'son', 'tipo']);

/**
 * What kind of amount the number at `i` is, from the words around it, or null when it may be a
 * count/code/size. `norms` are normalised tokens; `isNumber(k)` tells whether token k is a number.
 */
export function amountKindAt(norms: readonly string[], i: number, isNumber: (k: number) => boolean): AmountKind | null {
  const prev = norms[i - 1];
  const prev2 = norms[i - 2];
  const next = norms[i + 1];
  const next2 = norms[i + 2];
  if (next === '%' || (next === 'por' && next2 === 'ciento') || next === 'porciento') return 'percent';
  if (prev === '$' || (next !== undefined && CURRENCY_WORDS.has(next))) return 'price';
  // "8:30", "8 pm", "2 horas"; the minutes of "8:30" too.
  if ((next === ':' && isNumber(i + 2)) || (prev === ':' && isNumber(i - 2))) return 'time';
  if (next !== undefined && TIME_UNITS.has(next)) return 'time';
  if ((prev === 'las' || prev === 'la') && prev2 !== undefined && CLOCK_LEADS.has(prev2)) return 'time';
  if ((next === 'de' && next2 !== undefined && MONTHS.has(next2)) || (prev !== undefined && MONTHS.has(prev))) return 'date';
  // "10/10", "10 de 10", "5 de 5": a rating.
  const of = next === '/' || next === 'de' ? next2 : undefined;
  const ofBefore = prev === '/' || prev === 'de' ? prev2 : undefined;
  const value = Number(norms[i]);
  if (of !== undefined && isNumber(i + 2) && ['5', '10', '100'].includes(of) && value <= Number(of)) return 'rating';
  if (ofBefore !== undefined && isNumber(i - 2) && ['5', '10', '100'].includes(norms[i] ?? '') && Number(ofBefore) <= value) return 'rating';
  return null;
}

/** A four-digit year of the last and this century ("desde 2019"). Checked after codes and sizes. */
export function looksLikeYear(norm: string): boolean {
  return /^(?:19|20)\d\d$/.test(norm);
}

const SPELLED_UNITS: ReadonlyMap<string, number> = new Map([
  ['uno', 1], ['un', 1], ['una', 1], ['dos', 2], ['tres', 3], ['cuatro', 4], ['cinco', 5], ['seis', 6], ['siete', 7],
  ['ocho', 8], ['nueve', 9],
]);
const SPELLED_TEENS: ReadonlyMap<string, number> = new Map([
  ['diez', 10], ['once', 11], ['doce', 12], ['trece', 13], ['catorce', 14], ['quince', 15], ['dieciseis', 16],
  ['diecisiete', 17], ['dieciocho', 18], ['diecinueve', 19], ['veinte', 20], ['veintiuno', 21], ['veintiun', 21],
  ['veintiuna', 21], ['veintidos', 22], ['veintitres', 23], ['veinticuatro', 24], ['veinticinco', 25],
  ['veintiseis', 26], ['veintisiete', 27], ['veintiocho', 28], ['veintinueve', 29],
]);
const SPELLED_TENS: ReadonlyMap<string, number> = new Map([
  ['treinta', 30], ['cuarenta', 40], ['cincuenta', 50], ['sesenta', 60], ['setenta', 70], ['ochenta', 80], ['noventa', 90],
]);
const SPELLED_HUNDREDS: ReadonlyMap<string, number> = new Map([
  ['cien', 100], ['ciento', 100], ['doscientos', 200], ['doscientas', 200], ['trescientos', 300], ['trescientas', 300],
  ['cuatrocientos', 400], ['quinientos', 500], ['quinientas', 500], ['seiscientos', 600], ['setecientos', 700],
  ['ochocientos', 800], ['novecientos', 900],
]);

/** Reads 0–99 spelled out at `i` ("siete", "veintiocho", "treinta y siete"). */
function spelledBelowHundred(norms: readonly string[], i: number): { value: number; length: number } | null {
  const w = norms[i];
  if (w === undefined) return null;
  const teen = SPELLED_TEENS.get(w);
  if (teen !== undefined) return { value: teen, length: 1 };
  const tens = SPELLED_TENS.get(w);
  if (tens !== undefined) {
    const unit = norms[i + 1] === 'y' ? SPELLED_UNITS.get(norms[i + 2] ?? '') : undefined;
    return unit !== undefined ? { value: tens + unit, length: 3 } : { value: tens, length: 1 };
  }
  const unit = SPELLED_UNITS.get(w);
  return unit !== undefined ? { value: unit, length: 1 } : null;
}

/**
 * A number spelled out at `norms[i]` ("treinta y siete" = 37, "veinticuatro", "cien", "doscientos cincuenta y
 * seis"), with the tokens it spans. Sizes are said this way ("talla treinta y siete", "la de cien"); the small
 * ones (up to "doce") are left to readQuantityWord unless `small` is set (after "talla": "talla cuatro"; before a
 * unit: "dos metros"), and "un/una" only before a unit (`unitAfter`: "una plaza"; "talla un poco chica" is no number).
 */
export function readSpelledNumber(
  norms: readonly string[],
  i: number,
  small = false,
  unitAfter = false,
): { value: number; length: number } | null {
  const w = norms[i];
  if (w === undefined) return null;
  const hundreds = SPELLED_HUNDREDS.get(w);
  if (hundreds !== undefined) {
    if (w === 'cien') return { value: 100, length: 1 };
    const rest = spelledBelowHundred(norms, i + 1);
    return rest ? { value: hundreds + rest.value, length: 1 + rest.length } : { value: hundreds, length: 1 };
  }
  const below = spelledBelowHundred(norms, i);
  if (!below) return null;
  if (below.value <= 12 && below.length === 1 && (!small || ((w === 'un' || w === 'una') && !unitAfter))) return null; // "talla un poco chica
  return below;
}
