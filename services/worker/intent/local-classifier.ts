/**
 * The local (free, offline) purchase-intent classifier for live-stream comments.
 *
 * It is the first pass on every comment of a live: it decides alone when it is confident and
 * marks the rest `confident: false` so the caller can ask an LLM. It is also the offline default,
 * so even a non-confident answer is its best guess.
 *
 * Pipeline: tokenize (spanish-text) → find catalog mentions (catalog-matcher, against a per-catalog
 * cached index) → split into clauses with a canonical text → intent cues (intent-cues) → decide →
 * build items (item-builder) → confidence = the decision path's base value minus penalties for
 * every doubt (unknown colour/size/product, mixed intents, length, typos...).
 *
 * Decisions worth knowing (documented in signals too):
 * - A variant the catalog does not offer ("quiero la verde" when there is no green) gives a
 *   purchase with `color: null` and low confidence: the claim is real, the variant needs a human/LLM.
 * - A comment made only of variants/codes ("roja M", "101 azul XL", "3 aros porfa") is a purchase
 *   claim, the way viewers write them on lives; with "?" it is a question ("¿roja M?").
 * - "yo" / 🙋 alone claim the featured product.
 * - Negated claims ("no la quiero", "ya no me la llevo") are cancellations.
 * - Questions and chatter carry `items: []`; cancellations carry items with `quantity: null`.
 * - A question next to a claim lends it what it asked about ("¿hay en negro? la quiero en G" →
 *   negro G), for fields the claim leaves empty and only when it fits the claimed product.
 * - "quiero" + an infinitive that is not a buying verb ("quiero llorar", "quiero ir") is no claim.
 * - Amounts (prices, percentages, times, dates, years, ratings) are never counts, codes or sizes,
 *   and a comment that contains one is not a bare claim ("a las 8", "10/10").
 */
import { getCatalogIndex } from './catalog-index.js';
import { matchCatalog, type MatchResult, type Mention } from './catalog-matcher.js';
import { claimCondition, detectCues, type Clause, type Cue } from './intent-cues.js';
import type { Catalog, Intent, IntentItem, IntentResult } from './intent-types.js';
import { canonicalWord, isKnownWord } from './intent-vocabulary.js';
import { buildItems, type ItemIssue } from './item-builder.js';
import { COUNT_NOUNS } from './quantity-words.js';
import { FILLER_WORDS, POLITE_WORDS, THIRD_PARTIES } from './spanish-lexicon.js';
import { isLaughter, tokenize } from './spanish-text.js';

/** confidence ≥ threshold ⇔ confident. */
export const LOCAL_CONFIDENCE_THRESHOLD = 0.75;

/** The local classifier's answer: an IntentResult plus whether to trust it and why. */
export type LocalClassification = IntentResult & { source: 'local'; confident: boolean; signals: string[] };

/** Options of classifyLocal. */
export interface ClassifyLocalOptions {
  /** The product on screen now; overrides `catalog.featured_product` (null = none). */
  featured?: string | null;
}

const CLAUSE_BREAK_PUNCT = new Set(['?', '¿', '!', '.', ';', ':', ',']);
const CLAUSE_BREAK_WORDS = new Set(['pero', 'aunque']);
const PLACEHOLDER: Record<Exclude<Mention['kind'], 'conj'>, string> = {
  product: '_prd_',
  colour: '_col_',
  size: '_siz_',
  quantity: '_qty_',
  number: '_num_',
  noun: '_noun_',
};
const CLAIM_WORDS = new Set(['yo', '_raise_', '_cart_']);
const BARE_PUNCT = new Set(['!', '.', ',', ';', ':', '+', '&', '/', '-', '(', ')', '=']);
const ARTICLE_WORDS = new Set(['la', 'el', 'las', 'los', 'un', 'una']);
const AFFIRMATIONS = new Set(['si', 'sip', 'dale', 'va', 'listo', 'claro', 'obvio', 'ok', 'okey', 'oki', 'vale', 'bueno', 'ya']);

/** "me la envuelves", "me lo traes": a request to the seller in words the cues do not know. */
const UNKNOWN_REQUEST = /(?:^| )me (?:la|lo|las|los) [a-z]+(?:as|es)(?= |$)/;
/** "me las llevo todas", "una de cada": a claim on a set the classifier cannot enumerate. */
const COLLECTIVE = /(?:^| )(?:todas|todos|todo|cada|toda la coleccion)(?= |$)/;
/** "la misma que ella", "la otra", "la de antes": a reference to something other than the featured product. */
const REFERENCE = /(?:^| )(?:misma|mismo|igual|iguales|otra|otro|anterior|de antes|del principio|primera|ultima|de la foto|que mostraste)(?= |$)/;
/**
 * "si no hay, la azul", "la roja o la azul": an alternative. (A claim conditional on stock — "si hay en 40 me lo
 * llevo" — is a plain purchase of that variant; one conditional on anything else is a question: claimCondition.)
 */
const CONDITIONAL = /(?:^| )(?:si no|sino|o si no|o la|o el)(?= |$)/;

const ITEM_PENALTY: Record<ItemIssue['kind'], number> = {
  'unknown-colour': 0.35,
  'unknown-size': 0.35,
  'no-product': 0.5,
  'ambiguous-product': 0.2,
  'ambiguous-featured': 0.08,
  'inferred-product': 0.1,
  distributed: 0.2,
  // A list resolved by its counts ("3 bolsos: negro, café y beige"): right when the counts add up, a mild doubt.
  'list-count': 0.12,
  'dropped-total': 0.12,
  'vague-quantity': 0.2,
  'large-quantity': 0.2,
  'unplaced-number': 0.3,
  'unknown-product': 0.4,
  'context-variant': 0.05,
  typo: 0.03,
};

interface Canonical {
  clauses: Clause[];
  hasQuestionMark: boolean;
  /** Per token: canonical unit (placeholder, canonical word, emoji class...), '' for tokens inside a mention. */
  units: string[];
}

function canonicalise(match: MatchResult): Canonical {
  const { tokens, roleOf } = match;
  const units: string[] = [];
  const clauses: Clause[] = [];
  let current: string[] = [];
  let start = 0;
  let interrogative = false;
  let hasQuestionMark = false;

  const close = (end: number, markQuestion: boolean): void => {
    if (current.length > 0) {
      clauses.push({ text: ` ${current.join(' ')} `, interrogative: interrogative || markQuestion, start, end });
    } else if (markQuestion && clauses.length > 0) {
      const last = clauses[clauses.length - 1];
      if (last) last.interrogative = true; // "cuánto cuesta ??"
    }
    current = [];
    start = end + 1;
    interrogative = false;
  };

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (!t) continue;
    const role = roleOf[i] ?? null;
    let unit: string;
    if (role && role.kind !== 'conj') {
      unit = role.start !== i ? '' : role.kind === 'number' && role.reason === 'amount' ? '_amt_' : PLACEHOLDER[role.kind];
    } else if (t.kind === 'punct') {
      if (CLAUSE_BREAK_PUNCT.has(t.norm)) {
        units.push(t.norm);
        if (t.norm === '?') {
          hasQuestionMark = true;
          close(i, true);
        } else if (t.norm === '¿') {
          hasQuestionMark = true;
          close(i, false);
          interrogative = true;
        } else close(i, false);
        continue;
      }
      unit = t.norm;
    } else if (t.kind === 'emoji') unit = `_${t.emoji === 'other' || t.emoji === undefined ? 'emoji' : t.emoji}_`;
    else if (t.kind === 'tag') unit = '_tag_';
    else if (t.kind === 'url') unit = '_url_';
    else if (isLaughter(t.norm)) unit = '_lol_';
    // Latin-American "cancelé" (also typed without the accent) means "I paid", not "I cancel".
    else if (t.norm === 'cancele') unit = 'pague';
    else unit = canonicalWord(t.norm);

    units.push(unit);
    if (t.kind === 'word' && CLAUSE_BREAK_WORDS.has(unit)) {
      close(i, false);
      continue;
    }
    if (unit !== '') current.push(unit);
  }
  close(tokens.length, false);
  return { clauses, hasQuestionMark, units };
}

interface Bareness {
  /** Every token is a catalog mention, a filler, a claim word or decoration. */
  bare: boolean;
  slotKinds: Set<string>;
  claimWords: number;
  polite: boolean;
  singleColourOnly: boolean;
}

function bareness(match: MatchResult, units: string[]): Bareness {
  const slotKinds = new Set<string>();
  let claimWords = 0;
  let polite = false;
  let bare = true;
  let colourCount = 0;
  for (let i = 0; i < match.tokens.length; i++) {
    const t = match.tokens[i];
    const role = match.roleOf[i] ?? null;
    const unit = units[i] ?? '';
    if (!t) continue;
    if (role) {
      if (role.kind === 'number' && role.reason === 'amount') {
        bare = false; // "a las 8", "$350", "10/10": an amount is information, not a claim
        continue;
      }
      if (role.kind !== 'conj') slotKinds.add(role.kind === 'product' && role.via === 'code' ? 'code' : role.kind);
      if (role.kind === 'colour' && role.start === i) colourCount++;
      continue;
    }
    if (t.kind === 'punct') {
      if (!BARE_PUNCT.has(t.norm)) bare = false;
      continue;
    }
    if (t.kind === 'emoji') {
      if (t.emoji === 'raise' || t.emoji === 'cart') claimWords++;
      continue;
    }
    if (CLAIM_WORDS.has(unit)) {
      claimWords++;
      continue;
    }
    if (unit === 'para' || unit === 'mi' || unit === 'mis') {
      // "para mí": a claim marker
      if (unit === 'mi') claimWords++;
      continue;
    }
    if (THIRD_PARTIES.has(unit) && (units[i - 1] === 'mi' || units[i - 1] === 'mis')) {
      claimWords++; // "para mi hija la roja M": a claim on someone's behalf
      continue;
    }
    if (COUNT_NOUNS.has(unit)) continue; // "3 pares de medias"
    if (POLITE_WORDS.has(unit)) {
      polite = true;
      continue;
    }
    if (FILLER_WORDS.has(unit) || unit === 'porfa' || unit === 'tambien') continue;
    bare = false;
  }
  const singleColourOnly =
    colourCount === 1 && !slotKinds.has('size') && !slotKinds.has('code') && !slotKinds.has('quantity') && !slotKinds.has('product');
  return { bare, slotKinds, claimWords, polite, singleColourOnly };
}

const clamp = (x: number): number => Math.max(0.05, Math.min(0.99, Math.round(x * 100) / 100));

/**
 * Classifies one comment against the live's catalog.
 * Never throws for any text; product-specific knowledge comes only from `catalog`.
 */
export function classifyLocal(text: string, catalog: Catalog, options: ClassifyLocalOptions = {}): LocalClassification {
  const signals: string[] = [];
  const index = getCatalogIndex(catalog);
  let featured = options.featured !== undefined ? options.featured : catalog.featured_product;
  if (featured !== null && !index.products.has(featured)) {
    signals.push(`featured ${featured} is not in the catalog`);
    featured = null;
  }

  const match = matchCatalog(tokenize(text), catalog, featured);
  const { clauses, hasQuestionMark, units } = canonicalise(match);
  let cues = detectCues(clauses);
  const condition = claimCondition(clauses);
  if (condition === 'deal' && cues.some((c) => c.intent === 'purchase') && !cues.some((c) => c.intent === 'cancel')) {
    // "si me hacen descuento me llevo dos pares": not an order until the seller answers — a question.
    cues = [
      ...cues.filter((c) => c.intent !== 'purchase'),
      { name: 'conditional-claim', intent: 'question', strength: 'strong', request: false, clause: 0, negated: false, undo: false },
    ];
  }
  if (condition === 'availability') signals.push('claim conditional on stock (a purchase: reserved or waitlisted)');
  const bare = bareness(match, units);

  const wordCount = match.tokens.filter((t) => t.kind === 'word' || t.kind === 'number').length;
  const unknownWords = match.tokens.filter(
    (t, i) =>
      t.kind === 'word' &&
      !match.roleOf[i] &&
      t.norm.length >= 3 &&
      !isLaughter(t.norm) &&
      !isKnownWord(canonicalWord(t.norm)),
  ).length;
  const hasSlots = ['colour', 'size', 'code', 'product', 'quantity'].some((k) => bare.slotKinds.has(k));
  const nounMentions = match.mentions.filter((m) => m.kind === 'noun').length;
  const strayMentions = nounMentions + match.mentions.filter((m) => m.kind === 'number' && m.reason !== 'amount').length;

  const purchaseCues = cues.filter((c) => c.intent === 'purchase');
  const cancelCues = cues.filter((c) => c.intent === 'cancel');
  const questionCues = cues.filter((c) => c.intent === 'question');
  const otherCues = cues.filter((c) => c.intent === 'other');
  const strongQuestion = questionCues.some((c) => c.strength === 'strong');
  const paid = otherCues.some((c) => c.name === 'paid');
  for (const c of cues) signals.push(`cue:${c.name}`);

  let intent: Intent;
  let base: number;
  let withItems = false;
  let excludedClauses = new Set<number>();

  const lastClause = (list: Cue[]): number => list.reduce((m, c) => Math.max(m, c.clause), -1);

  if (purchaseCues.length > 0 && cancelCues.length > 0) {
    // "ya no quiero la roja, quiero la azul": the later statement wins, but ask for a second opinion.
    const purchaseLast = lastClause(purchaseCues) >= lastClause(cancelCues);
    intent = purchaseLast ? 'purchase' : 'cancel';
    base = 0.55;
    withItems = true;
    excludedClauses = new Set((purchaseLast ? cancelCues : purchaseCues).map((c) => c.clause));
    if (purchaseLast) for (const c of purchaseCues) excludedClauses.delete(c.clause);
    signals.push('mixed purchase and cancel');
  } else if (purchaseCues.length > 0) {
    intent = 'purchase';
    withItems = true;
    const strong = purchaseCues.some((c) => c.strength === 'strong');
    base = strong ? 0.93 : purchaseCues.some((c) => c.strength === 'medium') ? 0.72 : 0.6;
    if (!strong && bare.slotKinds.size > 0 && !hasQuestionMark) base = 0.8;
    if (questionCues.length > 0 || hasQuestionMark) {
      base -= 0.05;
      signals.push('claim together with a question');
    }
  } else if (cancelCues.length > 0) {
    intent = 'cancel';
    withItems = true;
    const strength = cancelCues.some((c) => c.strength === 'strong')
      ? 'strong'
      : cancelCues.some((c) => c.strength === 'medium')
        ? 'medium'
        : 'weak';
    base = strength === 'strong' ? 0.9 : strength === 'medium' ? 0.78 : 0.55;
    if (hasQuestionMark) base -= 0.1;
  } else if (bare.bare && !hasQuestionMark && hasSlots) {
    intent = 'purchase';
    withItems = true;
    const k = bare.slotKinds;
    const specific =
      k.has('colour') || k.has('size') || k.has('code') || (k.has('product') && (k.has('quantity') || bare.claimWords > 0));
    base = specific ? (bare.claimWords > 0 ? 0.92 : 0.88) : k.has('product') ? 0.72 : 0.62;
    signals.push(`bare claim: ${[...k].sort().join('+')}`);
    if (bare.polite && bare.singleColourOnly) {
      base -= 0.2; // "hola negra": a colour word after a greeting may be a nickname
      signals.push('greeting + lone colour word');
    }
  } else if (bare.bare && !hasQuestionMark && bare.claimWords > 0 && !hasSlots && strayMentions === 0) {
    intent = 'purchase';
    withItems = true;
    base = featured === null ? 0.5 : 0.88;
    signals.push('claim word alone ("yo" / raised hand)');
  } else if (hasQuestionMark || (questionCues.length > 0 && !(paid && !strongQuestion))) {
    intent = 'question';
    if (hasQuestionMark && strongQuestion) base = 0.93;
    else if (strongQuestion) base = 0.86;
    else if (hasQuestionMark && questionCues.length > 0) base = 0.9;
    else if (hasQuestionMark) base = hasSlots ? 0.7 : 0.8;
    else base = 0.8;
    if (hasQuestionMark) signals.push('question mark');
    if (hasQuestionMark && hasSlots && questionCues.length === 0) signals.push('variant asked with "?" (claim or question?)');
  } else {
    intent = 'other';
    const explained = otherCues.filter((c) => c.name !== 'compare');
    const onlyDecor = match.tokens.every(
      (t, i) => t.kind === 'emoji' || t.kind === 'punct' || (t.kind === 'word' && isLaughter(t.norm)) || units[i] === '_lol_',
    );
    const allAffirm = match.tokens.length > 0 && match.tokens.every((t, i) => t.kind === 'punct' || AFFIRMATIONS.has(units[i] ?? ''));
    if (match.tokens.length === 0 || onlyDecor) base = 0.97;
    else if (allAffirm) {
      base = 0.6;
      signals.push('bare affirmation (may answer "who wants it?")');
    } else if (hasSlots || strayMentions > 0) {
      // Praise or a comparison explains a product word ("te quedan hermosos los botines"); a size,
      // code or count next to it smells like a claim written in a way we do not know.
      const claimish = ['size', 'code', 'quantity'].some((k) => bare.slotKinds.has(k));
      base = otherCues.length > 0 ? (claimish ? 0.6 : 0.78) : 0.5;
      signals.push('mentions products/variants without a claim');
    } else if (explained.length > 0) base = 0.92;
    else if (otherCues.length > 0) base = 0.82;
    else base = wordCount <= 8 ? 0.78 : 0.62;
    if (UNKNOWN_REQUEST.test(clauses.map((c) => c.text).join(' '))) {
      base = Math.min(base, 0.5);
      signals.push('request to the seller not understood');
    }
  }

  // "ya tengo la roja, ahora quiero la azul": when the claim clause names its own item, clauses that
  // say something else (a question, chatter, what the viewer already has) do not add items.
  // A question among them ("¿hay en negro? la quiero en G") still tells what the claim leaves out:
  // its mentions become context that fills the claim's empty fields.
  const clauseOf = (m: Mention): number => clauses.findIndex((c) => m.start >= c.start && m.start < c.end);
  const questionClauses = new Set<number>();
  if (intent === 'purchase' && excludedClauses.size === 0) {
    const claimClauses = new Set(purchaseCues.map((c) => c.clause));
    const itemWords = (m: Mention): boolean => m.kind === 'colour' || m.kind === 'size' || m.kind === 'product';
    if (match.mentions.some((m) => itemWords(m) && claimClauses.has(clauseOf(m)))) {
      cues.forEach((c) => {
        if (c.intent !== 'purchase' && !claimClauses.has(c.clause)) excludedClauses.add(c.clause);
      });
      for (const k of excludedClauses) {
        const clauseCues = cues.filter((c) => c.clause === k);
        if (clauseCues.length > 0 && clauseCues.every((c) => c.intent === 'question')) questionClauses.add(k);
      }
    }
  }

  let items: IntentItem[] = [];
  let confidence = base;
  if (withItems) {
    const usable = match.mentions.filter((m) => {
      const clause = clauses.findIndex((c) => m.start >= c.start && m.start < c.end);
      return clause < 0 || !excludedClauses.has(clause);
    });
    const context = match.mentions.filter((m) => questionClauses.has(clauseOf(m)));
    const built = buildItems(usable, index, featured, intent === 'cancel', context);
    items = built.items;
    const seen = new Set<string>();
    for (const issue of built.issues) {
      // One penalty per kind of doubt: three typos are not three times less likely.
      if (!seen.has(issue.kind)) confidence -= ITEM_PENALTY[issue.kind];
      seen.add(issue.kind);
      signals.push(issue.detail);
    }
    if (items.length === 0) {
      confidence = Math.min(confidence, 0.4);
      signals.push('no item could be resolved');
    }
    // "me llevo la crema corporal y la facial": "y la <word we do not know>" names another item we could not read.
    const toks = match.tokens;
    const unreadItem = toks.some(
      (t, i) =>
        i >= 2 &&
        t.kind === 'word' &&
        !match.roleOf[i] &&
        t.norm.length >= 4 &&
        !isLaughter(t.norm) &&
        !isKnownWord(canonicalWord(t.norm)) &&
        ARTICLE_WORDS.has(toks[i - 1]?.norm ?? '') &&
        (toks[i - 2]?.norm === 'y' || toks[i - 2]?.norm === ','),
    );
    if (unreadItem) {
      confidence -= 0.25;
      signals.push('a listed item was not recognised');
    }
    if (unknownWords >= 4 && unknownWords / Math.max(1, wordCount) > 0.35) {
      confidence -= 0.12;
      signals.push(`${unknownWords} unrecognised words`);
    }
  } else if (intent === 'question' && nounMentions > 0) {
    signals.push('asks about a product this live does not show');
  }

  if (wordCount > 40) {
    confidence -= 0.25;
    signals.push(`long comment (${wordCount} words)`);
  } else if (wordCount > 25) {
    confidence -= 0.15;
    signals.push(`long comment (${wordCount} words)`);
  }
  const canonicalText = clauses.map((c) => c.text).join(' ');
  if (intent === 'purchase' && CONDITIONAL.test(canonicalText)) {
    confidence -= 0.2;
    signals.push('conditional or alternative claim');
  }
  if (intent === 'purchase' && COLLECTIVE.test(canonicalText)) {
    confidence -= 0.3;
    signals.push('claims a whole set ("todas", "una de cada")');
  }
  if ((intent === 'purchase' || intent === 'cancel') && !bare.slotKinds.has('code') && REFERENCE.test(canonicalText)) {
    confidence -= 0.25;
    signals.push('refers to an item shown earlier or chosen by someone else');
  }

  confidence = clamp(confidence);
  return {
    intent,
    items,
    confidence,
    source: 'local',
    confident: confidence >= LOCAL_CONFIDENCE_THRESHOLD,
    signals: [...new Set(signals)],
  };
}
