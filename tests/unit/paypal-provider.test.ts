import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paymentDataSchema } from '../../shared/events/event-schemas.js';
import { createPayPalClient } from '../../shared/providers/paypal-client.js';
import { payPalWebhookToPayment } from '../../shared/providers/paypal-event.js';
import { crc32, crc32Fallback, createPayPalVerifier } from '../../services/ingress/providers/paypal-verify.js';
import {
  ProviderAuthError,
  ProviderNotFoundError,
  ProviderUnavailableError,
  SignatureError,
} from '../../shared/providers/provider-errors.js';
import { startPayPalFake, type PayPalFake } from '../fakes/paypal-fake.js';

const WEBHOOK_ID = '8PT597110X687430LKGECATA';
const CREDENTIALS = { clientId: 'AbCdClientId-1', clientSecret: 'EFgh-client-secret-1' };

let fake: PayPalFake;
beforeAll(async () => {
  fake = await startPayPalFake({ clients: [CREDENTIALS] });
});
afterAll(async () => {
  await fake.close();
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('PayPal webhook verification (offline, certificate)', () => {
  const sample = () => {
    const capture = fake.setCapture({ id: paypalLikeId(), status: 'COMPLETED', amount: { currency_code: 'USD', value: '19.90' } });
    return fake.signedWebhook(fake.captureEvent(capture, 'PAYMENT.CAPTURE.COMPLETED'), { webhookId: WEBHOOK_ID });
  };

  it('accepts a webhook signed with the test-made certificate through the real code path', async () => {
    const verifier = createPayPalVerifier({ webhookId: WEBHOOK_ID, trustedCertOrigins: [fake.url] });
    const { headers, body } = sample();
    await expect(verifier.verify(headers, Buffer.from(body))).resolves.toBeUndefined();
    // Headers object and mixed-case keys work too.
    const mixed = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    await expect(verifier.verify(mixed, Buffer.from(body))).resolves.toBeUndefined();
    await expect(verifier.verify(new Headers(headers), Buffer.from(body))).resolves.toBeUndefined();
  });

  it('rejects a body with one byte changed, and another webhook id', async () => {
    const verifier = createPayPalVerifier({ webhookId: WEBHOOK_ID, trustedCertOrigins: [fake.url] });
    const { headers, body } = sample();
    const tampered = Buffer.from(body);
    const at = tampered.indexOf('19.90');
    tampered[at] = '9'.charCodeAt(0);
    expect(await rejection(verifier.verify(headers, tampered))).toMatchObject({ name: 'SignatureError', reason: 'mismatch' });
    expect(await rejection(verifier.verify(headers, Buffer.from(body), 'WH-OTHER'))).toMatchObject({ reason: 'mismatch' });
    const otherSig = { ...headers, 'paypal-transmission-sig': randomBytes(256).toString('base64') };
    expect(await rejection(verifier.verify(otherSig, Buffer.from(body)))).toMatchObject({ reason: 'mismatch' });
  });

  it('refuses a certificate URL on another host before downloading anything', async () => {
    const verifier = createPayPalVerifier({ webhookId: WEBHOOK_ID, trustedCertOrigins: [fake.url] });
    const { headers, body } = sample();
    const before = fake.certDownloads;
    const port = new URL(fake.url).port;
    for (const certUrl of [
      'https://evil.example.com/v1/notifications/certs/CERT-1',
      'https://api.paypal.com.evil.example/v1/notifications/certs/CERT-1',
      'http://api.paypal.com/v1/notifications/certs/CERT-1',
      'https://api.paypal.com:8443/v1/notifications/certs/CERT-1',
      `http://localhost:${port}/v1/notifications/certs/CERT-fake`,
      `http://127.0.0.1:${Number(port) === 65535 ? 1 : Number(port) + 1}/v1/notifications/certs/CERT-fake`,
      'not a url',
    ]) {
      const error = await rejection(verifier.verify({ ...headers, 'paypal-cert-url': certUrl }, Buffer.from(body)));
      expect(error).toBeInstanceOf(SignatureError);
      expect((error as SignatureError).reason).toBe('untrusted_cert_url');
    }
    expect(fake.certDownloads).toBe(before);
    expect(verifier.certDownloads).toBe(0);
  });

  it("accepts only PayPal's certificate paths, even on PayPal's hosts or the trusted origin, before fetching anything", async () => {
    const verifier = createPayPalVerifier({ webhookId: WEBHOOK_ID, trustedCertOrigins: [fake.url] });
    const { headers, body } = sample();
    const before = fake.certDownloads;
    const requestsBefore = fake.requests.length;
    for (const certUrl of [
      'https://api.paypal.com/v2/payments/captures/CAP-1',
      'https://api.paypal.com/v1/oauth2/token',
      'https://api.paypal.com/v1/notifications/certs/../../../v2/checkout/orders/X',
      'https://api.paypal.com/v1/notifications/certs/CERT-1?redirect=https://evil.example',
      'https://api.paypal.com/v1/notifications/certs/CERT-1/extra',
      'https://www.paypal.com/v1/notifications/certs/CERT-1',
      'https://anything.paypal.com/v1/notifications/certs/CERT-1',
      'https://user:pw@api.paypal.com/v1/notifications/certs/CERT-1',
      `${fake.url}/v2/payments/captures/CAP-1`,
      `${fake.url}/v1/notifications/certs/CERT-fake?x=1`,
    ]) {
      const error = await rejection(verifier.verify({ ...headers, 'paypal-cert-url': certUrl }, Buffer.from(body)));
      expect(error, certUrl).toBeInstanceOf(SignatureError);
      expect((error as SignatureError).reason, certUrl).toBe('untrusted_cert_url');
    }
    expect(fake.certDownloads).toBe(before);
    expect(fake.requests.length).toBe(requestsBefore);
    expect(verifier.certDownloads).toBe(0);
  });

  it('refuses a transmission older than the tolerance (a 2020 one), from the future, or with an unreadable time', async () => {
    const verifier = createPayPalVerifier({ webhookId: WEBHOOK_ID, trustedCertOrigins: [fake.url], maxAgeMs: 3_600_000 });
    const event = JSON.parse(sample().body) as unknown;
    const at = (transmissionTime: string) => fake.signedWebhook(event, { webhookId: WEBHOOK_ID, transmissionTime });
    for (const [time, reason] of [
      ['2020-03-01T10:00:00Z', 'stale'],
      [new Date(Date.now() - 2 * 3_600_000).toISOString(), 'stale'],
      [new Date(Date.now() + 3_600_000).toISOString(), 'stale'],
      ['yesterday', 'malformed_header'],
      ['Sun, 01 Mar 2020 10:00:00 GMT', 'malformed_header'],
    ] as const) {
      const w = at(time);
      expect(await rejection(verifier.verify(w.headers, Buffer.from(w.body))), time).toMatchObject({ name: 'SignatureError', reason });
    }
    const fresh = at(new Date(Date.now() - 30 * 60_000).toISOString());
    await expect(verifier.verify(fresh.headers, Buffer.from(fresh.body))).resolves.toBeUndefined();
    // The default window covers PayPal's 3 days of retries, and not a 2020 transmission.
    const byDefault = createPayPalVerifier({ webhookId: WEBHOOK_ID, trustedCertOrigins: [fake.url] });
    const retried = at(new Date(Date.now() - 71 * 3_600_000).toISOString());
    await expect(byDefault.verify(retried.headers, Buffer.from(retried.body))).resolves.toBeUndefined();
    const old = at('2020-03-01T10:00:00Z');
    expect(await rejection(byDefault.verify(old.headers, Buffer.from(old.body)))).toMatchObject({ reason: 'stale' });
  });

  it('downloads the certificate once for many verifications, concurrent or not', async () => {
    const verifier = createPayPalVerifier({ webhookId: WEBHOOK_ID, trustedCertOrigins: [fake.url] });
    const before = fake.certDownloads;
    const webhooks = Array.from({ length: 8 }, sample);
    await Promise.all(webhooks.map((w) => verifier.verify(w.headers, Buffer.from(w.body))));
    for (const w of webhooks.slice(0, 4)) await verifier.verify(w.headers, Buffer.from(w.body));
    expect(fake.certDownloads - before).toBe(1);
    expect(verifier.certDownloads).toBe(1);
  });

  it('refuses an expired (or not yet valid) certificate', async () => {
    const { headers, body } = sample();
    const later = createPayPalVerifier({ webhookId: WEBHOOK_ID, trustedCertOrigins: [fake.url], now: () => new Date(Date.now() + 3 * 86_400_000) });
    expect(await rejection(later.verify(headers, Buffer.from(body)))).toMatchObject({ reason: 'cert_expired' });
    const yesterday = new Date(Date.now() - 86_400_000);
    const earlier = createPayPalVerifier({ webhookId: WEBHOOK_ID, trustedCertOrigins: [fake.url], now: () => yesterday });
    const early = fake.signedWebhook(JSON.parse(body), { webhookId: WEBHOOK_ID, transmissionTime: yesterday.toISOString() });
    expect(await rejection(earlier.verify(early.headers, Buffer.from(early.body)))).toMatchObject({ reason: 'cert_expired' });
  });

  it('rejects missing headers and any algorithm but SHA256withRSA', async () => {
    const verifier = createPayPalVerifier({ webhookId: WEBHOOK_ID, trustedCertOrigins: [fake.url] });
    const { headers, body } = sample();
    for (const name of ['paypal-transmission-id', 'paypal-transmission-time', 'paypal-transmission-sig', 'paypal-cert-url', 'paypal-auth-algo']) {
      const partial: Record<string, string> = { ...headers };
      delete partial[name];
      expect(await rejection(verifier.verify(partial, Buffer.from(body)))).toMatchObject({ reason: 'missing_header' });
    }
    expect(await rejection(verifier.verify({ ...headers, 'paypal-auth-algo': 'SHA1withRSA' }, Buffer.from(body)))).toMatchObject({ reason: 'unsupported_algorithm' });
  });

  it('turns a failed certificate download into ProviderUnavailableError (PayPal retries), then recovers', async () => {
    const verifier = createPayPalVerifier({ webhookId: WEBHOOK_ID, trustedCertOrigins: [fake.url] });
    const { headers, body } = sample();
    fake.failNext(503);
    expect(await rejection(verifier.verify(headers, Buffer.from(body)))).toBeInstanceOf(ProviderUnavailableError);
    await expect(verifier.verify(headers, Buffer.from(body))).resolves.toBeUndefined();
  });

  it('computes the unsigned decimal CRC-32 the same with zlib and the fallback table', () => {
    expect(crc32Fallback(Buffer.from('123456789'))).toBe(0xcbf43926);
    for (let i = 0; i < 20; i++) {
      const data = randomBytes(1 + i * 37);
      expect(crc32Fallback(data)).toBe(zlib.crc32(data) >>> 0);
      expect(crc32(data)).toBe(crc32Fallback(data));
    }
    expect(crc32(Buffer.from('{"a":1}'))).toBeGreaterThan(0);
  });
});

describe('PayPal client and event mapping against the fake', () => {
  const newClient = () => createPayPalClient({ baseUrl: fake.url, timeoutMs: 2000, credentials: CREDENTIALS });

  it('gets one OAuth token and reuses it', async () => {
    const client = newClient();
    const capture = fake.setCapture({ id: paypalLikeId() });
    const before = fake.tokenRequests;
    await client.getCapture(capture.id);
    await client.getCapture(capture.id);
    await Promise.all([client.getCapture(capture.id), client.getCapture(capture.id)]);
    expect(fake.tokenRequests - before).toBe(1);
  });

  it('fetches a new token once when PayPal no longer accepts the cached one', async () => {
    const client = newClient();
    const capture = fake.setCapture({ id: paypalLikeId() });
    await client.getCapture(capture.id);
    fake.revokeTokens();
    const before = fake.tokenRequests;
    await expect(client.getCapture(capture.id)).resolves.toMatchObject({ id: capture.id });
    expect(fake.tokenRequests - before).toBe(1);
  });

  it('maps bad client credentials to ProviderAuthError, unknown ids to ProviderNotFoundError, 5xx to unavailable', async () => {
    const bad = createPayPalClient({ baseUrl: fake.url, timeoutMs: 2000, credentials: { clientId: CREDENTIALS.clientId, clientSecret: 'wrong' } });
    expect(await rejection(bad.getCapture('ABC123'))).toBeInstanceOf(ProviderAuthError);
    const client = newClient();
    expect(await rejection(client.getCapture('0000000000000000X'))).toBeInstanceOf(ProviderNotFoundError);
    expect(await rejection(client.getOrder('0000000000000000X'))).toBeInstanceOf(ProviderNotFoundError);
    const capture = fake.setCapture({ id: paypalLikeId() });
    await client.getCapture(capture.id);
    fake.failNext(500);
    expect(await rejection(client.getCapture(capture.id))).toBeInstanceOf(ProviderUnavailableError);
    fake.delayNext(1000);
    const slow = createPayPalClient({ baseUrl: fake.url, timeoutMs: 100, credentials: CREDENTIALS });
    expect(await rejection(slow.getCapture(capture.id))).toBeInstanceOf(ProviderUnavailableError);
  });

  it('end to end: order → capture → signed webhook → verified → re-read → payment_success', async () => {
    const token = await newClient().getAccessToken();
    const created = await fetch(`${fake.url}/v2/checkout/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'paypal-request-id': 'order-req-1' },
      body: JSON.stringify({
        intent: 'CAPTURE',
        purchase_units: [{ reference_id: 'pedido-55', custom_id: 'pedido-55', amount: { currency_code: 'USD', value: '42.00' } }],
        payment_source: { paypal: { experience_context: { return_url: 'https://example.com/ok', cancel_url: 'https://example.com/no', user_action: 'PAY_NOW', shipping_preference: 'NO_SHIPPING' } } },
      }),
    });
    expect(created.status).toBe(201);
    const order = (await created.json()) as { id: string; status: string; links: Array<{ rel: string; href: string }> };
    expect(order.status).toBe('PAYER_ACTION_REQUIRED');
    expect(order.links.find((l) => l.rel === 'payer-action')?.href).toContain(`token=${order.id}`);

    const capture = fake.completeOrder(order.id);
    const { headers, body } = fake.signedWebhook(fake.captureEvent(capture, 'PAYMENT.CAPTURE.COMPLETED'), { webhookId: WEBHOOK_ID });
    await createPayPalVerifier({ webhookId: WEBHOOK_ID, trustedCertOrigins: [fake.url] }).verify(headers, Buffer.from(body));
    const outcome = await payPalWebhookToPayment(JSON.parse(body), { tiendaId: 'tienda-9', client: newClient() });
    expect(outcome).toEqual({
      event: 'payment_success',
      idempotencyKey: `paypal:${capture.id}:COMPLETED`,
      data: {
        provider: 'paypal',
        tienda_id: 'tienda-9',
        transaction_id: capture.id,
        order_reference: 'pedido-55',
        amount: 42,
        currency: 'USD',
        status: 'COMPLETED',
        reason: null,
      },
    });
    expect(paymentDataSchema.safeParse(outcome?.data).success).toBe(true);
  });

  it('trusts the re-read capture over the event type', async () => {
    const client = newClient();
    const declined = fake.setCapture({ id: paypalLikeId(), status: 'DECLINED', status_details: { reason: 'DECLINED_BY_RISK_FRAUD_FILTERS' } });
    const stale = { ...fake.captureEvent(declined, 'PAYMENT.CAPTURE.COMPLETED'), resource: { ...declined, status: 'COMPLETED' } };
    const outcome = await payPalWebhookToPayment(stale, { tiendaId: 't', client });
    expect(outcome).toMatchObject({ event: 'payment_failure', idempotencyKey: `paypal:${declined.id}:DECLINED`, data: { reason: 'DECLINED_BY_RISK_FRAUD_FILTERS' } });

    const refunded = fake.setCapture({ id: paypalLikeId(), status: 'REFUNDED' });
    expect((await payPalWebhookToPayment(fake.captureEvent(refunded, 'PAYMENT.CAPTURE.COMPLETED'), { tiendaId: 't', client }))?.event).toBeNull();

    const denied = fake.setCapture({ id: paypalLikeId(), status: 'DECLINED' });
    expect((await payPalWebhookToPayment(fake.captureEvent(denied, 'PAYMENT.CAPTURE.DENIED'), { tiendaId: 't', client }))?.event).toBe('payment_failure');
  });

  it('maps CHECKOUT.PAYMENT-APPROVAL.REVERSED to a failure only when the re-read order confirms it, with the order fields', async () => {
    const client = newClient();
    const order = fake.setOrder({ id: paypalLikeId(), status: 'VOIDED', purchase_units: [{ reference_id: 'default', custom_id: 'pedido-60', amount: { currency_code: 'USD', value: '15.00' } }] });
    const outcome = await payPalWebhookToPayment(fake.reversalEvent(order), { tiendaId: 't', client });
    expect(outcome).toEqual({
      event: 'payment_failure',
      idempotencyKey: `paypal:${order.id}:APPROVAL_REVERSED`,
      data: { provider: 'paypal', tienda_id: 't', transaction_id: order.id, order_reference: 'pedido-60', amount: 15, currency: 'USD', status: 'VOIDED', reason: 'PAYMENT_APPROVAL_REVERSED' },
    });
    // The body's custom_id is never published: the order's is.
    const lying = { ...fake.reversalEvent(order), resource: { order_id: order.id, purchase_units: [{ custom_id: 'someone-elses-order' }] } };
    expect((await payPalWebhookToPayment(lying, { tiendaId: 't', client }))?.data.order_reference).toBe('pedido-60');

    // An order PayPal does not know (404) confirms nothing: no outcome is built from the event alone.
    const gone = { ...fake.reversalEvent(order), resource: { order_id: '0000000000000000Z', purchase_units: [{ custom_id: 'pedido-61' }] } };
    expect(await rejection(payPalWebhookToPayment(gone, { tiendaId: 't', client }))).toBeInstanceOf(ProviderNotFoundError);
    // Nor does an order that is still approved (not reversed).
    const approved = fake.setOrder({ id: paypalLikeId(), status: 'APPROVED' });
    expect(await rejection(payPalWebhookToPayment(fake.reversalEvent(approved), { tiendaId: 't', client }))).toBeInstanceOf(ProviderNotFoundError);

    const captured = fake.setOrder({ id: paypalLikeId(), status: 'COMPLETED' });
    expect((await payPalWebhookToPayment(fake.reversalEvent(captured), { tiendaId: 't', client }))?.event).toBeNull();
  });

  it('ignores other event types without calling PayPal', async () => {
    const before = fake.requests.length;
    const outcome = await payPalWebhookToPayment(
      { id: 'WH-1', event_type: 'CHECKOUT.ORDER.APPROVED', resource: { id: 'ORDER1' } },
      { tiendaId: 't', client: newClient() },
    );
    expect(outcome).toBeNull();
    expect(fake.requests.length).toBe(before);
  });
});

function paypalLikeId(): string {
  return randomBytes(9).toString('hex').toUpperCase().slice(0, 17);
}
