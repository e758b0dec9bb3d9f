/** Shared types of the intent step: the live catalog and what a classifier says about one comment. */

export interface CatalogProduct {
  code: string;
  name: string;
  keywords: string[];
  price: number;
  /** Allowed values per variant dimension, spelled as the merchant spells them (e.g. "roja", "M"). */
  variants: { color?: string[]; size?: string[] };
  stock: number;
  /** Per-variant stock when the catalog gives it (orders reserve from it); absent: `stock` is one pool. */
  variant_stock?: Array<{ color?: string | undefined; size?: string | undefined; stock: number }> | undefined;
  /**
   * Words viewers say for a variant value, mapped to the catalog's own spelling ({ "café": "marrón",
   * "doble": "2 plazas" }); each value must be one of the product's colors or sizes.
   */
  aliases?: Record<string, string> | undefined;
}

export interface Catalog {
  tienda_id: string;
  live_id: string;
  currency: string;
  /** Code of the product on screen now; the default when a comment names none. */
  featured_product: string | null;
  products: CatalogProduct[];
}

export const INTENTS = ['purchase', 'question', 'cancel', 'other'] as const;
export type Intent = (typeof INTENTS)[number];

/** One requested item, resolved against the catalog (catalog spellings; null where the viewer said nothing). */
export interface IntentItem {
  product: string;
  color: string | null;
  size: string | null;
  /** null on cancellations (the dev set's convention). */
  quantity: number | null;
}

export type IntentSource = 'local' | 'gemini' | 'openai' | 'openrouter';

export interface IntentResult {
  intent: Intent;
  items: IntentItem[];
  /** 0..1 */
  confidence: number;
  source: IntentSource;
}
