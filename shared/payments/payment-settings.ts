import { duration, optionalStr, urlWithDefault, type SettingSpec } from '../config/define-config.js';
import { z } from 'zod';

/**
 * Settings of a service that makes payment links (the worker): spread into its config schema. The provider URLs
 * and the timeout use the ingress's variable names, so one environment configures both services alike.
 */
export const paymentLinkSettings = {
  mercadopagoApiUrl: { env: 'MERCADOPAGO_API_URL', doc: 'Mercado Pago API base URL.', schema: urlWithDefault('https://api.mercadopago.com') },
  flowApiUrl: { env: 'FLOW_API_URL', doc: 'Flow API base URL (sandbox: https://sandbox.flow.cl/api).', schema: urlWithDefault('https://www.flow.cl/api') },
  paypalApiUrl: { env: 'PAYPAL_API_URL', doc: 'PayPal REST API base URL (sandbox: https://api-m.sandbox.paypal.com).', schema: urlWithDefault('https://api-m.paypal.com') },
  providerTimeout: { env: 'PROVIDER_TIMEOUT', doc: 'Timeout of each call to a payment provider API.', schema: duration('8s') },
  ingressPublicUrl: {
    env: 'INGRESS_PUBLIC_URL',
    doc: 'Public base URL of the ingress: providers notify `<url>/webhooks/<provider>/<tienda_id>`.',
    schema: z.url().optional(),
  },
  paymentReturnUrl: {
    env: 'PAYMENT_RETURN_URL',
    doc: 'Where the provider sends the buyer after paying. Required for Flow and PayPal tiendas (their links are refused without it).',
    schema: z.url().optional(),
  },
  flowPayerEmail: {
    env: 'FLOW_PAYER_EMAIL',
    doc: 'Payer email sent to Flow (required by `payment/create`; Meta gives no buyer email). Without it Flow links are refused.',
    schema: optionalStr(),
  },
} satisfies Record<string, SettingSpec>;
