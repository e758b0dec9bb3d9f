import { z } from 'zod';
import { payPalCaptureSchema, payPalOrderSchema, payPalPurchaseUnitSchema, type PayPalCredentials } from '../providers/paypal-client.js';
import { MalformedPayloadError, MisconfigurationError, ProviderUnavailableError } from '../providers/provider-errors.js';
import { commonStatusError, describeBody, joinUrl, providerFetch, type ProviderResponse } from '../providers/provider-http.js';
import { createPayPalTokens } from '../providers/paypal-token.js';
import { PaymentLinkRefusedError, PaymentProviderRefusedError } from './payment-errors.js';
import type { ProviderEndpoint } from './provider-call.js';

/** An Orders v2 order as GET / capture return it; captures sit under `purchase_units[].payments.captures`. */
export const payPalCheckoutOrderSchema = payPalOrderSchema.extend({
  purchase_units: z.array(payPalPurchaseUnitSchema.extend({ payments: z.looseObject({ captures: z.array(payPalCaptureSchema).nullish() }).nullish() })).nullish(),
  links: z.array(z.looseObject({ href: z.string(), rel: z.string() })).nullish(),
});
export type PayPalCheckoutOrder = z.infer<typeof payPalCheckoutOrderSchema>;

/** What `POST /v2/checkout/orders` sends, built by payment-links from the request. */
export type PayPalCreateOrderBody = Record<string, unknown>;

export interface PayPalOrdersClient {
  createOrder(body: PayPalCreateOrderBody, requestId: string, credentials: PayPalCredentials): Promise<PayPalCheckoutOrder>;
  getOrder(orderId: string, credentials: PayPalCredentials): Promise<PayPalCheckoutOrder>;
  /**
   * Captures an approved order. Idempotent: the same `requestId` replays PayPal's first answer, and an order
   * already captured (ORDER_ALREADY_CAPTURED) is re-read and returned. An order not approved yet is returned
   * as it stands (nothing to capture). Other refusals → PaymentProviderRefusedError('capture_refused').
   */
  captureOrder(orderId: string, requestId: string, credentials: PayPalCredentials): Promise<PayPalCheckoutOrder>;
}

const ORDER_ID = /^[A-Za-z0-9-]{1,64}$/;

/**
 * PayPal Orders v2 for link creation and capture, on the shared token source (shared/providers/paypal-token.ts):
 * a 401 drops the token and retries once; a 401 from the token endpoint itself is ProviderAuthError — the caller
 * re-reads the secret once.
 */
export function createPayPalOrdersClient(endpoint: ProviderEndpoint, options: { now?: () => number } = {}): PayPalOrdersClient {
  const tokens = createPayPalTokens({ baseUrl: endpoint.baseUrl, timeoutMs: endpoint.timeoutMs, ...(options.now ? { now: options.now } : {}) });

  const call = async (c: PayPalCredentials, path: string, init: { method?: string; headers?: Record<string, string>; body?: string }): Promise<ProviderResponse> => {
    if (!c.clientId || !c.clientSecret) throw new MisconfigurationError('PayPal client credentials are empty', { provider: 'paypal' });
    return tokens.authorized(c, (bearer) =>
      providerFetch({
        provider: 'paypal',
        url: joinUrl(endpoint.baseUrl, path),
        ...(init.method ? { method: init.method } : {}),
        headers: { authorization: `Bearer ${bearer}`, ...init.headers },
        ...(init.body === undefined ? {} : { body: init.body }),
        timeoutMs: endpoint.timeoutMs,
      }),
    );
  };

  const parseOrder = (res: ProviderResponse, what: string): PayPalCheckoutOrder => {
    const parsed = payPalCheckoutOrderSchema.safeParse(res.json);
    if (!parsed.success) {
      throw new ProviderUnavailableError(`PayPal answered ${res.status} to ${what} without an order: ${describeBody(res)}`, { provider: 'paypal', providerStatus: res.status });
    }
    return parsed.data;
  };

  const checkId = (orderId: string) => {
    if (!ORDER_ID.test(orderId)) throw new MalformedPayloadError(`not a PayPal order id: ${JSON.stringify(orderId.slice(0, 80))}`, { provider: 'paypal' });
  };

  const getOrder: PayPalOrdersClient['getOrder'] = async (orderId, c) => {
    checkId(orderId);
    const res = await call(c, `/v2/checkout/orders/${encodeURIComponent(orderId)}`, {});
    const common = commonStatusError('paypal', res, `order ${orderId}`, orderId);
    if (common) throw common;
    if (res.status !== 200) throw new ProviderUnavailableError(`PayPal answered ${res.status} reading order ${orderId}`, { provider: 'paypal', providerStatus: res.status });
    return parseOrder(res, `order ${orderId}`);
  };

  return {
    async createOrder(body, requestId, c) {
      const res = await call(c, '/v2/checkout/orders', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'paypal-request-id': requestId },
        body: JSON.stringify(body),
      });
      const common = commonStatusError('paypal', res, 'a new order');
      if (common) throw common;
      if (res.status === 400 || res.status === 422) {
        const issue = payPalIssue(res);
        const code = issue === 'CURRENCY_NOT_SUPPORTED' ? 'currency_not_supported' : /AMOUNT|DECIMAL|ITEM_TOTAL|TOTAL_MISMATCH/.test(issue ?? '') ? 'invalid_amount' : 'validation_failed';
        throw new PaymentLinkRefusedError('paypal', code, `PayPal refused the order (${res.status} ${issue ?? ''}): ${describeBody(res)}`, { providerStatus: res.status });
      }
      if (res.status !== 200 && res.status !== 201) {
        throw new ProviderUnavailableError(`PayPal answered ${res.status} creating an order`, { provider: 'paypal', providerStatus: res.status });
      }
      return parseOrder(res, 'order creation');
    },
    getOrder,
    async captureOrder(orderId, requestId, c) {
      checkId(orderId);
      const res = await call(c, `/v2/checkout/orders/${encodeURIComponent(orderId)}/capture`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'paypal-request-id': requestId },
      });
      const common = commonStatusError('paypal', res, `capture of order ${orderId}`, orderId);
      if (common) throw common;
      if (res.status === 200 || res.status === 201) return parseOrder(res, `capture of order ${orderId}`);
      if (res.status === 422) {
        const issue = payPalIssue(res);
        // Captured already (an earlier capture whose answer we lost, or the other path got there first), or
        // not approved yet: the order as it stands says what happened.
        if (issue === 'ORDER_ALREADY_CAPTURED' || issue === 'ORDER_NOT_APPROVED') return getOrder(orderId, c);
        throw new PaymentProviderRefusedError('paypal', 'capture_refused', `PayPal refused to capture order ${orderId}: ${issue ?? describeBody(res)}`, { providerStatus: 422 });
      }
      throw new PaymentProviderRefusedError('paypal', 'capture_refused', `PayPal answered ${res.status} capturing order ${orderId}: ${describeBody(res)}`, {
        providerStatus: res.status,
      });
    },
  };
}

/** `details[0].issue` of a PayPal error body (INSTRUMENT_DECLINED, ORDER_ALREADY_CAPTURED, …). */
function payPalIssue(res: ProviderResponse): string | undefined {
  const details = (res.json as { details?: Array<{ issue?: unknown }> } | undefined)?.details;
  const issue = Array.isArray(details) ? details[0]?.issue : undefined;
  return typeof issue === 'string' ? issue : undefined;
}

/** The buyer's link of a created order: `payer-action` (experience_context), else the legacy `approve`. */
export function payPalPayerLink(order: PayPalCheckoutOrder): string | undefined {
  const links = order.links ?? [];
  return (links.find((l) => l.rel === 'payer-action') ?? links.find((l) => l.rel === 'approve'))?.href;
}
