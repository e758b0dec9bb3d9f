/**
 * Finds catalog things in a tokenised comment: products (by code, keyword, regional synonym or
 * typo), colours, sizes, quantities, plus the words that tie them into items ("y", ",").
 *
 * Numbers are the hard part of live comments: in "2 rojas talla L" 2 is a quantity, in
 * "zapatillas blancas 38" 38 is a size, in "101 azul XL" 101 is a product code, in "aparto 1" 1 is a
 * quantity. They are classified after the words, using the product they most likely refer to
 * (the nearest product named in the comment, else the featured one) and the words around them.
 */
import { fuzzyEntries, getCatalogIndex, type CatalogIndex, type Entry, type ProductInfo } from './catalog-index.js';
import type { Catalog } from './intent-types.js';
import { isKnownWord } from './intent-vocabulary.js';
import { AGE_UNITS, amountKindAt, COUNT_NOUNS, looksLikeYear, readQuantityWord, readSpelledNumber, type AmountKind } from './quantity-words.js';
import { CODE_INTRODUCERS, DESCRIPTIVE_SIZE_WORDS, SIZE_INTRODUCERS } from './spanish-lexicon.js';
import { phoneticKey, splitMixedWord, type Token } from './spanish-text.js';

/** How a mention was recognised; typo matches lower the confidence a little. */
export type MatchVia = 'exact' | 'synonym' | 'typo';

interface Span {
  /** First token index (inclusive). */
  start: number;
  /** Last token index (exclusive). */
  end: number;
}

/** A product named by code or word. `alternatives` lists other products the same word could mean. */
export interface ProductMention extends Span {
  kind: 'product';
  code: string;
  via: MatchVia | 'code';
  alternatives: string[];
}
/** A colour word; `concept` groups synonyms and genders ("rojo", "rojas", "colorado"). */
export interface ColourMention extends Span {
  kind: 'colour';
  concept: string;
  form: string;
  via: MatchVia;
}
/** A size; numeric sizes have concept "n:38". */
export interface SizeMention extends Span {
  kind: 'size';
  concept: string;
  form: string;
  via: MatchVia;
}
/** A quantity: digits ("2", "x2") or words ("dos", "un par"). `postfix` = written after the item ("roja M x2"). */
export interface QuantityMention extends Span {
  kind: 'quantity';
  value: number;
  vague: boolean;
  article: boolean;
  postfix: boolean;
  /**
   * "las dos en M", "ambas en chica": the count refers back to the items just listed, and the
   * variant that follows applies to each of them (it is not a new item of that count).
   */
  distributive?: boolean;
  /** "un par (de)": two of most things, one unit of a product sold in pairs (shoes, socks, earrings). */
  pair?: boolean;
}
/**
 * A number that is not an item attribute: an amount (price, percentage, time, date, year, rating,
 * `amount` says which) or one we could not place (unknown code, size not sold...).
 */
export interface NumberMention extends Span {
  kind: 'number';
  value: string;
  reason: 'unknown-code' | 'ambiguous-reference' | 'unplaced' | 'amount';
  amount?: AmountKind;
}
/** A product noun that no catalog product answers to ("cartera" in a shirt shop). */
export interface NounMention extends Span {
  kind: 'noun';
  form: string;
}
/** A list separator between items ("y", ",", "+"). */
export interface ConjunctionMention extends Span {
  kind: 'conj';
}

export type Mention =
  | ProductMention
  | ColourMention
  | SizeMention
  | QuantityMention
  | NumberMention
  | NounMention
  | ConjunctionMention;

/** The comment's tokens (mixed words split where useful) with what was found in them. */
export interface MatchResult {
  tokens: Token[];
  mentions: Mention[];
  /** Per token, the mention covering it (null for plain words). */
  roleOf: (Mention | null)[];
  index: CatalogIndex;
}

const CONJUNCTION_WORDS = new Set(['y', 'e', 'mas', 'tambien', 'ademas', 'con']);
const CONJUNCTION_PUNCT = new Set([',', '+', '&', ';', '/', ':']);
const ARTICLES = new Set(['la', 'el', 'las', 'los', 'lo']);
/** After a quantity word, these keep it a quantity even without an item word ("quiero dos porfa"). */
const QUANTITY_TAIL = new Set(['de', 'para', 'porfa', 'por', 'x', 'plis', 'please', 'porfis', 'xfa', 'mas', 'y', 'nomas', 'pe', 'po', 'pues']);
/** "otra roja", "otro más": one more of something. */
const ONE_MORE = new Set(['otra', 'otro']);
/** "las dos", "los tres": a count of things already named, when a variant follows ("las dos en M"). */
const BACK_REFERENCE_ARTICLES = new Set(['las', 'los']);
/** "todas en M", "todos talla 38": every item just listed. */
const ALL_OF_THEM = new Set(['todas', 'todos']);
/** "número 7", "n° 36": a size when the product sells it, else a product code. */
const NUMBER_SIGNS = new Set(['numero', 'nro', 'num', 'n', 'nº']);
/** Words that make a small number a size sold with a unit: "el de 4", "para 6", "en 2", "del 10". */
const MEASURE_LEADS = new Set(['de', 'del', 'para', 'en']);

/** Entry preference when one phrase means several things. */
function entryRank(e: Entry): number {
  if (e.kind === 'code') return 0;
  if (e.kind === 'product' && e.source === 'catalog') return 1;
  if (e.kind === 'colour' && e.source === 'catalog') return 2;
  if (e.kind === 'size' && e.source === 'catalog') return 3;
  if (e.kind === 'size') return 4;
  if (e.kind === 'colour') return 5;
  if (e.kind === 'product') return 6;
  return 7;
}

/** "x favor", "x fa": "por favor" typed short, not a count. */
const X_FAVOR = new Set(['favor', 'fa', 'fis', 'fi', 'fas']);

/**
 * Tokens as the matcher reads them: mixed words split ("2rojas"), spelled-out numbers joined into one
 * number ("treinta y siete" → 37; "cuatro" only after "talla"), "x favor" read as "porfa".
 */
function expandTokens(tokens: Token[], index: CatalogIndex): Token[] {
  const out: Token[] = [];
  const norms = tokens.map((t) => t.norm);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === undefined) continue;
    if (t.kind === 'word') {
      const next = tokens[i + 1];
      if (t.norm === 'x' && next?.kind === 'word' && X_FAVOR.has(next.norm)) {
        out.push({ kind: 'word', raw: `${t.raw} ${next.raw}`, norm: 'porfa', key: 'porfa' });
        i++;
        continue;
      }
      const prev = out[out.length - 1];
      // Small numbers too after "talla" ("talla cuatro") or before a unit the catalog uses ("una plaza", "dos metros").
      const unitAfter = index.unitWords.has(norms[i + 1] ?? '');
      const spelled = readSpelledNumber(norms, i, unitAfter || (prev !== undefined && SIZE_INTRODUCERS.has(prev.norm)), unitAfter);
      if (spelled) {
        const value = String(spelled.value);
        const raw = tokens.slice(i, i + spelled.length).map((x) => x.raw).join(' ');
        out.push({ kind: 'number', raw, norm: value, key: value });
        i += spelled.length - 1;
        continue;
      }
      // A word of a catalog phrase stays whole ("3m" of "0 - 3m"), except a count ("x3" of "pack x3" is "x 3" here).
      if (!index.phraseTokens.has(t.norm) || (/^(?:x\d{1,2}|\d{1,2}x)$/.test(t.norm) && !index.exact.has(t.norm))) {
        const parts = splitMixedWord(t);
        if (parts) {
          out.push(...parts);
          continue;
        }
      }
    }
    out.push(t);
  }
  return out;
}

/**
 * Finds the mentions in `tokens` for `catalog`. `featured` is the on-screen product used as
 * context for bare numbers ("negras 41" on a shoe live).
 */
export function matchCatalog(tokens: Token[], catalog: Catalog, featured: string | null): MatchResult {
  const index = getCatalogIndex(catalog);
  const toks = expandTokens(tokens, index);
  const norms = toks.map((t) => t.norm);
  const keys = toks.map((t) => t.key);
  const roleOf: (Mention | null)[] = toks.map(() => null);
  const mentions: Mention[] = [];
  const numberAt: number[] = [];
  const quantityCandidates: QuantityMention[] = [];

  const claim = (m: Mention): void => {
    mentions.push(m);
    for (let k = m.start; k < m.end; k++) roleOf[k] = m;
  };

  /**
   * Where a descriptive size word ("chica", "grande") is a size: after "en", right after a colour
   * or product ("negra grande"), or closing a counted item ("una grande y una mediana").
   */
  const sizeExpected = (i: number): boolean => {
    const prev = norms[i - 1];
    if (prev === 'en') return true;
    const prevRole = roleOf[i - 1];
    if (prevRole && (prevRole.kind === 'colour' || prevRole.kind === 'product')) return true;
    const afterCount = quantityCandidates.some((q) => q.end === i);
    const next = toks[i + 1];
    return afterCount && (next === undefined || next.kind === 'punct' || next.kind === 'emoji' || CONJUNCTION_WORDS.has(next.norm));
  };

  const pick = (entries: Entry[], i: number): Entry | null => {
    const prev = norms[i - 1];
    const usable = entries.filter(
      (e) =>
        !e.guarded ||
        (prev !== undefined && SIZE_INTRODUCERS.has(prev)) ||
        (e.kind === 'size' && DESCRIPTIVE_SIZE_WORDS.has(e.form) && sizeExpected(i)),
    );
    if (usable.length === 0) return null;
    return usable.reduce((best, e) => (entryRank(e) < entryRank(best) ? e : best));
  };

  const toMention = (e: Entry, entries: Entry[], start: number, end: number, via: MatchVia): Mention => {
    const form = norms.slice(start, end).join(' ');
    switch (e.kind) {
      case 'code':
        return { kind: 'product', start, end, code: e.id, via: 'code', alternatives: [] };
      case 'product': {
        const codes = [...new Set(entries.filter((x) => x.kind === 'product').map((x) => x.id))];
        const chosen = featured !== null && codes.includes(featured) ? featured : e.id;
        return {
          kind: 'product',
          start,
          end,
          code: chosen,
          via: e.source === 'synonym' && via === 'exact' ? 'synonym' : via,
          alternatives: codes.filter((c) => c !== chosen),
        };
      }
      case 'colour':
        return { kind: 'colour', start, end, concept: e.id, form, via };
      case 'size':
        return { kind: 'size', start, end, concept: e.id, form, via };
      case 'noun':
        return { kind: 'noun', start, end, form };
    }
  };

  const longestPhrase = (i: number, minLength: number): Mention | null => {
    const maxN = Math.min(index.maxPhraseLength, toks.length - i);
    for (let n = maxN; n >= minLength; n--) {
      const entries = index.exact.get(norms.slice(i, i + n).join(' ')) ?? index.squeezed.get(keys.slice(i, i + n).join(' '));
      if (!entries) continue;
      const e = pick(entries, i);
      if (e) return toMention(e, entries, i, i + n, 'exact');
    }
    return null;
  };

  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t === undefined || roleOf[i]) continue;
    if (t.kind === 'number') {
      // A number may open a compound size ("0 - 3m", "6 - 9 m"); otherwise it is classified in context later.
      const compound = longestPhrase(i, 2);
      if (compound) {
        claim(compound);
        i = compound.end - 1;
        continue;
      }
      numberAt.push(i);
      continue;
    }
    if (t.kind === 'punct') {
      if (CONJUNCTION_PUNCT.has(t.norm)) claim({ kind: 'conj', start: i, end: i + 1 });
      continue;
    }
    if (t.kind !== 'word') continue;

    // Quantity words first: "media docena" must not be read as the noun "medias".
    const q = readQuantityWord(norms, i);
    if (q) {
      const m: QuantityMention = {
        kind: 'quantity',
        start: i,
        end: i + q.length,
        value: q.value,
        vague: q.vague,
        article: q.article,
        postfix: false,
      };
      if (q.pair) m.pair = true;
      quantityCandidates.push(m);
      i += q.length - 1;
      continue;
    }
    if (ALL_OF_THEM.has(t.norm)) {
      // Kept only as a back-reference ("todas en M"); otherwise left to the collective-claim check.
      quantityCandidates.push({ kind: 'quantity', start: i, end: i + 1, value: 1, vague: true, article: false, postfix: false });
      continue;
    }

    // Longest catalog/lexicon phrase starting here: exact spelling, then squeezed letters.
    const phrase = longestPhrase(i, 1);
    if (phrase) {
      claim(phrase);
      i = phrase.end - 1;
      continue;
    }

    if (CONJUNCTION_WORDS.has(t.norm)) {
      claim({ kind: 'conj', start: i, end: i + 1 });
      continue;
    }
    if (ONE_MORE.has(t.norm)) {
      quantityCandidates.push({ kind: 'quantity', start: i, end: i + 1, value: 1, vague: false, article: true, postfix: false });
      continue;
    }

    // Typos, only for words we do not otherwise know: phonetic ("asul", "chaketa") then one edit ("vestdo").
    if (t.norm.length >= 4 && !isKnownWord(t.norm) && !/\d/.test(t.norm)) {
      const ph = index.phonetic.get(phoneticKey(t.norm));
      const distinct = ph ? new Set(ph.map((e) => `${e.kind}:${e.id}`)) : new Set<string>();
      if (ph && distinct.size === 1) {
        const e = pick(ph, i);
        if (e) {
          claim(toMention(e, ph, i, i + 1, 'typo'));
          continue;
        }
      }
      const fz = fuzzyEntries(index, t.norm);
      if (fz.length === 1) {
        const e = pick(fz, i);
        if (e) claim(toMention(e, fz, i, i + 1, 'typo'));
      }
    }
  }

  classifyNumbers(toks, norms, numberAt, index, featured, mentions, roleOf, claim);

  // Quantity words stay quantities only when they introduce an item or close a claim
  // ("dos rojas", "quiero dos", "una para mí"); "una pregunta", "dos semanas" are not.
  const isNumberAt = (k: number): boolean => toks[k]?.kind === 'number';
  for (const q of quantityCandidates) {
    // "a las ocho", "dos horas", "tres de mayo": a time or date spelled out, not a count.
    if (q.end - q.start === 1 && amountKindAt(norms, q.start, isNumberAt) !== null) continue;
    // "me llevo las dos": both items shown, not necessarily two of the featured one.
    const prevNorm = norms[q.start - 1];
    if (q.value === 2 && !q.article && (prevNorm === 'las' || prevNorm === 'los')) q.vague = true;
    if (refersBack(q, norms, roleOf)) q.distributive = true;
    else if (ALL_OF_THEM.has(norms[q.start] ?? '')) continue;
    const next = toks[q.end];
    const nextRole = roleOf[q.end];
    const afterDe = norms[q.end] === 'de' ? roleOf[q.end + 1] : null;
    const itemish = (m: Mention | null | undefined): boolean =>
      !!m && (m.kind === 'product' || m.kind === 'colour' || m.kind === 'size' || m.kind === 'noun');
    const keep =
      next === undefined ||
      next.kind === 'punct' ||
      next.kind === 'emoji' ||
      itemish(nextRole) ||
      itemish(afterDe) ||
      (next.kind === 'number' && !q.article) ||
      QUANTITY_TAIL.has(next.norm) ||
      SIZE_INTRODUCERS.has(next.norm) || // "uno talla 2 y otro talla 6"
      COUNT_NOUNS.has(next.norm) || // "dos pares blancos"

      (q.article && (ARTICLES.has(next.norm) || next.norm === 'en')) ||
      (next.norm === 'en' && itemish(roleOf[q.end + 1])) || // "dos en M y una en G"
      q.distributive === true;
    if (keep) claim(q);
  }
  // Digits too: "las 2 en M".
  for (const m of mentions) {
    if (m.kind === 'quantity' && m.distributive === undefined && refersBack(m, norms, roleOf)) m.distributive = true;
  }

  mentions.sort((a, b) => a.start - b.start);
  return { tokens: toks, mentions, roleOf, index };
}

/**
 * "las dos en M", "ambas en chica", "los 2 talla G", "todas en M": a count of things already named, followed by
 * the variant they share. ("las dos negras" is a count of a new item, not a back-reference.)
 */
function refersBack(q: QuantityMention, norms: readonly string[], roleOf: readonly (Mention | null)[]): boolean {
  const word = norms[q.start] ?? '';
  const allOf = ALL_OF_THEM.has(word);
  if (q.article || (q.value < 2 && !allOf)) return false;
  const prev = norms[q.start - 1];
  if (!(allOf || word === 'ambas' || word === 'ambos' || (prev !== undefined && BACK_REFERENCE_ARTICLES.has(prev)))) return false;
  const next = norms[q.end];
  if (next === undefined) return false;
  // "ambos de 128", "las dos de 50": the shared size said with "de".
  return next === 'en' || SIZE_INTRODUCERS.has(next) || roleOf[q.end]?.kind === 'size' || (next === 'de' && roleOf[q.end + 1]?.kind === 'size');
}

/** The product a number most likely belongs to, and whether the comment named it before the number. */
function contextProduct(
  at: number,
  mentions: Mention[],
  index: CatalogIndex,
  featured: string | null,
): { info: ProductInfo | undefined; namedBefore: boolean } {
  let before: ProductMention | undefined;
  let after: ProductMention | undefined;
  for (const m of mentions) {
    if (m.kind !== 'product') continue;
    if (m.end <= at) before = m;
    else if (m.start > at && !after) after = m;
  }
  const code = before?.code ?? after?.code ?? featured;
  return { info: code === null ? undefined : index.products.get(code), namedBefore: before !== undefined };
}

/**
 * Decides for each number whether it is a product code, a size, a quantity or unplaced.
 * Order matters; each rule is the reading viewers use most for that shape.
 */
function classifyNumbers(
  toks: Token[],
  norms: string[],
  numberAt: number[],
  index: CatalogIndex,
  featured: string | null,
  mentions: Mention[],
  roleOf: (Mention | null)[],
  claim: (m: Mention) => void,
): void {
  for (const i of numberAt) {
    const t = toks[i];
    if (t === undefined) continue;
    const value = t.norm;
    const n = Number(value);
    const prev = norms[i - 1];
    const next = norms[i + 1];
    const nextRole = roleOf[i + 1] ?? (next === 'de' ? roleOf[i + 2] : null);
    const followedByItem =
      !!nextRole && (nextRole.kind === 'colour' || nextRole.kind === 'product' || nextRole.kind === 'noun');
    const code = index.numericCodes.get(value);
    const { info: ctx, namedBefore } = contextProduct(i, mentions, index, featured);
    const validSize = ctx?.sizeByConcept.has(`n:${value}`) ?? false;
    const anySize = index.numericSizes.has(value);
    const afterArticle = prev !== undefined && ARTICLES.has(prev);
    const span = { start: i, end: i + 1 };
    const size = (): SizeMention => ({ kind: 'size', ...span, concept: `n:${value}`, form: value, via: 'exact' });
    const quantity = (postfix: boolean): QuantityMention => ({
      kind: 'quantity',
      ...span,
      value: n,
      vague: false,
      article: false,
      postfix,
    });
    const codeMention = (c: string): ProductMention => ({ kind: 'product', ...span, code: c, via: 'code', alternatives: [] });
    /** A size spanning the number and the words after it that belong to it ("20 mil", "75 ml", "20 mil mah"). */
    const sizeOver = (concept: string, end: number): SizeMention => {
      for (let k = i + 1; k < end; k++) {
        const old = roleOf[k];
        if (old) {
          // "3 m" where "m" alone read as the letter size M: the unit belongs to the number.
          const at = mentions.indexOf(old);
          if (at >= 0) mentions.splice(at, 1);
          for (let j = old.start; j < old.end; j++) roleOf[j] = null;
        }
      }
      return { kind: 'size', start: i, end, concept, form: norms.slice(i, end).join(' '), via: 'exact' };
    };
    const isUnit = (k: number): boolean => {
      const role = roleOf[k];
      return index.unitWords.has(norms[k] ?? '') && (!role || (role.kind === 'size' && role.end === k + 1));
    };

    if (!Number.isFinite(n)) continue;
    // "power bank de 20 mil": thousands said short, when the catalog sells that number (else a price).
    if (next === 'mil' && !t.hash) {
      const thousands = String(n * 1000);
      if (ctx?.sizeByConcept.has(`n:${thousands}`) || index.numericSizes.has(thousands)) {
        claim(sizeOver(`n:${thousands}`, isUnit(i + 2) ? i + 3 : i + 2));
        continue;
      }
    }
    // "75 ml", "12 años" (a unit the catalog's sizes use): a size, sold or not ("4 años" of a product selling it
    // is a catalog phrase and never gets here).
    if (!t.hash && isUnit(i + 1) && !(prev !== undefined && CODE_INTRODUCERS.has(prev))) {
      claim(sizeOver(`n:${value}`, i + 2));
      continue;
    }
    // "$350", "100%", "a las 8", "2 horas", "24 de diciembre", "10/10": amounts, whatever else they could be.
    let amount = t.hash ? null : amountKindAt(norms, i, (k) => toks[k]?.kind === 'number');
    if (amount === 'time' && next !== undefined && AGE_UNITS.has(next) && (validSize || anySize)) amount = null; // "4 años": a kids' size
    if (amount !== null || (next === '$' && !t.hash)) {
      claim({ kind: 'number', ...span, value, reason: 'amount', amount: amount ?? 'price' });
      continue;
    }
    if (t.hash || (prev !== undefined && CODE_INTRODUCERS.has(prev))) {
      // "#38 blancas" with no product 38 on a shoe live: the shoe number, written the way codes are.
      if (!code && t.hash && (validSize || anySize)) claim(size());
      else claim(code ? codeMention(code) : { kind: 'number', ...span, value, reason: 'unknown-code' });
      continue;
    }
    if (prev !== undefined && SIZE_INTRODUCERS.has(prev)) {
      if (!validSize && code && NUMBER_SIGNS.has(prev)) claim(codeMention(code));
      else claim(size());
      continue;
    }
    // Numbers glued to "x" or a count noun ("x2", "2x", "2 unidades") are counts whatever else they could be.
    // ("39 x2": the count is the 2; 39 is read on its own.)
    if (prev === 'x' || (next !== undefined && COUNT_NOUNS.has(next) && next !== 'un' && !(next === 'x' && toks[i + 2]?.kind === 'number'))) {
      claim(quantity(!followedByItem));
      continue;
    }
    if (code) {
      // A small code before a colour without an article reads as a count ("2 rojas"), not "product 2";
      // after the product was named, a number it sells as a size is its size ("pijama azul 4").
      if (followedByItem && n <= 20 && !afterArticle && !validSize) claim(quantity(false));
      else if (validSize && namedBefore && !afterArticle) claim(size());
      else claim(codeMention(code));
      continue;
    }
    if (looksLikeYear(value) && !validSize && !anySize) {
      claim({ kind: 'number', ...span, value, reason: 'amount', amount: 'year' }); // "desde 2019"
      continue;
    }
    if (followedByItem && Number.isInteger(n) && n <= 12) {
      claim(quantity(false));
      continue;
    }
    // A small number of a size sold with a unit ("4 años", "2 plazas", "1 m") is that size when something
    // introduces it ("el de 4", "para 6", "en 2"); alone ("quiero 2") it stays a count.
    const measuredCount = ctx?.measuredSizes.has(value) === true && n <= 12 && !(prev !== undefined && MEASURE_LEADS.has(prev));
    if (validSize && !measuredCount) {
      claim(size());
      continue;
    }
    if (followedByItem && Number.isInteger(n) && n >= 1 && n <= 50) {
      claim(quantity(false)); // "20 rojas": a count, flagged as large by the item builder
      continue;
    }
    if (prev === 'en' || (anySize && !Number.isInteger(n))) {
      claim(size());
      continue;
    }
    if (afterArticle && (prev === 'la' || prev === 'el' || prev === 'lo')) {
      claim({ kind: 'number', ...span, value, reason: anySize ? 'unplaced' : 'ambiguous-reference' });
      continue;
    }
    if (Number.isInteger(n) && n >= 1 && n <= 12) {
      claim(quantity(false));
      continue;
    }
    if (anySize) {
      claim(size());
      continue;
    }
    claim({ kind: 'number', ...span, value, reason: 'unplaced' });
  }
}
