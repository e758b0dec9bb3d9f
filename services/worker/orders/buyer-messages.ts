import type { CatalogProduct } from '../intent/intent-types.js';
import type { ItemProblem } from './catalog-stock.js';
import type { Order, OrderItem } from './order-model.js';

/**
 * What the buyer reads, in Spanish: warm, short, merchant-grade. Prices in the tienda's currency as people of its
 * country write them (CLP has no decimals: "$9.990"), reservation times in the tienda's time zone.
 */

/** Time zone of a tienda's buyers, by country (a tienda sells to its own country). */
const COUNTRY_TIME_ZONES: Record<string, string> = {
  CL: 'America/Santiago',
  MX: 'America/Mexico_City',
  AR: 'America/Argentina/Buenos_Aires',
  PE: 'America/Lima',
  CO: 'America/Bogota',
  UY: 'America/Montevideo',
  EC: 'America/Guayaquil',
  BO: 'America/La_Paz',
  PY: 'America/Asuncion',
  VE: 'America/Caracas',
  CR: 'America/Costa_Rica',
  GT: 'America/Guatemala',
  DO: 'America/Santo_Domingo',
  PA: 'America/Panama',
  ES: 'Europe/Madrid',
  US: 'America/New_York',
};

export interface MessageContext {
  country: string;
  currency: string;
  tiendaName: string;
}

export function formatMoney(amount: number, ctx: Pick<MessageContext, 'country' | 'currency'>): string {
  try {
    return new Intl.NumberFormat(`es-${ctx.country}`, { style: 'currency', currency: ctx.currency, currencyDisplay: 'narrowSymbol' }).format(amount);
  } catch {
    return `${amount} ${ctx.currency}`;
  }
}

export function formatTime(iso: string, country: string): string {
  return new Intl.DateTimeFormat('es-CL', { hour: '2-digit', minute: '2-digit', hour12: false, timeZone: COUNTRY_TIME_ZONES[country] ?? 'UTC' }).format(new Date(iso));
}

function firstName(name: string | null): string {
  const first = name?.trim().split(/\s+/)[0];
  return first ? ` ${first}` : '';
}

export function describeItem(i: Pick<OrderItem, 'name' | 'color' | 'size' | 'quantity'>): string {
  const variant = [i.color, i.size ? `talla ${i.size}` : null].filter(Boolean).join(', ');
  return `${i.quantity > 1 ? `${i.quantity} × ` : ''}${i.name}${variant ? ` (${variant})` : ''}`;
}

function describeItems(order: Order): string {
  return order.items.map(describeItem).join(' + ');
}

function minutesLeft(order: Order, nowMs: number): number {
  return Math.max(1, Math.round((Date.parse(order.expires_at ?? '') - nowMs) / 60_000));
}

export function paymentLinkText(order: Order, ctx: MessageContext, nowMs: number): string {
  const intro = order.promoted ? `¡Buenas noticias${firstName(order.buyer.author_name)}! Se liberó` : `¡Hola${firstName(order.buyer.author_name)}! Te reservamos`;
  return (
    `${intro} ${describeItems(order)} por ${formatMoney(order.total, ctx)}. ` +
    `Paga aquí: ${order.payment!.url} — tu reserva dura ${minutesLeft(order, nowMs)} min (hasta las ${formatTime(order.expires_at!, ctx.country)}).`
  );
}

export function waitlistedText(order: Order): string {
  return (
    `¡Hola${firstName(order.buyer.author_name)}! ${describeItems(order)} se agotó por ahora 😢. ` +
    `Quedaste en la lista de espera: si se libera, te lo reservamos y te enviamos el link al tiro.`
  );
}

export function paidText(order: Order, ctx: MessageContext): string {
  return `¡Pago recibido${firstName(order.buyer.author_name)}! 🎉 Tu pedido de ${describeItems(order)} (${formatMoney(order.total, ctx)}) está confirmado. ${ctx.tiendaName} te contactará para el envío.`;
}

export function expiredText(order: Order): string {
  return `Tu reserva de ${describeItems(order)} venció porque no recibimos el pago a tiempo. Si aún lo quieres, vuelve a comentar en el live y te avisamos si queda.`;
}

export function cancelledText(order: Order): string {
  return `Listo${firstName(order.buyer.author_name)}, cancelamos tu pedido de ${describeItems(order)}. ¡Gracias por avisar!`;
}

export function paymentFailedText(order: Order): string {
  return `Tu pago de ${describeItems(order)} no se pudo completar, así que liberamos la reserva. Si quieres intentarlo de nuevo, comenta otra vez en el live.`;
}

export function orderFailedText(order: Order): string {
  return `Lo sentimos${firstName(order.buyer.author_name)}, no pudimos generar el link de pago para ${describeItems(order)}. La tienda ya está avisada y te contactará.`;
}

export function needsReviewText(order: Order): string {
  return `Recibimos tu pago de ${describeItems(order)}, pero necesitamos revisarlo. La tienda te escribirá muy pronto; no tienes que hacer nada más.`;
}

export function clarificationText(problem: ItemProblem, products: readonly CatalogProduct[], buyerName: string | null): string {
  const hi = `¡Hola${firstName(buyerName)}!`;
  switch (problem.kind) {
    case 'missing_dimension':
      return `${hi} ¿En qué ${problem.dimension === 'color' ? 'color' : 'talla'} quieres ${problem.product.name}? Tenemos: ${problem.values.join(', ')}. Responde con un comentario, por ejemplo "quiero ${problem.product.name.split(' ')[0]!.toLowerCase()} ${problem.values[0]}".`;
    case 'unknown_variant':
      return `${hi} ${problem.product.name} no viene en ${problem.value}. ${problem.dimension === 'color' ? 'Colores' : 'Tallas'} disponibles: ${problem.values.join(', ')}. ¿Cuál te reservamos?`;
    case 'variant_not_stocked':
      return `${hi} ${problem.product.name} ${[problem.color, problem.size ? `talla ${problem.size}` : null].filter(Boolean).join(' ')} no está en este live. ¿Te sirve otra variante?`;
    case 'unknown_product':
      return `${hi} No encontramos ese producto en este live. Hoy tenemos: ${products.map((p) => p.name).slice(0, 8).join(', ')}. ¿Cuál quieres?`;
  }
}

export function noOrderToCancelText(buyerName: string | null): string {
  return `¡Hola${firstName(buyerName)}! No encontramos un pedido tuyo pendiente de pago en este live, así que no hay nada que cancelar.`;
}

/** Answer to a price / stock / size question about one product, from the live's catalog and stock now. */
export function productAnswerText(product: CatalogProduct, left: Array<{ color: string | null; size: string | null; left: number }>, ctx: MessageContext, buyerName: string | null): string {
  const parts = [`¡Hola${firstName(buyerName)}! ${product.name} cuesta ${formatMoney(product.price, ctx)}.`];
  if (product.variants.color?.length) parts.push(`Colores: ${product.variants.color.join(', ')}.`);
  if (product.variants.size?.length) parts.push(`Tallas: ${product.variants.size.join(', ')}.`);
  const total = left.reduce((n, v) => n + v.left, 0);
  if (total === 0) parts.push('Por ahora está agotado, pero si comentas "quiero" quedas en la lista de espera.');
  else if (product.variant_stock) {
    const shown = left.slice(0, 6).map((v) => `${[v.color, v.size].filter(Boolean).join(' ')} (${v.left})`);
    parts.push(`Disponibles: ${shown.join(', ')}${left.length > 6 ? '…' : ''}. Comenta "quiero" + color y talla para reservar.`);
  } else parts.push(`Quedan ${total}. Comenta "quiero" para reservar.`);
  return parts.join(' ');
}

export function catalogOverviewText(products: readonly CatalogProduct[], ctx: MessageContext, buyerName: string | null): string {
  const list = products.slice(0, 8).map((p) => `${p.name} ${formatMoney(p.price, ctx)}`).join(' · ');
  return `¡Hola${firstName(buyerName)}! En este live tenemos: ${list}. Comenta "quiero" + producto, color y talla para reservar.`;
}
