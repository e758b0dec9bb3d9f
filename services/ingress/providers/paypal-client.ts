import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  MalformedPayloadError,
  MisconfigurationError,
  ProviderAuthError,
  ProviderUnavailableError,
} from './provider-errors.js';
import { commonStatusError, describeBody, joinUrl, providerFetch, type ProviderResponse } from './provider-http.js';

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

/** `GET /v2/checkout/orders/{id}` — the fields we use. */
export const payPalOrderSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string().min(1),
  purchase_units: z
    .array(
      z.looseObject({
        reference_id: z.string().nullish(),
        custom_id: z.string().nullish(),
        invoice_id: z.string().nullish(),
        amount: money.nullish(),
      }),
    )
    .nullish(),
});
export type PayPalOrder = z.infer<typeof payPalOrderSchema>;

export interface PayPalCredentials {
  clientId: string;
  clientSecret: string;
}

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

/** Renew this long before PayPal's expiry so a token never expires in flight. */
const EXPIRY_MARGIN_MS = 60_000;
const RESOURCE_ID = /^[A-Za-z0-9-]{1,64}$/;

interface CachedToken {
  token: string;
  expiresAt: number;
}

/**
 * PayPal REST client: OAuth2 client-credentials token (cached until shortly before `expires_in`, concurrent
 * requests share one token call) and the two reads the ingress needs. A 401 on an API call with a cached token
 * drops the token and retries once with a fresh one (tokens can be revoked early); a second 401, a 403, or a
 * 401 from the token endpoint itself is `ProviderAuthError` — the caller refreshes the secret and retries.
 */
export function createPayPalClient(options: PayPalClientOptions = {}): PayPalClient {
  const baseUrl = options.baseUrl ?? 'https://api-m.paypal.com';
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxTokens = Math.max(1, options.maxCachedTokens ?? 64);
  const now = options.now ?? (() => new Date());
  const tokens = new Map<string, CachedToken>();
  const pendingTokens = new Map<string, Promise<CachedToken>>();

  const resolveCredentials = (credentials?: PayPalCredentials): PayPalCredentials => {
    const c = credentials ?? options.credentials;
    if (!c?.clientId || !c.clientSecret) throw new MisconfigurationError('PayPal client credentials are not configured', { provider: 'paypal' });
    return c;
  };
  // Keyed on the secret too, so a rotated secret never reuses a token minted with the old one.
  const cacheKey = (c: PayPalCredentials) => `${c.clientId}:${createHash('sha256').update(c.clientSecret).digest('hex')}`;

  const fetchToken = async (c: PayPalCredentials): Promise<CachedToken> => {
    const res = await providerFetch({
      provider: 'paypal',
      url: joinUrl(baseUrl, '/v1/oauth2/token'),
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
      timeoutMs,
    });
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      throw new ProviderAuthError(`PayPal refused the client credentials (${res.status}): ${oauthError(res)}`, {
        provider: 'paypal',
        providerStatus: res.status,
      });
    }
    const common = commonStatusError('paypal', res, 'an access token');
    if (common) throw common;
    const body = res.json as { access_token?: unknown; expires_in?: unknown } | undefined;
    if (res.status !== 200 || typeof body?.access_token !== 'string' || body.access_token === '') {
      throw new ProviderUnavailableError(`PayPal token endpoint answered ${res.status} without a token`, {
        provider: 'paypal',
        providerStatus: res.status,
      });
    }
    const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 300;
    return { token: body.access_token, expiresAt: now().getTime() + Math.max(0, expiresIn * 1000 - EXPIRY_MARGIN_MS) };
  };

  const token = async (c: PayPalCredentials): Promise<string> => {
    const key = cacheKey(c);
    const cached = tokens.get(key);
    if (cached && cached.expiresAt > now().getTime()) return cached.token;
    let pending = pendingTokens.get(key);
    if (!pending) {
      pending = fetchToken(c).finally(() => pendingTokens.delete(key));
      pendingTokens.set(key, pending);
    }
    const fresh = await pending;
    tokens.delete(key);
    if (tokens.size >= maxTokens) {
      const oldest = tokens.keys().next().value;
      if (oldest !== undefined) tokens.delete(oldest);
    }
    tokens.set(key, fresh);
    return fresh.token;
  };

  const get = async <T>(path: string, what: string, id: string, schema: z.ZodType<T>, credentials?: PayPalCredentials): Promise<T> => {
    if (!RESOURCE_ID.test(id)) {
      throw new MalformedPayloadError(`not a PayPal ${what} id: ${JSON.stringify(id.slice(0, 80))}`, { provider: 'paypal' });
    }
    const c = resolveCredentials(credentials);
    const call = async () =>
      providerFetch({
        provider: 'paypal',
        url: joinUrl(baseUrl, `${path}/${encodeURIComponent(id)}`),
        headers: { authorization: `Bearer ${await token(c)}` },
        timeoutMs,
      });
    let res = await call();
    if (res.status === 401) {
      tokens.delete(cacheKey(c));
      res = await call();
    }
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
    getAccessToken: (credentials) => token(resolveCredentials(credentials)),
    getCapture: (captureId, credentials) => get('/v2/payments/captures', 'capture', captureId, payPalCaptureSchema, credentials),
    getOrder: (orderId, credentials) => get('/v2/checkout/orders', 'order', orderId, payPalOrderSchema, credentials),
  };
}

function oauthError(res: ProviderResponse): string {
  const body = res.json as { error?: unknown; error_description?: unknown } | undefined;
  return body && typeof body.error === 'string' ? `${body.error}: ${String(body.error_description)}` : describeBody(res);
}
