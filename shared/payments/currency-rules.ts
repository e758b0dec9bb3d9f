import type { PaymentProvider } from '../events/event-schemas.js';

/**
 * Which currencies each provider can charge, and with how many decimals it wants the amount. One table, used
 * by `npm run tienda -- add` (a tienda whose provider cannot charge its currency is refused) and by link
 * creation (amounts in the provider's format).
 *
 * - Mercado Pago: the currency of the seller's site (ARS, BRL, CLP, COP, MXN, PEN, UYU). CLP and COP take
 *   integer prices only (MP answers "Prices in COP currency must be expressed with integer values").
 * - Flow: a Chilean gateway; `currency` defaults to CLP and the API documents nothing else for `payment/create`
 *   (Flow now also operates in Peru and Mexico under byflow.com, with no API currency list published — not
 *   offered here until it is confirmed).
 * - PayPal: its REST currency list (developer.paypal.com "Currency codes"). CLP is not on it. HUF, JPY and TWD
 *   "do not support decimals. Decimal amounts cause an error." BRL and MYR are in-country accounts only.
 */
export const PROVIDER_CURRENCIES: Record<PaymentProvider, Readonly<Record<string, number>>> = {
  mercadopago: { ARS: 2, BRL: 2, CLP: 0, COP: 0, MXN: 2, PEN: 2, UYU: 2 },
  flow: { CLP: 0 },
  paypal: {
    AUD: 2, BRL: 2, CAD: 2, CHF: 2, CNY: 2, CZK: 2, DKK: 2, EUR: 2, GBP: 2, HKD: 2, HUF: 0, ILS: 2, JPY: 0,
    MXN: 2, MYR: 2, NOK: 2, NZD: 2, PHP: 2, PLN: 2, SEK: 2, SGD: 2, THB: 2, TWD: 0, USD: 2,
  },
};

const PROVIDER_LABEL: Record<PaymentProvider, string> = { mercadopago: 'Mercado Pago', flow: 'Flow', paypal: 'PayPal' };

/** Decimals the provider accepts for `currency`, or undefined when it cannot charge that currency at all. */
export function providerDecimals(provider: PaymentProvider, currency: string): number | undefined {
  return PROVIDER_CURRENCIES[provider][currency];
}

/**
 * Why `provider` cannot charge `currency`, as a sentence for a person (the CLI prints it), or null when it can.
 * Names the providers that can, so the fix is obvious.
 */
export function currencyRefusal(provider: PaymentProvider, currency: string): string | null {
  if (providerDecimals(provider, currency) !== undefined) return null;
  const others = (Object.keys(PROVIDER_CURRENCIES) as PaymentProvider[]).filter((p) => providerDecimals(p, currency) !== undefined);
  const alternative = others.length > 0 ? `${currency} can be charged with ${others.map((p) => PROVIDER_LABEL[p]).join(' or ')}` : `no supported provider charges ${currency}`;
  return `${PROVIDER_LABEL[provider]} cannot charge ${currency}: ${alternative}; ${PROVIDER_LABEL[provider]} takes ${Object.keys(PROVIDER_CURRENCIES[provider]).join(', ')}`;
}

/**
 * `amount` as the provider's decimal string for `currency` ("15990", "12.50"), or null when the amount cannot be
 * charged as it is: not finite, not positive, or with more decimals than the currency has (never rounded — a
 * price the merchant did not set is not ours to invent).
 */
export function formatProviderAmount(provider: PaymentProvider, currency: string, amount: number): string | null {
  const decimals = providerDecimals(provider, currency);
  if (decimals === undefined || !Number.isFinite(amount) || amount <= 0) return null;
  const text = amount.toFixed(decimals);
  // Compare in minor units so binary fractions (0.1 + 0.2) do not count as an extra decimal.
  const factor = 10 ** decimals;
  if (Math.abs(Math.round(amount * factor) - amount * factor) > 1e-6) return null;
  return text;
}
