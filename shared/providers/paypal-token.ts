import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { ProviderAuthError, ProviderUnavailableError } from './provider-errors.js';
import { commonStatusError, describeBody, joinUrl, providerFetch, type ProviderResponse } from './provider-http.js';

export interface PayPalCredentials {
  clientId: string;
  clientSecret: string;
}

/** Renew this long before PayPal's expiry so a token never expires in flight. */
const EXPIRY_MARGIN_MS = 60_000;

export interface PayPalTokens {
  /** A bearer token for these credentials: cached until shortly before `expires_in`; concurrent callers share one token call. */
  get(credentials: PayPalCredentials): Promise<string>;
  /**
   * `request` with a bearer token; on a 401 the token is dropped and `request` runs once more with a fresh one
   * (PayPal may revoke a token before it expires). A second 401 is the caller's to classify.
   */
  authorized(credentials: PayPalCredentials, request: (bearer: string) => Promise<ProviderResponse>): Promise<ProviderResponse>;
}

/**
 * PayPal's OAuth2 client-credentials tokens, for every PayPal client (the ingress's re-reads, the worker's Orders v2).
 * Cached per client id and secret hash, so a rotated secret never reuses a token minted with the old one. A 400, 401
 * or 403 from the token endpoint is `ProviderAuthError` (the caller re-reads the secret).
 */
export function createPayPalTokens(options: { baseUrl: string; timeoutMs: number; maxCached?: number; now?: () => number }): PayPalTokens {
  const cacheKey = (c: PayPalCredentials) => `${c.clientId}:${createHash('sha256').update(c.clientSecret).digest('hex')}`;
  const tokens = new LRUCache<string, string, PayPalCredentials>({
    max: Math.max(1, options.maxCached ?? 64),
    ttlAutopurge: false,
    ...(options.now ? { perf: { now: options.now }, ttlResolution: 0 } : {}),
    fetchMethod: async (_key, _stale, { context: c, options: entry }) => {
      const res = await providerFetch({
        provider: 'paypal',
        url: joinUrl(options.baseUrl, '/v1/oauth2/token'),
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
        timeoutMs: options.timeoutMs,
      });
      if (res.status === 400 || res.status === 401 || res.status === 403) {
        throw new ProviderAuthError(`PayPal refused the client credentials (${res.status}): ${oauthError(res)}`, { provider: 'paypal', providerStatus: res.status });
      }
      const common = commonStatusError('paypal', res, 'an access token');
      if (common) throw common;
      const body = res.json as { access_token?: unknown; expires_in?: unknown } | undefined;
      if (res.status !== 200 || typeof body?.access_token !== 'string' || body.access_token === '') {
        throw new ProviderUnavailableError(`PayPal token endpoint answered ${res.status} without a token`, { provider: 'paypal', providerStatus: res.status });
      }
      const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 300;
      entry.ttl = Math.max(1, expiresIn * 1000 - EXPIRY_MARGIN_MS);
      return body.access_token;
    },
  });

  const get = async (c: PayPalCredentials): Promise<string> => (await tokens.fetch(cacheKey(c), { context: c }))!;
  return {
    get,
    async authorized(c, request) {
      const res = await request(await get(c));
      if (res.status !== 401) return res;
      tokens.delete(cacheKey(c));
      return request(await get(c));
    },
  };
}

function oauthError(res: ProviderResponse): string {
  const body = res.json as { error?: unknown; error_description?: unknown } | undefined;
  return body && typeof body.error === 'string' ? `${body.error}: ${String(body.error_description)}` : describeBody(res);
}
