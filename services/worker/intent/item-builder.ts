/**
 * Turns catalog mentions into requested items: groups them ("una negra S y una blanca S" → two
 * items), picks the product (named, else featured, else the only one offering that variant) and
 * spells colour and size the merchant's way. Every doubt is reported as an issue, which the
 * classifier turns into a signal and a confidence penalty.
 */
import type { CatalogIndex, ProductInfo } from './catalog-index.js';
import type { ColourMention, Mention, QuantityMention, SizeMention } from './catalog-matcher.js';
import type { IntentItem } from './intent-types.js';

/** Something about the items that a careful reader (the LLM) should double-check. */
export interface ItemIssue {
  kind:
    | 'unknown-colour'
    | 'unknown-size'
    | 'no-product'
    | 'ambiguous-product'
    | 'ambiguous-featured'
    | 'inferred-product'
    | 'distributed'
    | 'list-count'
    | 'dropped-total'
    | 'vague-quantity'
    | 'large-quantity'
    | 'unplaced-number'
    | 'unknown-product'
    | 'context-variant'
    | 'typo';
  detail: string;
}

/** The items and their issues. */
export interface BuiltItems {
  items: IntentItem[];
  issues: ItemIssue[];
}

interface Draft {
  product: string | null;
  productInherited: boolean;
  alternatives: string[];
  colour: ColourMention | null;
  size: SizeMention | null;
  quantity: QuantityMention | null;
  /** The colour came after a list separator ("dos gorras, negra y verde"). */
  colourAfterList: boolean;
  /** The size came after a list separator ("dos botines burdeo, 36 y 39"). */
  sizeAfterList: boolean;
  /** The draft was opened after a list separator ("y", ","). */
  afterList: boolean;
}

const emptyDraft = (): Draft => ({
  product: null,
  productInherited: false,
  alternatives: [],
  colour: null,
  size: null,
  quantity: null,
  colourAfterList: false,
  sizeAfterList: false,
  afterList: false,
});

const hasContent = (d: Draft): boolean =>
  (d.product !== null && !d.productInherited) || d.colour !== null || d.size !== null || d.quantity !== null;

const offersColour = (info: ProductInfo | undefined, m: ColourMention): boolean =>
  !!info && (info.colourByForm.has(m.form) || info.colourByConcept.has(m.concept));
const offersSize = (info: ProductInfo | undefined, m: SizeMention): boolean => !!info && info.sizeByConcept.has(m.concept);

/**
 * Builds items from `mentions` (already restricted to the clauses that carry the intent).
 * `forCancel` gives quantity null, the cancel convention. `context` holds the mentions of a question
 * the viewer asked next to the claim ("¿hay en negro? la quiero en G"): what it names fills in what
 * the claim leaves out, when it does not contradict the claim.
 */
export function buildItems(
  mentions: readonly Mention[],
  index: CatalogIndex,
  featured: string | null,
  forCancel: boolean,
  context: readonly Mention[] = [],
): BuiltItems {
  const issues: ItemIssue[] = [];
  const drafts: Draft[] = [];
  let cur = emptyDraft();
  let pendingSplit = false;
  /** After "las dos en" / "ambas": the next variant applies to every item listed so far. */
  let distributing = false;
  const featuredInfo = featured === null ? undefined : index.products.get(featured);
  const listed = (): Draft[] => [...drafts, ...(hasContent(cur) ? [cur] : [])];

  const startNew = (inheritProduct: boolean): void => {
    const prev = cur;
    if (hasContent(prev)) drafts.push(prev);
    cur = emptyDraft();
    cur.afterList = pendingSplit;
    if (inheritProduct && prev.product !== null) {
      cur.product = prev.product;
      cur.productInherited = true;
      cur.alternatives = prev.alternatives;
    }
  };
  const explicitInfo = (): ProductInfo | undefined =>
    cur.product !== null && !cur.productInherited ? index.products.get(cur.product) : undefined;

  for (const m of mentions) {
    if (distributing && (m.kind === 'colour' || m.kind === 'size')) {
      // "una negra y una blanca, las dos en M": M for each, not a third item.
      for (const d of listed()) {
        if (m.kind === 'size' && d.size === null) d.size = m;
        if (m.kind === 'colour' && d.colour === null) d.colour = m;
      }
      continue;
    }
    if (m.kind !== 'conj') distributing = false;
    switch (m.kind) {
      case 'conj':
        if (hasContent(cur)) pendingSplit = true;
        break;
      case 'quantity':
        if (m.distributive && listed().length > 0) {
          distributing = true;
          pendingSplit = false;
          break;
        }
        if (m.postfix) {
          if (cur.quantity !== null) startNew(true);
        } else if (cur.quantity !== null || cur.colour !== null || cur.size !== null || (pendingSplit && hasContent(cur))) {
          startNew(true);
        }
        cur.quantity = m;
        pendingSplit = false;
        break;
      case 'product':
        if (
          (cur.product !== null && !cur.productInherited && cur.product !== m.code) ||
          (pendingSplit && hasContent(cur)) ||
          (cur.product === null || cur.productInherited
            ? (cur.colour !== null && !offersColour(index.products.get(m.code), cur.colour) && hasContent(cur)) ||
              (cur.size !== null && !offersSize(index.products.get(m.code), cur.size) && hasContent(cur))
            : false)
        ) {
          startNew(false);
        }
        cur.product = m.code;
        cur.productInherited = false;
        cur.alternatives = m.alternatives;
        if (m.via === 'typo') issues.push({ kind: 'typo', detail: `product ${m.code} read from a misspelling` });
        pendingSplit = false;
        break;
      case 'colour': {
        const info = explicitInfo();
        if (cur.colour !== null && cur.colour.concept !== m.concept) startNew(true);
        else if (pendingSplit && info && featuredInfo && info !== featuredInfo && !offersColour(info, m) && offersColour(featuredInfo, m)) {
          // "los aros y la roja": after a list separator, the colour belongs to the featured product,
          // not to the aros. Without one ("la sudadera beige en extra grande") it is the named product's,
          // even if it does not sell it: a variant to double-check, not a second item.
          startNew(false);
        }
        cur.colour = m;
        cur.colourAfterList = pendingSplit;
        if (m.via === 'typo') issues.push({ kind: 'typo', detail: `colour "${m.form}" read as a misspelling` });
        pendingSplit = false;
        break;
      }
      case 'size': {
        const info = explicitInfo();
        if (cur.size !== null && cur.size.concept !== m.concept) startNew(true);
        else if (pendingSplit && info && featuredInfo && info !== featuredInfo && !offersSize(info, m) && offersSize(featuredInfo, m)) {
          startNew(false); // same rule as for colours
        }
        cur.size = m;
        cur.sizeAfterList = pendingSplit;
        pendingSplit = false;
        break;
      }
      case 'number':
        if (m.reason === 'amount') break; // a price, time or date said in passing
        issues.push({
          kind: 'unplaced-number',
          detail:
            m.reason === 'unknown-code'
              ? `code ${m.value} is not in the catalog`
              : `number ${m.value} is neither a code, a size nor a clear quantity`,
        });
        break;
      case 'noun':
        issues.push({ kind: 'unknown-product', detail: `"${m.form}" is not a product of this live` });
        break;
    }
  }
  if (hasContent(cur)) drafts.push(cur);
  // "el conjunto rojo talla 6" read with a typo'd "talla": a lone count after an item, with no list word
  // before it, is more likely a size or a code we did not recognise than a second item.
  drafts.forEach((d, i) => {
    if (i > 0 && d.quantity && !d.quantity.article && !d.colour && !d.size && (d.product === null || d.productInherited) && !d.afterList) {
      issues.push({ kind: 'unplaced-number', detail: `"${d.quantity.value}" after an item, without "y" or a comma` });
    }
  });

  distributeCounts(drafts, issues);

  // Shared attributes in lists: "roja y azul M" (size shared back), "roja M y L" (colour shared forward).
  for (let i = 0; i + 1 < drafts.length; i++) {
    const a = drafts[i];
    const b = drafts[i + 1];
    if (!a || !b || (a.product ?? featured) !== (b.product ?? featured)) continue;
    if (a.size === null && b.size !== null && a.colour !== null && b.colour !== null && a.quantity === null) {
      a.size = b.size;
      issues.push({ kind: 'distributed', detail: `size "${b.size.form}" applied to both colours` });
    } else if (b.colour === null && b.size !== null && a.colour !== null && a.size !== null) {
      b.colour = a.colour;
      issues.push({ kind: 'distributed', detail: `colour "${a.colour.form}" applied to both sizes` });
    }
  }

  if (drafts.length === 0) drafts.push(emptyDraft());
  if (context.length > 0) inheritFromContext(drafts, context, index, featured, issues);

  const items: IntentItem[] = [];
  for (const d of drafts) {
    let code = d.product ?? featured;
    if (d.product === null && code === null) code = inferProduct(d, index, issues);
    if (code === null) {
      issues.push({ kind: 'no-product', detail: 'no product named and none featured' });
      continue;
    }
    const info = index.products.get(code);
    if (!info) {
      issues.push({ kind: 'no-product', detail: `product ${code} is not in the catalog` });
      continue;
    }
    if (d.alternatives.length > 0 && !d.productInherited) {
      // The product on screen is the likely reading of a word several products answer to ("cargador").
      issues.push({ kind: code === featured ? 'ambiguous-featured' : 'ambiguous-product', detail: `could also be ${d.alternatives.join(', ')}` });
    }
    let color: string | null = null;
    // A dimension with one value needs no words: "quiero los mocasines talla 39" is the only colour they come in.
    if (!d.colour && info.onlyColour !== null) color = info.onlyColour;
    if (d.colour) {
      color = info.colourByForm.get(d.colour.form) ?? info.colourByConcept.get(d.colour.concept) ?? null;
      if (color === null) {
        issues.push({
          kind: 'unknown-colour',
          detail: info.hasColours
            ? `colour "${d.colour.form}" is not offered for ${code}`
            : `${code} has no colour variants (asked "${d.colour.form}")`,
        });
      }
    }
    let size: string | null = !d.size && info.onlySize !== null ? info.onlySize : null;
    if (d.size) {
      size = info.sizeByConcept.get(d.size.concept) ?? null;
      if (size === null) {
        issues.push({
          kind: 'unknown-size',
          detail: info.hasSizes
            ? `size "${d.size.form}" is not offered for ${code}`
            : `${code} has no sizes (asked "${d.size.form}")`,
        });
      }
    }
    // "un par de botines" is one pair; "un par de poleras" two of them (vague: could be "a couple").
    const onePair = d.quantity?.pair === true && info.paired;
    const quantity = onePair ? 1 : (d.quantity?.value ?? 1);
    if (d.quantity?.vague && !onePair) issues.push({ kind: 'vague-quantity', detail: `quantity "${quantity}" is vague` });
    if (quantity > 10) issues.push({ kind: 'large-quantity', detail: `quantity ${quantity}` });
    items.push({ product: code, color, size, quantity: forCancel ? null : quantity });
  }

  return { items: dedupe(items), issues };
}

/**
 * Counts that announce or total a list, resolved into one item per named variant:
 * - "quiero 2: una roja y una azul", "2 bases: una marfil y una moka", "2 negras, una 36 y otra 38",
 *   "quiero 2 pares negros, uno 36 y otro 40": a leading count that the listed counts add up to; what the
 *   leading item says (product, colour or size) is shared by every listed item.
 * - "quiero 3 bolsos: negro, café y beige", "dos botines burdeo, 36 y 39", "las dos en 37: negra y nude": the
 *   count equals the number of variants listed after a separator; one of each, sharing what came before.
 * - "2 negros de 128, uno para mi vieja": a bare "uno" after a count is part of it, not another item.
 */
function distributeCounts(drafts: Draft[], issues: ItemIssue[]): void {
  let head = drafts[0];
  if (!head || drafts.length < 2) return;
  let rest = drafts.slice(1);

  // "gorros: uno rosa y uno azul": the product alone heads the list of its variants.
  if (
    head.product !== null &&
    !head.productInherited &&
    !head.quantity &&
    !head.colour &&
    !head.size &&
    rest.every((d) => (d.product === head?.product || d.productInherited) && (d.colour !== null || d.size !== null))
  ) {
    for (const d of rest) d.productInherited = false;
    drafts.shift();
    head = drafts[0];
    rest = drafts.slice(1);
    if (!head || drafts.length < 2) return;
  }

  if (head.quantity && head.quantity.value >= 2) {
    const total = rest.reduce((sum, d) => sum + (d.quantity?.value ?? 1), 0);
    const explicit = head.product !== null && !head.productInherited ? head.product : null;
    const compatible = rest.every(
      (d) =>
        (!head.colour || !d.colour || d.colour.concept === head.colour.concept) &&
        (!head.size || !d.size || d.size.concept === head.size.concept) &&
        (explicit === null || d.product === null || d.productInherited || d.product === explicit),
    );
    const headIsTotal = head.quantity.value === rest.length || head.quantity.value === total;
    const restNamesVariants = rest.every((d) => d.colour !== null || d.size !== null);
    if (headIsTotal && compatible && restNamesVariants && (rest.length >= 2 || (!head.colour && !head.size))) {
      for (const d of rest) {
        if (explicit !== null && (d.product === null || d.productInherited)) {
          d.product = explicit;
          d.productInherited = false;
          d.alternatives = head.alternatives;
        }
        if (!d.colour && head.colour) d.colour = head.colour;
        if (!d.size && head.size) d.size = head.size;
      }
      drafts.shift();
      issues.push({ kind: 'dropped-total', detail: `"${head.quantity.value}" read as the total of the list` });
      return;
    }
  }

  if (
    head.quantity &&
    head.quantity.value === drafts.length &&
    (head.colourAfterList || head.sizeAfterList) &&
    rest.every((d) => d.quantity === null && (d.product === null || d.productInherited || d.product === head.product))
  ) {
    // The varying attribute is the one listed; what the head said before the list is shared.
    for (const d of rest) {
      if (!head.colourAfterList && head.colour && !d.colour) d.colour = head.colour;
      if (!head.sizeAfterList && head.size && !d.size) d.size = head.size;
    }
    head.quantity = { ...head.quantity, value: 1, vague: false };
    issues.push({ kind: 'list-count', detail: `"${drafts.length}" read as the count of the listed variants` });
    return;
  }

  // "2 negros de 128, uno para mi vieja": the "uno" is one of the two.
  const last = drafts[drafts.length - 1];
  const counted = drafts.slice(0, -1).some((d) => (d.quantity?.value ?? 1) >= 2);
  if (
    last &&
    counted &&
    last.quantity?.article === true &&
    last.quantity.value === 1 &&
    !last.colour &&
    !last.size &&
    (last.product === null || last.productInherited)
  ) {
    drafts.pop();
    issues.push({ kind: 'list-count', detail: 'a bare "uno" after a count read as part of it' });
  }
}

/**
 * "¿hay en negro? la quiero en G", "¿tienes la sudadera en beige? me la llevo en M": the question
 * names what the claim leaves out. Only unambiguous context is used (one product, one colour, one
 * size), only for fields the claim left empty, and only when it fits the claimed product — a claim
 * on another product than the one asked about does not take that product's variants.
 */
function inheritFromContext(
  drafts: Draft[],
  context: readonly Mention[],
  index: CatalogIndex,
  featured: string | null,
  issues: ItemIssue[],
): void {
  const products = new Set<string>();
  const colours = new Map<string, ColourMention>();
  const sizes = new Map<string, SizeMention>();
  for (const m of context) {
    if (m.kind === 'product') products.add(m.code);
    else if (m.kind === 'colour') colours.set(m.concept, m);
    else if (m.kind === 'size') sizes.set(m.concept, m);
  }
  const ctxProduct = products.size === 1 ? [...products][0] : undefined;
  const ctxColour = colours.size === 1 ? [...colours.values()][0] : undefined;
  const ctxSize = sizes.size === 1 ? [...sizes.values()][0] : undefined;
  if (products.size > 1 || colours.size > 1 || sizes.size > 1) {
    // "¿negro o blanco?": no guess, but the claim may be missing what the question hesitates about.
    issues.push({ kind: 'context-variant', detail: 'the question names several products or variants; none taken' });
    return;
  }
  for (const d of drafts) {
    const named = d.product !== null && !d.productInherited ? d.product : null;
    if (named !== null && ctxProduct !== undefined && named !== ctxProduct) continue;
    let code = named;
    if (code === null && ctxProduct !== undefined) {
      const info = index.products.get(ctxProduct);
      const fits = (!d.colour || offersColour(info, d.colour)) && (!d.size || offersSize(info, d.size));
      if (fits) {
        d.product = ctxProduct;
        d.productInherited = false;
        d.alternatives = [];
        code = ctxProduct;
        issues.push({ kind: 'context-variant', detail: `product ${ctxProduct} taken from the question` });
      }
    }
    const info = index.products.get(code ?? featured ?? '');
    if (d.colour === null && ctxColour && offersColour(info, ctxColour)) {
      d.colour = ctxColour;
      issues.push({ kind: 'context-variant', detail: `colour "${ctxColour.form}" taken from the question` });
    }
    if (d.size === null && ctxSize && offersSize(info, ctxSize)) {
      d.size = ctxSize;
      issues.push({ kind: 'context-variant', detail: `size "${ctxSize.form}" taken from the question` });
    }
  }
}

/** Without a featured product, the only product offering the named colour/size. */
function inferProduct(d: Draft, index: CatalogIndex, issues: ItemIssue[]): string | null {
  if (!d.colour && !d.size) return null;
  const candidates = [...index.products.values()].filter(
    (p) => (!d.colour || offersColour(p, d.colour)) && (!d.size || offersSize(p, d.size)),
  );
  const only = candidates.length === 1 ? candidates[0] : undefined;
  if (!only) return null;
  issues.push({ kind: 'inferred-product', detail: `product ${only.code} inferred from the variant` });
  return only.code;
}

/** Repeated identical items ("roja M ... roja M!!") are one claim, not two. */
function dedupe(items: IntentItem[]): IntentItem[] {
  const seen = new Set<string>();
  return items.filter((it) => {
    const key = `${it.product}|${it.color}|${it.size}|${it.quantity}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
