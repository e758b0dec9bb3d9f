import { z } from 'zod';
import { MalformedPayloadError, ProviderNotFoundError, ProviderUnavailableError } from './provider-errors.js';
import { commonStatusError, describeBody, joinUrl, providerFetch } from './provider-http.js';

/**
 * The part of `GET /v1/payments/{id}` we rely on. MP returns ~60 more fields (payer, card, fee_details…);
 * they pass through untouched (`loose`) for logging/analytics.
 */
export const mercadoPagoPaymentSchema = z.looseObject({
  id: z.union([z.number(), z.string().min(1)]),
  status: z.string().min(1),
  status_detail: z.string().nullish(),
  external_reference: z.string().nullish(),
  transaction_amount: z.number().nullish(),
  currency_id: z.string().nullish(),
  date_created: z.string().nullish(),
  date_last_updated: z.string().nullish(),
  live_mode: z.boolean().nullish(),
});
export type MercadoPagoPayment = z.infer<typeof mercadoPagoPaymentSchema>;

export interface MercadoPagoClientOptions {
  /** Default `https://api.mercadopago.com`; tests and demos point it at the fake. */
  baseUrl?: string;
  /** Per request. MP wants our webhook answer within 22 s; the re-read must fit well inside. Default 5000. */
  timeoutMs?: number;
}

export interface MercadoPagoClient {
  /** Re-reads a payment with the tienda's access token. Throws the typed provider errors. */
  getPayment(id: string, accessToken: string): Promise<MercadoPagoPayment>;
}

/** Payment ids are numeric today; allow the alphanumerics MP's signature rules mention, nothing path-like. */
const PAYMENT_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function createMercadoPagoClient(options: MercadoPagoClientOptions = {}): MercadoPagoClient {
  const baseUrl = options.baseUrl ?? 'https://api.mercadopago.com';
  const timeoutMs = options.timeoutMs ?? 5000;
  return {
    async getPayment(id, accessToken) {
      if (!PAYMENT_ID.test(id)) {
        throw new MalformedPayloadError(`not a Mercado Pago payment id: ${JSON.stringify(id.slice(0, 80))}`, {
          provider: 'mercadopago',
        });
      }
      const res = await providerFetch({
        provider: 'mercadopago',
        url: joinUrl(baseUrl, `/v1/payments/${encodeURIComponent(id)}`),
        headers: { authorization: `Bearer ${accessToken}` },
        timeoutMs,
      });
      const common = commonStatusError('mercadopago', res, `payment ${id}`, id);
      if (common) throw common;
      if (res.status === 400) {
        // MP answers 400 for ids it cannot parse as a payment id: for a signed notification it is the same
        // situation as an unknown payment (test notification / garbage id), not something a retry fixes soon.
        throw new ProviderNotFoundError(`mercadopago rejected payment id ${id}: ${describeBody(res)}`, {
          provider: 'mercadopago',
          resourceId: id,
        });
      }
      if (res.status !== 200) {
        throw new ProviderUnavailableError(`mercadopago answered ${res.status} reading payment ${id}`, {
          provider: 'mercadopago',
          providerStatus: res.status,
        });
      }
      const parsed = mercadoPagoPaymentSchema.safeParse(res.json);
      if (!parsed.success) {
        // A 200 that is not a payment is a proxy/maintenance page or an API change: retry rather than lose it.
        throw new ProviderUnavailableError(`mercadopago payment ${id} answer is not a payment object`, {
          provider: 'mercadopago',
          providerStatus: res.status,
        });
      }
      return parsed.data;
    },
  };
}
