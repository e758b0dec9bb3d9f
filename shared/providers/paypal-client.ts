import { z } from 'zod';
import { MalformedPayloadError, MisconfigurationError, ProviderUnavailableError } from './provider-errors.js';
import { commonStatusError, describeBody, joinUrl, providerFetch } from './provider-http.js';
import { createPayPalTokens, type PayPalCredentials } from './paypal-token.js';

export type { PayPalCredentials } from './paypal-token.js';

const money = z.looseObject({ currency_code: z.string(), value: z.string() });

/** `GET /v2/payments/captures/{id}` — the fields we use; the rest passes through. */
export const payPalCaptureSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string().min(1),
  status_details: z.looseObject({ reason: z.string().nullish() }).nullish(),
  amount: money.nullish(),
  custom_id: z.string().nullish(),
  invoice_id: z.string().nullish(),
  supplementary_data: z.looseObject({ related_ids: z.looseObject({ order_id: z.string().nullish() }).nullish() }).nullish(),
});
export type PayPalCapture = z.infer<typeof payPalCaptureSchema>;

/** One `purchase_units[]` entry of an Orders v2 order — the fields we use. */
export const payPalPurchaseUnitSchema = z.looseObject({
  reference_id: z.string().nullish(),
  custom_id: z.string().nullish(),
  invoice_id: z.string().nullish(),
  amount: money.nullish(),
});

/** `GET /v2/checkout/orders/{id}` — the fields we use. */
export const payPalOrderSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string().min(1),
  purchase_units: z.array(payPalPurchaseUnitSchema).nullish(),
});
export type PayPalOrder = z.infer<typeof payPalOrderSchema>;

export interface PayPalClientOptions {
  /** Default `https://api-m.paypal.com` (sandbox `https://api-m.sandbox.paypal.com`). */
  baseUrl?: string;
  timeoutMs?: number;
  /** Used when a call passes none (single-merchant setups). Multi-tienda callers pass them per call. */
  credentials?: PayPalCredentials;
  /** Tokens are cached per client id; bound the cache. Default 64. */
  maxCachedTokens?: number;
  now?: () => Date;
}

export interface PayPalClient {
  getAccessToken(credentials?: PayPalCredentials): Promise<string>;
  /** Re-reads a capture: its state, not the webhook's, decides the event. */
  getCapture(captureId: string, credentials?: PayPalCredentials): Promise<PayPalCapture>;
  getOrder(orderId: string, credentials?: PayPalCredentials): Promise<PayPalOrder>;
}

const RESOURCE_ID = /^[A-Za-z0-9-]{1,64}$/;

/**
 * PayPal REST client: OAuth2 client-credentials token (cached until shortly before `expires_in`, concurrent
 * requests share one token call) and the two reads the ingress needs. A 401 on an API call with a cached token
 * drops the token and retries once with a fresh one (tokens can be revoked early); a second 401, a 403, or a
 * 401 from the token endpoint itself is `ProviderAuthError` — the caller refreshes the secret and retries.
 */
export function createPayPalClient(options: PayPalClientOptions = {}): PayPalClient {
  const baseUrl = options.baseUrl ?? 'https://api-m.paypal.com';
  const timeoutMs = options.timeoutMs ?? 5000;
  const now = options.now;
  const tokens = createPayPalTokens({ baseUrl, timeoutMs, ...(options.maxCachedTokens ? { maxCached: options.maxCachedTokens } : {}), ...(now ? { now: () => now().getTime() } : {}) });

  const resolveCredentials = (credentials?: PayPalCredentials): PayPalCredentials => {
    const c = credentials ?? options.credentials;
    if (!c?.clientId || !c.clientSecret) throw new MisconfigurationError('PayPal client credentials are not configured', { provider: 'paypal' });
    return c;
  };

  const get = async <T>(path: string, what: string, id: string, schema: z.ZodType<T>, credentials?: PayPalCredentials): Promise<T> => {
    if (!RESOURCE_ID.test(id)) {
      throw new MalformedPayloadError(`not a PayPal ${what} id: ${JSON.stringify(id.slice(0, 80))}`, { provider: 'paypal' });
    }
    const c = resolveCredentials(credentials);
    const res = await tokens.authorized(c, (bearer) =>
      providerFetch({ provider: 'paypal', url: joinUrl(baseUrl, `${path}/${encodeURIComponent(id)}`), headers: { authorization: `Bearer ${bearer}` }, timeoutMs }),
    );
    const common = commonStatusError('paypal', res, `${what} ${id}`, id);
    if (common) throw common;
    if (res.status !== 200) {
      throw new ProviderUnavailableError(`PayPal answered ${res.status} reading ${what} ${id}: ${describeBody(res)}`, {
        provider: 'paypal',
        providerStatus: res.status,
      });
    }
    const parsed = schema.safeParse(res.json);
    if (!parsed.success) {
      throw new ProviderUnavailableError(`PayPal ${what} ${id} answer has an unexpected shape`, { provider: 'paypal', providerStatus: 200 });
    }
    return parsed.data;
  };

  return {
    getAccessToken: (credentials) => tokens.get(resolveCredentials(credentials)),
    getCapture: (captureId, credentials) => get('/v2/payments/captures', 'capture', captureId, payPalCaptureSchema, credentials),
    getOrder: (orderId, credentials) => get('/v2/checkout/orders', 'order', orderId, payPalOrderSchema, credentials),
  };
}
