/**
 * A look-up index over one live's catalog: every way a viewer may name a product, a colour or a
 * size, normalised the same way as comment tokens.
 *
 * Built once per catalog object and cached in a WeakMap, so classifying a comment costs Map
 * look-ups only (no regex compilation, no scan over the catalog). Catalog objects are treated as
 * immutable: a new catalog version must be a new object (which is what a JSON parse gives).
 */
import type { Catalog, CatalogProduct } from './intent-types.js';
import {
  AMBIGUOUS_COLOUR_WORDS,
  AMBIGUOUS_PRODUCT_WORDS,
  COLOUR_GROUPS,
  PAIRED_NOUNS,
  PRODUCT_NOUN_GROUPS,
  REGIONAL_SIZE_CODES,
  SIZE_ALIASES,
  UNIT_GROUPS,
} from './spanish-lexicon.js';
import { normalizePhrase, phoneticKey, squeeze } from './spanish-text.js';
import { colourForms, nounForms, phraseForms } from './word-forms.js';

/** What a phrase of the comment can stand for. */
export type EntryKind = 'code' | 'product' | 'colour' | 'size' | 'noun';

/** How the phrase reached the entry: the catalog's own words, a regional synonym, or the generic lexicon. */
export type EntrySource = 'catalog' | 'synonym' | 'lexicon';

/** One meaning of one phrase. `id` is a product code (code/product), a concept id (colour/size) or the noun. */
export interface Entry {
  kind: EntryKind;
  id: string;
  source: EntrySource;
  /** Only valid right after "talla"/"talle"/"size" (e.g. "ese" = S, "grande" = L). */
  guarded: boolean;
  /** The normalised form this entry was registered under (used to verify fuzzy hits). */
  form: string;
}

/** Per-product resolution tables: concept → the merchant's own spelling. */
export interface ProductInfo {
  code: string;
  product: CatalogProduct;
  /** Exact inflected forms of the product's own colour values (wins over concepts). */
  colourByForm: Map<string, string>;
  colourByConcept: Map<string, string>;
  sizeByConcept: Map<string, string>;
  hasColours: boolean;
  hasSizes: boolean;
  /** The product's only colour / only size, when it has exactly one: a claim that names none gets it. */
  onlyColour: string | null;
  onlySize: string | null;
  /** Numbers sold as a size with a unit ("4" of "4 años", "128" of "128 GB"): spoken with or without it. */
  measuredSizes: Set<string>;
  /** Sold in pairs (shoes, socks, earrings): "un par" is one unit. */
  paired: boolean;
}

/** The compiled catalog. */
export interface CatalogIndex {
  products: Map<string, ProductInfo>;
  /** Purely numeric product codes ("101"), keyed by digits: numbers are classified in context, not by phrase. */
  numericCodes: Map<string, string>;
  exact: Map<string, Entry[]>;
  squeezed: Map<string, Entry[]>;
  phonetic: Map<string, Entry[]>;
  /** Symmetric-delete index (distance 1) over catalog words of 5+ letters, for typos like "vestdo". */
  deletes: Map<string, Entry[]>;
  maxPhraseLength: number;
  /** Every single token that is part of an indexed phrase ("3m" in "0 - 3m"): never split further. */
  phraseTokens: Set<string>;
  /** Numeric sizes sold by any product ("38"; "50" of "50 ml"), to tell a size from a count when the product is unclear. */
  numericSizes: Set<string>;
  /** Every spoken form of the units the catalog's sizes carry ("ml", "mililitros", "gigas"): a number before one is a size. */
  unitWords: Set<string>;
}

const byObject = new WeakMap<Catalog, CatalogIndex>();
/**
 * Second-level cache by content, for callers that re-parse the same catalog JSON for every
 * comment (a new object each time): a JSON.stringify of a live catalog costs microseconds, a
 * rebuild costs milliseconds. Small LRU: a worker serves a handful of lives at once.
 */
const byContent = new Map<string, CatalogIndex>();
const CONTENT_CACHE_SIZE = 32;

/** The index of `catalog`, built on first use and cached (per object, then per content). */
export function getCatalogIndex(catalog: Catalog): CatalogIndex {
  const known = byObject.get(catalog);
  if (known) return known;
  const fingerprint = JSON.stringify(catalog.products);
  let index = byContent.get(fingerprint);
  if (index) {
    byContent.delete(fingerprint); // refresh LRU position
  } else {
    index = buildCatalogIndex(catalog);
    if (byContent.size >= CONTENT_CACHE_SIZE) {
      const oldest = byContent.keys().next().value;
      if (oldest !== undefined) byContent.delete(oldest);
    }
  }
  byContent.set(fingerprint, index);
  byObject.set(catalog, index);
  return index;
}

/** Phonetic keys of lexicon/catalog forms: the same few thousand words for every catalog. */
const PHONETIC_MEMO = new Map<string, string>();
function memoPhonetic(form: string): string {
  let key = PHONETIC_MEMO.get(form);
  if (key === undefined) {
    key = phoneticKey(form);
    if (PHONETIC_MEMO.size < 100_000) PHONETIC_MEMO.set(form, key);
  }
  return key;
}

// ---------- generic (catalog-independent) tables, computed once per process ----------

/** Colour form → concept id ("c:rojo") for every word of COLOUR_GROUPS. */
const GENERIC_COLOUR_CONCEPT = new Map<string, string>();
for (const group of COLOUR_GROUPS) {
  const concept = `c:${group[0] ?? ''}`;
  for (const member of group) {
    for (const form of phraseForms(member, colourForms)) {
      if (!GENERIC_COLOUR_CONCEPT.has(form)) GENERIC_COLOUR_CONCEPT.set(form, concept);
    }
  }
}

/** Size form → concept id ("z:M") and whether it is guarded. */
const GENERIC_SIZE_CONCEPT = new Map<string, { concept: string; guarded: boolean }>();
for (const alias of SIZE_ALIASES) {
  const concept = `z:${alias.canonical}`;
  for (const form of alias.forms) GENERIC_SIZE_CONCEPT.set(form, { concept, guarded: false });
  for (const form of alias.guarded) {
    if (!GENERIC_SIZE_CONCEPT.has(form)) GENERIC_SIZE_CONCEPT.set(form, { concept, guarded: true });
  }
}

/** Product-noun form → indexes of PRODUCT_NOUN_GROUPS containing it. */
const GENERIC_NOUN_GROUPS = new Map<string, number[]>();
PRODUCT_NOUN_GROUPS.forEach((group, groupIndex) => {
  for (const member of group) {
    for (const form of phraseForms(member, nounForms)) {
      const list = GENERIC_NOUN_GROUPS.get(form) ?? [];
      if (!list.includes(groupIndex)) list.push(groupIndex);
      GENERIC_NOUN_GROUPS.set(form, list);
    }
  }
});

/** Name words that are not the product noun ("Set de aros" → the noun is "aros", not "set"). */
const NON_HEAD_WORDS = new Set([
  'set', 'pack', 'kit', 'combo', 'nuevo', 'nueva', 'oferta', 'promo', 'mini', 'super', 'mega', 'gran', 'el', 'la', 'los',
  'las', 'un', 'una', 'de', 'del', 'con', 'para', 'y',
]);

/** The colour concept of a normalised colour value: its synonym group, or the value itself. */
export function colourConceptOf(normalisedValue: string): string {
  return GENERIC_COLOUR_CONCEPT.get(normalisedValue) ?? `v:${normalisedValue}`;
}

/** The size concept of a normalised size value: "m"→"z:M", "38"→"n:38", anything else its own. */
export function sizeConceptOf(normalisedValue: string): string {
  if (/^\d+(?:\.\d+)?$/.test(normalisedValue)) return `n:${normalisedValue}`;
  return GENERIC_SIZE_CONCEPT.get(normalisedValue)?.concept ?? `v:${normalisedValue}`;
}

/**
 * The size concept of a catalog's own size value: like sizeConceptOf, plus the regional letter codes
 * ("CH"→"z:S", "G"→"z:L", "XG"→"z:XL"), so spelled-out sizes and international letters typed by
 * viewers ("chica", "grande", "L") resolve to the merchant's spelling.
 */
export function catalogSizeConceptOf(normalisedValue: string): string {
  const regional = REGIONAL_SIZE_CODES.get(normalisedValue.replace(/ /g, ''));
  return regional !== undefined ? `z:${regional}` : sizeConceptOf(normalisedValue);
}

/** Unit word → its group's members ("gigas" → gb, gigas, giga...), from UNIT_GROUPS. */
const UNIT_FORMS = new Map<string, Set<string>>();
for (const group of UNIT_GROUPS) {
  for (const member of group) {
    const set = UNIT_FORMS.get(member) ?? new Set<string>();
    for (const m of group) set.add(m);
    UNIT_FORMS.set(member, set);
  }
}

/**
 * A size value that is a number with a unit ("50 ml", "4 años", "128GB", "1 plaza", "10000 mAh"), split
 * into the number and the unit; null for anything else (letters, "2XL", ranges such as "0-3M").
 */
export function parseMeasuredSize(normalisedValue: string): { number: string; unit: string } | null {
  const spaced = normalisedValue.replace(/(\d)([a-z])/g, '$1 $2');
  const m = /^(\d+(?:\.\d+)?) ([a-z]+)$/.exec(spaced);
  if (!m || m[1] === undefined || m[2] === undefined) return null;
  const compact = normalisedValue.replace(/ /g, '');
  if (GENERIC_SIZE_CONCEPT.has(compact) || REGIONAL_SIZE_CODES.has(compact)) return null; // "2xl", "3xg": letter sizes
  return { number: m[1], unit: m[2] };
}

/** Every way a viewer may write `unit` after a number: its group, its plural/singular, their sound-alike spellings. */
export function unitForms(unit: string): string[] {
  const out = new Set<string>([unit, ...(UNIT_FORMS.get(unit) ?? [])]);
  if (unit.length >= 3) for (const f of nounForms(unit)) out.add(f);
  for (const f of [...out]) if (f.length >= 4) out.add(phoneticKey(f));
  return [...out];
}

// ---------- building ----------

function addEntry(map: Map<string, Entry[]>, key: string, entry: Entry): void {
  if (key.length === 0) return;
  const list = map.get(key);
  if (!list) {
    map.set(key, [entry]);
    return;
  }
  if (!list.some((e) => e.kind === entry.kind && e.id === entry.id && e.guarded === entry.guarded)) list.push(entry);
}

function deletions(word: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < word.length; i++) out.push(word.slice(0, i) + word.slice(i + 1));
  return out;
}

/** Builds the index (normally use getCatalogIndex, which caches). */
export function buildCatalogIndex(catalog: Catalog): CatalogIndex {
  const exact = new Map<string, Entry[]>();
  const products = new Map<string, ProductInfo>();
  const numericCodes = new Map<string, string>();
  const offeredColourConcepts = new Set<string>();
  const groupProducts = new Map<number, Set<string>>();
  const unitWords = new Set<string>();
  /** Catalog-own single words (for typo look-ups), kept apart from lexicon words. */
  const typoCandidates: Entry[] = [];

  const register = (form: string, entry: Omit<Entry, 'form'>, typoEligible: boolean): void => {
    const full: Entry = { ...entry, form };
    addEntry(exact, form, full);
    if (typoEligible && !form.includes(' ')) typoCandidates.push(full);
  };

  for (const product of catalog.products) {
    const code = product.code;
    const info: ProductInfo = {
      code,
      product,
      colourByForm: new Map(),
      colourByConcept: new Map(),
      sizeByConcept: new Map(),
      hasColours: (product.variants.color?.length ?? 0) > 0,
      hasSizes: (product.variants.size?.length ?? 0) > 0,
      onlyColour: product.variants.color?.length === 1 ? (product.variants.color[0] ?? null) : null,
      onlySize: product.variants.size?.length === 1 ? (product.variants.size[0] ?? null) : null,
      measuredSizes: new Set(),
      paired: false,
    };
    products.set(code, info);

    // Code: numeric codes are resolved in context (they collide with sizes and quantities).
    const normCode = normalizePhrase(code.replace(/^#/, ''));
    if (/^\d+$/.test(normCode)) numericCodes.set(normCode, code);
    else if (normCode.length > 0) {
      register(normCode, { kind: 'code', id: code, source: 'catalog', guarded: false }, false);
      const compact = normCode.replace(/[^a-z0-9]/g, '');
      if (compact !== normCode) register(compact, { kind: 'code', id: code, source: 'catalog', guarded: false }, false);
    }

    // Words naming the product: keywords, the whole name and the name's head noun.
    const terms = new Set<string>();
    for (const k of product.keywords) terms.add(normalizePhrase(k));
    const name = normalizePhrase(product.name);
    if (name) terms.add(name);
    const nameWords = name.split(' ');
    // Only the head noun of the name: other name words are often adjectives that double as nouns
    // elsewhere ("Medias *deportivas*" must not make "deportivas" = this product).
    const head = nameWords.find((w) => !NON_HEAD_WORDS.has(w) && /^[a-z]{3,}$/.test(w));
    if (head) terms.add(head);
    info.paired = [...terms].some((term) => term.split(' ').some((w) => PAIRED_NOUNS.has(w)));
    for (const term of terms) {
      if (!term) continue;
      for (const form of phraseForms(term, nounForms)) {
        register(form, { kind: 'product', id: code, source: 'catalog', guarded: false }, form.length >= 5);
        for (const g of GENERIC_NOUN_GROUPS.get(form) ?? []) {
          const set = groupProducts.get(g) ?? new Set<string>();
          set.add(code);
          groupProducts.set(g, set);
        }
      }
    }

    // Colours: exact forms of the merchant's spelling, plus the synonym concept.
    for (const value of product.variants.color ?? []) {
      const norm = normalizePhrase(value);
      if (!norm) continue;
      const concept = colourConceptOf(norm);
      offeredColourConcepts.add(concept);
      if (!info.colourByConcept.has(concept)) info.colourByConcept.set(concept, value);
      for (const form of phraseForms(norm, colourForms)) {
        if (!info.colourByForm.has(form)) info.colourByForm.set(form, value);
        register(form, { kind: 'colour', id: concept, source: 'catalog', guarded: false }, form.length >= 5);
      }
    }
    // A named shade ("rojo pasión", "azul marino") also answers to its base colour ("el rojo")
    // when no other value of the product has that base colour.
    const headCounts = new Map<string, string[]>();
    for (const value of product.variants.color ?? []) {
      const words = normalizePhrase(value).split(' ');
      if (words.length < 2 || !words[0]) continue;
      const headConcept = colourConceptOf(words[0]);
      headCounts.set(headConcept, [...(headCounts.get(headConcept) ?? []), value]);
    }
    for (const [headConcept, values] of headCounts) {
      const only = values[0];
      if (values.length === 1 && only !== undefined && !info.colourByConcept.has(headConcept)) {
        info.colourByConcept.set(headConcept, only);
      }
    }

    // Sizes: numeric ones are matched by the number classifier; others by phrase.
    for (const value of product.variants.size ?? []) {
      const norm = normalizePhrase(value);
      if (!norm) continue;
      const measured = parseMeasuredSize(norm);
      if (measured) {
        // "50 ml", "4 años", "128 GB": the number is the size ("el de 50", "talla 4", "128"), so it shares the
        // concept of a bare numeric size; the number with any spelling of its unit is a phrase of its own.
        const numeric = `n:${measured.number}`;
        if (!info.sizeByConcept.has(numeric)) info.sizeByConcept.set(numeric, value);
        info.measuredSizes.add(measured.number);
        for (const unit of unitForms(measured.unit)) {
          unitWords.add(unit);
          register(`${measured.number} ${unit}`, { kind: 'size', id: numeric, source: 'catalog', guarded: false }, false);
        }
        continue;
      }
      const concept = catalogSizeConceptOf(norm);
      if (!info.sizeByConcept.has(concept)) info.sizeByConcept.set(concept, value);
      if (!concept.startsWith('n:')) {
        const generic = GENERIC_SIZE_CONCEPT.get(norm);
        register(norm, { kind: 'size', id: concept, source: 'catalog', guarded: generic?.guarded ?? false }, false);
        // Compound sizes ("0-3M", "6-12 m", "S/M"): also without spaces and with letters split from digits.
        const compact = norm.replace(/ /g, '');
        if (compact !== norm) register(compact, { kind: 'size', id: concept, source: 'catalog', guarded: false }, false);
        const split = norm.replace(/(\d)([a-z])/g, '$1 $2').replace(/([a-z])(\d)/g, '$1 $2');
        if (split !== norm && split.includes(' ')) {
          register(split, { kind: 'size', id: concept, source: 'catalog', guarded: false }, false);
        }
      }
    }
    // A product sold in one size only ("Ajustable", "Unitalla", "OS"): "talla única" means that size.
    const sizes = product.variants.size ?? [];
    const single = sizes.length === 1 ? sizes[0] : undefined;
    if (single !== undefined && !info.sizeByConcept.has('z:UNICA')) info.sizeByConcept.set('z:UNICA', single);

    // Aliases the merchant declared ({ "café": "marrón", "doble": "2 plazas" }): the spoken word, in all
    // its forms, is that value of this product; other products keep reading the word their own way.
    for (const [word, value] of Object.entries(product.aliases ?? {})) {
      const norm = normalizePhrase(word);
      if (!norm) continue;
      if ((product.variants.color ?? []).includes(value)) {
        const concept = colourConceptOf(norm);
        offeredColourConcepts.add(concept);
        if (!info.colourByConcept.has(concept)) info.colourByConcept.set(concept, value);
        for (const form of phraseForms(norm, colourForms)) {
          if (!info.colourByForm.has(form)) info.colourByForm.set(form, value);
          register(form, { kind: 'colour', id: concept, source: 'catalog', guarded: false }, form.length >= 5);
        }
      } else if ((product.variants.size ?? []).includes(value)) {
        const concept = GENERIC_SIZE_CONCEPT.get(norm)?.concept ?? `v:${norm}`;
        if (!info.sizeByConcept.has(concept)) info.sizeByConcept.set(concept, value);
        // Size words are adjectives ("sencilla", "doble", "largo"): their gender and number forms too.
        for (const form of phraseForms(norm, colourForms)) {
          register(form, { kind: 'size', id: concept, source: 'catalog', guarded: false }, form.length >= 5);
        }
      }
    }
  }

  // Generic colour words: recognised everywhere (to notice colours the catalog lacks),
  // except ordinary words ("plata") unless the catalog offers that colour.
  for (const group of COLOUR_GROUPS) {
    const concept = `c:${group[0] ?? ''}`;
    for (const member of group) {
      if (AMBIGUOUS_COLOUR_WORDS.has(member) && !offeredColourConcepts.has(concept)) continue;
      for (const form of phraseForms(member, colourForms)) {
        register(form, { kind: 'colour', id: concept, source: 'lexicon', guarded: false }, false);
      }
    }
  }

  // Generic size words: recognised everywhere (to notice sizes a product lacks).
  for (const [form, { concept, guarded }] of GENERIC_SIZE_CONCEPT) {
    register(form, { kind: 'size', id: concept, source: 'lexicon', guarded }, false);
  }

  // Regional synonyms: a group that points at exactly one product maps all its words to it;
  // a group matching no product marks its words as unknown product nouns.
  PRODUCT_NOUN_GROUPS.forEach((group, groupIndex) => {
    const codes = [...(groupProducts.get(groupIndex) ?? [])];
    for (const member of group) {
      for (const form of phraseForms(member, nounForms)) {
        const existing = exact.get(form) ?? [];
        if (existing.some((e) => e.kind === 'product' && e.source === 'catalog')) continue;
        if (codes.length === 0) {
          if (AMBIGUOUS_PRODUCT_WORDS.has(member)) continue;
          register(form, { kind: 'noun', id: member, source: 'lexicon', guarded: false }, false);
        } else {
          for (const code of codes) {
            register(form, { kind: 'product', id: code, source: 'synonym', guarded: false }, form.length >= 5);
          }
        }
      }
    }
  });

  // Derived look-ups.
  const squeezed = new Map<string, Entry[]>();
  const phonetic = new Map<string, Entry[]>();
  let maxPhraseLength = 1;
  const phraseTokens = new Set<string>();
  for (const [form, entries] of exact) {
    const words = form.split(' ');
    for (const w of words) phraseTokens.add(w);
    maxPhraseLength = Math.max(maxPhraseLength, words.length);
    const sq = words.map(squeeze).join(' ');
    for (const e of entries) addEntry(squeezed, sq, e);
    if (words.length === 1 && form.length >= 4 && !/\d/.test(form)) {
      for (const e of entries) if (e.kind !== 'size') addEntry(phonetic, memoPhonetic(form), e);
    }
  }
  const deletes = new Map<string, Entry[]>();
  const seenTypo = new Set<string>();
  for (const e of typoCandidates) {
    const key = `${e.kind}|${e.id}|${e.form}`;
    if (seenTypo.has(key)) continue;
    seenTypo.add(key);
    addEntry(deletes, e.form, e);
    for (const d of deletions(e.form)) addEntry(deletes, d, e);
  }

  const numericSizes = new Set<string>();
  for (const info of products.values()) {
    for (const concept of info.sizeByConcept.keys()) if (concept.startsWith('n:')) numericSizes.add(concept.slice(2));
  }
  return { products, numericCodes, exact, squeezed, phonetic, deletes, maxPhraseLength, phraseTokens, numericSizes, unitWords };
}

/** True when a and b are within one edit (insert, delete, substitute, or swap of neighbours). */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > 1) return false;
  let i = 0;
  while (i < la && i < lb && a[i] === b[i]) i++;
  if (la === lb) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true; // substitution
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2); // transposition
  }
  return la > lb ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}

/** Entries for a typo'd single word (one edit away from a catalog word of 5+ letters, same first letter). */
export function fuzzyEntries(index: CatalogIndex, word: string): Entry[] {
  if (word.length < 5) return [];
  const seen = new Map<string, Entry>();
  for (const key of [word, ...deletions(word)]) {
    for (const e of index.deletes.get(key) ?? []) {
      if (e.form[0] !== word[0] || !withinOneEdit(e.form, word)) continue;
      seen.set(`${e.kind}:${e.id}`, e);
    }
  }
  return [...seen.values()];
}
