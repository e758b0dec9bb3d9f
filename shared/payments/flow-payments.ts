import { z } from 'zod';
import { flowPaymentStatusSchema } from '../providers/flow-client.js';
import { flowPaymentToEvent } from '../providers/flow-payment.js';
import { signFlowParams } from '../providers/flow-signature.js';
import { ProviderAuthError, ProviderUnavailableError } from '../providers/provider-errors.js';
import { commonStatusError, describeBody, joinUrl, providerFetch, type ProviderResponse } from '../providers/provider-http.js';
import { PaymentLinkRefusedError } from './payment-errors.js';
import type { PaymentLink, PaymentLinkRequest, PaymentLookup } from './payment-types.js';
import { NO_PAYMENT, lookupFromOutcome, type ProviderEndpoint } from './provider-call.js';

export interface FlowKeys {
  apiKey: string;
  secretKey: string;
}

const createAnswerSchema = z.looseObject({
  url: z.url(),
  token: z.string().min(1),
  flowOrder: z.union([z.number(), z.string()]).optional(),
});

/** Flow's "this commerceOrder has been previously paid" (see tests/fakes/flow-fake.ts for the assumed codes). */
const FLOW_ALREADY_PAID = 1605;

/** A short description of the order for Flow's `subject` ("Polera roja M x1, Gorro x2"). */
export function flowSubject(request: PaymentLinkRequest): string {
  const text = request.items.map((i) => `${i.title} x${i.quantity}`).join(', ');
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/**
 * Signed `POST /payment/create` (form-encoded). `timeout` is the seconds left on the reservation: Flow expires
 * the order itself then ("si no se envía … estará vigente para pago por tiempo indefinido").
 */
export async function createFlowPayment(
  endpoint: ProviderEndpoint,
  keys: FlowKeys,
  request: PaymentLinkRequest,
  fields: { amount: string; email: string; urlReturn: string; timeoutSeconds: number },
): Promise<PaymentLink> {
  const params: Record<string, string> = {
    apiKey: keys.apiKey,
    commerceOrder: request.orderId,
    subject: flowSubject(request),
    currency: request.currency,
    amount: fields.amount,
    email: fields.email,
    urlConfirmation: request.notificationUrl,
    urlReturn: fields.urlReturn,
    timeout: String(fields.timeoutSeconds),
    optional: JSON.stringify({ order_id: request.orderId, tienda_id: request.tiendaId }),
  };
  const body = new URLSearchParams({ ...params, s: signFlowParams(params, keys.secretKey) });
  const res = await providerFetch({
    provider: 'flow',
    url: joinUrl(endpoint.baseUrl, '/payment/create'),
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: body.toString(),
    timeoutMs: endpoint.timeoutMs,
  });
  throwFlowAuth(res);
  const common = commonStatusError('flow', res, 'a new payment');
  if (common) throw common;
  if (res.status === 400) {
    const code = flowErrorCode(res);
    throw new PaymentLinkRefusedError('flow', code === FLOW_ALREADY_PAID ? 'already_paid' : 'validation_failed', `flow refused the payment: ${flowErrorText(res)}`, {
      providerStatus: 400,
    });
  }
  const parsed = createAnswerSchema.safeParse(res.json);
  if (res.status !== 200 || !parsed.success) {
    throw new ProviderUnavailableError(`flow answered ${res.status} without a payment: ${describeBody(res)}`, { provider: 'flow', providerStatus: res.status });
  }
  return {
    provider: 'flow',
    url: `${parsed.data.url}?token=${encodeURIComponent(parsed.data.token)}`,
    providerRef: parsed.data.token,
    expiresAt: request.expiresAt,
  };
}

/**
 * Signed `GET /payment/getStatusByCommerceId?apiKey&commerceId&s` (parameter name from Flow's own PHP client).
 * Flow answers 400 for a commerce order it has no payment for → `none`. The key is the one the ingress builds
 * from the confirmation (`flow:<flowOrder>:<status>`), so a late confirmation is a duplicate.
 */
export async function findFlowPayment(endpoint: ProviderEndpoint, keys: FlowKeys, tiendaId: string, orderId: string): Promise<PaymentLookup> {
  const params = { apiKey: keys.apiKey, commerceId: orderId };
  const query = new URLSearchParams({ ...params, s: signFlowParams(params, keys.secretKey) });
  const res = await providerFetch({
    provider: 'flow',
    url: `${joinUrl(endpoint.baseUrl, '/payment/getStatusByCommerceId')}?${query.toString()}`,
    timeoutMs: endpoint.timeoutMs,
  });
  throwFlowAuth(res);
  if (res.status === 400 || res.status === 404) return NO_PAYMENT;
  const common = commonStatusError('flow', res, `payment of order ${orderId}`);
  if (common) throw common;
  const parsed = flowPaymentStatusSchema.safeParse(res.json);
  if (res.status !== 200 || !parsed.success) {
    throw new ProviderUnavailableError(`flow answered ${res.status} to getStatusByCommerceId: ${describeBody(res)}`, { provider: 'flow', providerStatus: res.status });
  }
  return lookupFromOutcome(flowPaymentToEvent(parsed.data, tiendaId));
}

/** Flow answers 401 for an unknown apiKey or a bad signature: both are our credentials (refresh, then refuse). */
function throwFlowAuth(res: ProviderResponse): void {
  if (res.status === 401 || res.status === 403) {
    throw new ProviderAuthError(`flow rejected our credentials (${res.status}: ${flowErrorText(res)})`, { provider: 'flow', providerStatus: res.status });
  }
}

function flowErrorCode(res: ProviderResponse): number | undefined {
  const code = (res.json as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : typeof code === 'string' && /^\d+$/.test(code) ? Number(code) : undefined;
}

function flowErrorText(res: ProviderResponse): string {
  const body = res.json as { code?: unknown; message?: unknown } | undefined;
  return body && 'code' in body ? `code ${String(body.code)}: ${String(body.message)}` : describeBody(res);
}
