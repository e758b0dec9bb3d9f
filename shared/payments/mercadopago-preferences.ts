import { z } from 'zod';
import { mercadoPagoPaymentSchema, type MercadoPagoPayment } from '../providers/mercadopago-client.js';
import { mercadoPagoPaymentToEvent } from '../providers/mercadopago-payment.js';
import { ProviderUnavailableError } from '../providers/provider-errors.js';
import { commonStatusError, describeBody, joinUrl, providerFetch, type ProviderResponse } from '../providers/provider-http.js';
import { PaymentLinkRefusedError } from './payment-errors.js';
import type { PaymentLink, PaymentLinkRequest, PaymentLookup } from './payment-types.js';
import { NO_PAYMENT, lookupFromOutcome, type ProviderEndpoint } from './provider-call.js';

/**
 * Mercado Pago Checkout Pro over plain fetch (the official `mercadopago` SDK hard-codes
 * `https://api.mercadopago.com` as a static constant, so it could not reach the test fake or a sandbox proxy, and
 * it retries 5xx on its own, under our retry schedule).
 */

const preferenceAnswerSchema = z.looseObject({ id: z.string().min(1), init_point: z.url() });

/** MP's own examples write `2026-11-29T10:34:58.000-04:00`; UTC with an explicit offset is the same instant. */
export function mercadoPagoDate(date: Date): string {
  return date.toISOString().replace('Z', '+00:00');
}

/** The `POST /checkout/preferences` body for an order. `unitPrices` are already in MP's format for the currency. */
export function mercadoPagoPreferenceBody(request: PaymentLinkRequest, unitPrices: number[], now: Date): Record<string, unknown> {
  const returnUrl = request.returnUrl;
  return {
    items: request.items.map((item, i) => ({
      id: item.code,
      title: item.title.slice(0, 256),
      quantity: item.quantity,
      unit_price: unitPrices[i],
      currency_id: request.currency,
    })),
    external_reference: request.orderId,
    // `source_news=webhooks`: MP then sends Webhooks (signed) only, not the legacy unsigned IPN as well.
    notification_url: `${request.notificationUrl}${request.notificationUrl.includes('?') ? '&' : '?'}source_news=webhooks`,
    // The link dies with the reservation; `date_of_expiration` also bounds cash / transfer tickets, which could
    // otherwise be paid days after the stock went back on sale.
    expires: true,
    expiration_date_from: mercadoPagoDate(now),
    expiration_date_to: mercadoPagoDate(request.expiresAt),
    date_of_expiration: mercadoPagoDate(request.expiresAt),
    ...(request.buyerName ? { payer: { name: request.buyerName.slice(0, 256) } } : {}),
    ...(returnUrl ? { back_urls: { success: returnUrl, pending: returnUrl, failure: returnUrl }, auto_return: 'approved' } : {}),
    metadata: { order_id: request.orderId, tienda_id: request.tiendaId },
  };
}

export async function createMercadoPagoPreference(
  endpoint: ProviderEndpoint,
  accessToken: string,
  request: PaymentLinkRequest,
  unitPrices: number[],
  now: Date,
): Promise<PaymentLink> {
  const res = await providerFetch({
    provider: 'mercadopago',
    url: joinUrl(endpoint.baseUrl, '/checkout/preferences'),
    method: 'POST',
    headers: {
      authorization: `Bearer ${accessToken}`,
      'content-type': 'application/json',
      // Same order → same preference: MP answers a repeated key with the preference it already made.
      'x-idempotency-key': request.orderId,
    },
    body: JSON.stringify(mercadoPagoPreferenceBody(request, unitPrices, now)),
    timeoutMs: endpoint.timeoutMs,
  });
  const common = commonStatusError('mercadopago', res, 'a new preference');
  if (common) throw common;
  if (res.status === 400 || res.status === 422) {
    throw new PaymentLinkRefusedError('mercadopago', 'validation_failed', `mercadopago refused the preference: ${mpErrorText(res)}`, {
      providerStatus: res.status,
    });
  }
  const parsed = preferenceAnswerSchema.safeParse(res.json);
  if ((res.status !== 200 && res.status !== 201) || !parsed.success) {
    throw new ProviderUnavailableError(`mercadopago answered ${res.status} without a preference: ${describeBody(res)}`, {
      provider: 'mercadopago',
      providerStatus: res.status,
    });
  }
  return { provider: 'mercadopago', url: parsed.data.init_point, providerRef: parsed.data.id, expiresAt: request.expiresAt };
}

const searchAnswerSchema = z.looseObject({ results: z.array(z.unknown()) });

/** Pending-ish states: the buyer is still paying (a ticket, a review), so the order is not failed yet. */
const IN_FLIGHT = new Set(['pending', 'in_process', 'authorized', 'in_mediation']);

/**
 * `GET /v1/payments/search?external_reference=<order id>`: every payment attempt on the order's preference. A
 * preference can carry several (a rejected card, then an approved one), so the answer is the best state
 * reached: approved, else one still in flight, else the latest failure. Its key is the one the ingress builds
 * from the same payment (`mercadopago:<payment id>:<status>`).
 */
export async function findMercadoPagoPayment(
  endpoint: ProviderEndpoint,
  accessToken: string,
  tiendaId: string,
  orderId: string,
): Promise<PaymentLookup> {
  const query = new URLSearchParams({ external_reference: orderId, sort: 'date_created', criteria: 'desc', limit: '50' });
  const res = await providerFetch({
    provider: 'mercadopago',
    url: `${joinUrl(endpoint.baseUrl, '/v1/payments/search')}?${query.toString()}`,
    headers: { authorization: `Bearer ${accessToken}` },
    timeoutMs: endpoint.timeoutMs,
  });
  const common = commonStatusError('mercadopago', res, `payments of order ${orderId}`);
  if (common) throw common;
  const parsed = searchAnswerSchema.safeParse(res.json);
  if (res.status !== 200 || !parsed.success) {
    throw new ProviderUnavailableError(`mercadopago answered ${res.status} to a payment search: ${describeBody(res)}`, {
      provider: 'mercadopago',
      providerStatus: res.status,
    });
  }
  const payments = parsed.data.results
    .map((r) => mercadoPagoPaymentSchema.safeParse(r))
    .filter((r) => r.success)
    .map((r) => r.data as MercadoPagoPayment)
    .filter((p) => p.external_reference === orderId)
    .sort((a, b) => Date.parse(b.date_created ?? '') - Date.parse(a.date_created ?? '') || 0);
  const chosen = payments.find((p) => p.status === 'approved') ?? payments.find((p) => IN_FLIGHT.has(p.status)) ?? payments[0];
  return chosen ? lookupFromOutcome(mercadoPagoPaymentToEvent(chosen, tiendaId)) : NO_PAYMENT;
}

function mpErrorText(res: ProviderResponse): string {
  const body = res.json as { message?: unknown; error?: unknown } | undefined;
  return body && typeof body.message === 'string' ? `${String(body.error)}: ${body.message}` : describeBody(res);
}
