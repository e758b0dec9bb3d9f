import { z } from 'zod';
import { commonSettings, tiendaLookupSettings } from '../../shared/config/common-settings.js';
import { PUBLISH_ONCE_DEFAULTS } from '../../shared/idempotency/publish-once.js';
import { DEFAULT_IDEMPOTENCY_OP_TIMEOUT_MS } from '../../shared/idempotency/idempotency-store.js';
import { csv, defineConfig, duration, int, port, urlWithDefault, type ConfigOf } from '../../shared/config/define-config.js';

/** A lease shorter than this never lets its holder publish (publish-once.ts checks the remaining lease first). */
const MIN_IDEMPOTENCY_LEASE_MS = PUBLISH_ONCE_DEFAULTS.publishTimeoutMs + DEFAULT_IDEMPOTENCY_OP_TIMEOUT_MS + 1000;

/** The ingress's one configuration schema, validated at start (`npm run start:ingress`). */
export const ingressConfig = defineConfig('ingress', {
  port: { env: 'PORT', doc: 'HTTP port (Cloud Run sets it).', schema: port(8080) },
  ...commonSettings,
  ...tiendaLookupSettings,
  metaGraphUrl: {
    env: 'META_GRAPH_URL',
    doc: 'Meta Graph API base URL (sandbox or local stand-in). The ingress itself only verifies Meta webhooks; the notifier sends through this URL.',
    schema: urlWithDefault('https://graph.facebook.com/v21.0'),
  },
  mercadopagoApiUrl: { env: 'MERCADOPAGO_API_URL', doc: 'Mercado Pago API base URL.', schema: urlWithDefault('https://api.mercadopago.com') },
  flowApiUrl: { env: 'FLOW_API_URL', doc: 'Flow API base URL (sandbox: https://sandbox.flow.cl/api).', schema: urlWithDefault('https://www.flow.cl/api') },
  paypalApiUrl: { env: 'PAYPAL_API_URL', doc: 'PayPal REST API base URL (sandbox: https://api-m.sandbox.paypal.com).', schema: urlWithDefault('https://api-m.paypal.com') },
  paypalTrustedCertOrigins: {
    env: 'PAYPAL_CERT_TRUSTED_ORIGINS',
    doc: 'Extra origins allowed to serve PayPal signing certificates (a local stand-in) besides PayPal\'s own API hosts; on any origin only the path `/v1/notifications/certs/<id>` is fetched.',
    schema: csv(),
  },
  paypalTransmissionTolerance: {
    env: 'PAYPAL_TRANSMISSION_TOLERANCE',
    doc: 'How old a PayPal `PAYPAL-TRANSMISSION-TIME` may be. Covers PayPal\'s 3 days of retries (re-signing them is undocumented); older transmissions are refused as replays.',
    schema: duration('74h'),
  },
  maxBodyBytes: {
    env: 'MAX_BODY_BYTES',
    doc: 'Largest accepted webhook body; larger → 413. Meta batches up to 1000 changes (~0.5 MB), so the default leaves room.',
    schema: int(2 * 1024 * 1024, 1024, 32 * 1024 * 1024),
  },
  metaMaxBatchChanges: {
    env: 'META_MAX_BATCH_CHANGES',
    doc: 'Most changes (updates) one Meta webhook request may carry; more → 413 before anything is claimed or published. Meta documents at most 1000 per batch.',
    schema: int(1000, 1, 100_000),
  },
  signatureTolerance: {
    env: 'SIGNATURE_TOLERANCE',
    doc: 'How far the signed timestamp `t` of `POST /events` may be from now before it is refused as a replay.',
    schema: duration('5m'),
  },
  mercadopagoSignatureTolerance: {
    env: 'MERCADOPAGO_SIGNATURE_TOLERANCE',
    doc: 'How old a Mercado Pago `x-signature` `ts` may be. Wide on purpose: MP retries for days and does not document re-signing retries; a replay only re-reads the payment, which the idempotency key absorbs.',
    schema: duration('24h'),
  },
  providerTimeout: { env: 'PROVIDER_TIMEOUT', doc: 'Timeout of each call to a payment provider API.', schema: duration('8s') },
  idempotencyLease: {
    env: 'IDEMPOTENCY_LEASE',
    doc: 'How long an in-flight idempotency claim is honoured before another request may take it over. At least the publish deadline plus one Firestore operation (16 s): a shorter lease would never let its holder publish.',
    schema: duration('30s').refine((ms) => ms >= MIN_IDEMPOTENCY_LEASE_MS, {
      message: `must be at least ${MIN_IDEMPOTENCY_LEASE_MS / 1000}s: a claim's holder publishes only while its lease covers the publish deadline (${PUBLISH_ONCE_DEFAULTS.publishTimeoutMs / 1000}s) plus one Firestore operation, so a shorter lease would answer 503 for ever`,
    }),
  },
  idempotencyTtl: {
    env: 'IDEMPOTENCY_TTL',
    doc: 'How long a processed key is remembered (PayPal retries for 3 days, Meta for 36 h).',
    schema: duration('168h'),
  },
  eventsAuth: {
    env: 'EVENTS_AUTH',
    doc: 'How `POST /events` callers authenticate: `hmac` (header `X-LSS-Signature: t=<unix>,v2=<hex>` over timestamp, idempotency key and body, keyed with the `events-hmac-secret` secret).',
    schema: z.enum(['hmac']).default('hmac'),
  },
});
export type IngressConfig = ConfigOf<typeof ingressConfig.specs>;
