import type { CatalogProduct, IntentItem } from '../intent/intent-types.js';
import type { OrderItem } from './order-model.js';

/**
 * Stock units of a live's catalog. A product with `variant_stock` has one unit per listed variant
 * (`<code>:<color>:<size>`, `-` for a dimension it does not have); a product with only `stock` has one pool
 * (`<code>`) that every variant takes from.
 */
export function unitKey(product: CatalogProduct, color: string | null, size: string | null): string {
  if (!product.variant_stock) return product.code;
  return `${product.code}:${color ?? '-'}:${size ?? '-'}`;
}

/** Every unit of the catalog with its stock as the merchant declared it, in catalog order. */
export function catalogUnitList(products: readonly CatalogProduct[]): Array<[unit: string, stock: number]> {
  return products.flatMap((p): Array<[string, number]> =>
    p.variant_stock ? p.variant_stock.map((v) => [unitKey(p, v.color ?? null, v.size ?? null), v.stock]) : [[p.code, p.stock]],
  );
}

/** The same as a map (beware: an object lists integer-like keys such as product "2" first). */
export function catalogUnits(products: readonly CatalogProduct[]): Record<string, number> {
  return Object.fromEntries(catalogUnitList(products));
}

/** Why a requested item cannot become an order line as asked; the buyer is asked to complete it. */
export type ItemProblem =
  | { kind: 'unknown_product'; product: string | null }
  | { kind: 'missing_dimension'; product: CatalogProduct; dimension: 'color' | 'size'; values: string[] }
  | { kind: 'unknown_variant'; product: CatalogProduct; dimension: 'color' | 'size'; value: string; values: string[] }
  | { kind: 'variant_not_stocked'; product: CatalogProduct; color: string | null; size: string | null };

export type ResolvedItems = { ok: true; items: OrderItem[] } | { ok: false; problem: ItemProblem };

const MAX_QUANTITY_PER_LINE = 20;

/**
 * Intent items → order lines with catalog prices. A dimension the product has must be named (a dimension
 * with a single value is filled in); a value must be one of the catalog's; a per-variant product must stock
 * that combination. Lines for the same variant are merged.
 */
export function resolveOrderItems(intentItems: readonly IntentItem[], products: readonly CatalogProduct[]): ResolvedItems {
  if (intentItems.length === 0) return { ok: false, problem: { kind: 'unknown_product', product: null } };
  const lines = new Map<string, OrderItem>();
  for (const item of intentItems) {
    const product = products.find((p) => p.code === item.product);
    if (!product) return { ok: false, problem: { kind: 'unknown_product', product: item.product } };
    const chosen: { color: string | null; size: string | null } = { color: item.color, size: item.size };
    for (const dimension of ['color', 'size'] as const) {
      const values = product.variants[dimension] ?? [];
      const value = chosen[dimension];
      if (values.length === 0) {
        chosen[dimension] = null;
        continue;
      }
      if (value === null) {
        if (values.length === 1) chosen[dimension] = values[0]!;
        else return { ok: false, problem: { kind: 'missing_dimension', product, dimension, values } };
      } else if (!values.includes(value)) {
        return { ok: false, problem: { kind: 'unknown_variant', product, dimension, value, values } };
      }
    }
    if (product.variant_stock && !product.variant_stock.some((v) => (v.color ?? null) === chosen.color && (v.size ?? null) === chosen.size)) {
      return { ok: false, problem: { kind: 'variant_not_stocked', product, ...chosen } };
    }
    const unit = unitKey(product, chosen.color, chosen.size);
    const quantity = Math.min(Math.max(1, Math.floor(item.quantity ?? 1)), MAX_QUANTITY_PER_LINE);
    const line = lines.get(unit);
    if (line) line.quantity = Math.min(line.quantity + quantity, MAX_QUANTITY_PER_LINE);
    else lines.set(unit, { product: product.code, name: product.name, color: chosen.color, size: chosen.size, quantity, unit_price: product.price, unit });
  }
  return { ok: true, items: [...lines.values()] };
}

/** Units of stock an order needs, per unit. */
export function unitsNeeded(items: readonly OrderItem[]): Map<string, number> {
  const need = new Map<string, number>();
  for (const i of items) need.set(i.unit, (need.get(i.unit) ?? 0) + i.quantity);
  return need;
}

/** Variants of a product that still have stock (for answers and clarifications). */
export function availableVariants(product: CatalogProduct, available: Record<string, number>): Array<{ color: string | null; size: string | null; left: number }> {
  if (!product.variant_stock) return [{ color: null, size: null, left: available[product.code] ?? 0 }];
  return product.variant_stock
    .map((v) => ({ color: v.color ?? null, size: v.size ?? null, left: available[unitKey(product, v.color ?? null, v.size ?? null)] ?? 0 }))
    .filter((v) => v.left > 0);
}
