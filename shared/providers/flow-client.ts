import { z } from 'zod';
import { MalformedPayloadError, ProviderAuthError, ProviderNotFoundError, ProviderUnavailableError } from './provider-errors.js';
import { commonStatusError, describeBody, joinUrl, providerFetch, type ProviderResponse } from './provider-http.js';
import { signFlowParams } from './flow-signature.js';

/** `payment/getStatus` answer (PaymentStatus in Flow's OpenAPI); extra fields pass through. */
export const flowPaymentStatusSchema = z.looseObject({
  flowOrder: z.union([z.number(), z.string().min(1)]),
  commerceOrder: z.string().nullish(),
  requestDate: z.string().nullish(),
  /** 1 pending, 2 paid, 3 rejected, 4 cancelled. Integer in the spec; tolerate a numeric string. */
  status: z.union([z.number(), z.string()]),
  subject: z.string().nullish(),
  currency: z.string().nullish(),
  amount: z.union([z.number(), z.string()]).nullish(),
  payer: z.string().nullish(),
});
export type FlowPaymentStatus = z.infer<typeof flowPaymentStatusSchema>;

export interface FlowCredentials {
  apiKey: string;
  secretKey: string;
}

export interface FlowClientOptions {
  /** Default `https://www.flow.cl/api` (sandbox: `https://sandbox.flow.cl/api`). */
  baseUrl?: string;
  /** Per request. Flow wants the confirmation answered in < 15 s. Default 5000. */
  timeoutMs?: number;
}

export interface FlowClient {
  /** `GET /payment/getStatus?apiKey&token&s` — the only trustworthy source: the confirmation POST is unsigned. */
  getStatus(token: string, credentials: FlowCredentials): Promise<FlowPaymentStatus>;
}

/** Flow tokens are 40-char hex-like strings; allow a little more, nothing that could alter the query. */
const TOKEN = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Flow error answers are JSON `{code, message}` with HTTP 400 ("error del Api") or 401 ("error interno de
 * negocio") per Flow's OpenAPI. Mapping:
 * - 401/403 → ProviderAuthError (bad apiKey or signature — ours to fix, refresh secret and retry).
 * - 400 / 404 → ProviderNotFoundError: on getStatus the token is the only input we do not control, so a
 *   rejected request means Flow does not know the token. Flow's numeric codes are not published; the
 *   `code` is kept in the message for the logs rather than relied upon.
 * - 429 / 5xx / timeouts → ProviderUnavailableError.
 */
export function createFlowClient(options: FlowClientOptions = {}): FlowClient {
  const baseUrl = options.baseUrl ?? 'https://www.flow.cl/api';
  const timeoutMs = options.timeoutMs ?? 5000;
  return {
    async getStatus(token, credentials) {
      if (!TOKEN.test(token)) {
        throw new MalformedPayloadError(`not a Flow token: ${JSON.stringify(token.slice(0, 80))}`, { provider: 'flow' });
      }
      const params = { apiKey: credentials.apiKey, token };
      const query = new URLSearchParams({ ...params, s: signFlowParams(params, credentials.secretKey) });
      const res = await providerFetch({
        provider: 'flow',
        url: `${joinUrl(baseUrl, '/payment/getStatus')}?${query.toString()}`,
        timeoutMs,
      });
      if (res.status === 400) {
        throw new ProviderNotFoundError(`flow rejected token (${flowErrorText(res)})`, { provider: 'flow', resourceId: token });
      }
      if (res.status === 401 || res.status === 403) {
        throw new ProviderAuthError(`flow rejected our credentials (${res.status}: ${flowErrorText(res)})`, {
          provider: 'flow',
          providerStatus: res.status,
        });
      }
      const common = commonStatusError('flow', res, 'payment status', token);
      if (common) throw common;
      if (res.status !== 200) {
        throw new ProviderUnavailableError(`flow answered ${res.status} to getStatus`, { provider: 'flow', providerStatus: res.status });
      }
      const parsed = flowPaymentStatusSchema.safeParse(res.json);
      if (!parsed.success) {
        throw new ProviderUnavailableError('flow getStatus answer is not a PaymentStatus', { provider: 'flow', providerStatus: 200 });
      }
      return parsed.data;
    },
  };
}

function flowErrorText(res: ProviderResponse): string {
  const body = res.json;
  if (typeof body === 'object' && body !== null && 'code' in body) {
    const { code, message } = body as { code?: unknown; message?: unknown };
    return `code ${String(code)}: ${String(message)}`;
  }
  return describeBody(res);
}
