import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paymentDataSchema } from '../../shared/events/event-schemas.js';
import { createMercadoPagoClient } from '../../shared/providers/mercadopago-client.js';
import { mercadoPagoPaymentToEvent } from '../../shared/providers/mercadopago-payment.js';
import {
  parseMercadoPagoSignature,
  verifyMercadoPagoSignature,
} from '../../services/ingress/providers/mercadopago-signature.js';
import {
  MalformedPayloadError,
  ProviderAuthError,
  ProviderNotFoundError,
  ProviderUnavailableError,
  SignatureError,
  notFoundDisposition,
} from '../../shared/providers/provider-errors.js';
import { buildMercadoPagoPayment, startMercadoPagoFake, type MercadoPagoFake } from '../fakes/mercadopago-fake.js';

const SECRET = 'mp-webhook-secret-a1b2';
const TOKEN = 'APP_USR-1234567890-112925-abcdef-1234567890';
const NOW = new Date('2026-11-29T14:00:00Z');
const NOW_S = Math.floor(NOW.getTime() / 1000);

function signatureError(fn: () => unknown): SignatureError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SignatureError) return error;
    throw error;
  }
  throw new Error('expected a SignatureError');
}

describe('Mercado Pago signature', () => {
  let fake: MercadoPagoFake;
  beforeAll(async () => {
    fake = await startMercadoPagoFake({ accessTokens: [TOKEN] });
  });
  afterAll(async () => {
    await fake.close();
  });

  const verifyNotification = (n: ReturnType<MercadoPagoFake['signedNotification']>, overrides: Partial<Parameters<typeof verifyMercadoPagoSignature>[0]> = {}) =>
    verifyMercadoPagoSignature({
      xSignature: n.headers['x-signature'],
      xRequestId: n.headers['x-request-id'],
      dataId: n.query['data.id'],
      secret: SECRET,
      toleranceSeconds: 300,
      now: NOW,
      ...overrides,
    });

  it('accepts a notification signed the way MP signs it', () => {
    const n = fake.signedNotification({ paymentId: 1325551234, secret: SECRET, ts: NOW_S });
    expect(verifyNotification(n)).toEqual({ ts: String(NOW_S), v1: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('matches a manifest computed independently, and omits a missing x-request-id', () => {
    const ts = String(NOW_S);
    const full = createHmac('sha256', SECRET).update(`id:999;request-id:req-1;ts:${ts};`).digest('hex');
    expect(() => verifyMercadoPagoSignature({ xSignature: `ts=${ts},v1=${full}`, xRequestId: 'req-1', dataId: '999', secret: SECRET, toleranceSeconds: 60, now: NOW })).not.toThrow();
    const noRequestId = createHmac('sha256', SECRET).update(`id:999;ts:${ts};`).digest('hex');
    expect(() => verifyMercadoPagoSignature({ xSignature: `ts=${ts},v1=${noRequestId}`, xRequestId: undefined, dataId: '999', secret: SECRET, toleranceSeconds: 60, now: NOW })).not.toThrow();
    // The same signature with a request id present no longer matches: the manifest changed.
    expect(signatureError(() => verifyMercadoPagoSignature({ xSignature: `ts=${ts},v1=${noRequestId}`, xRequestId: 'req-1', dataId: '999', secret: SECRET, toleranceSeconds: 60, now: NOW })).reason).toBe('mismatch');
  });

  it('lowercases an alphanumeric data.id before building the manifest', () => {
    const n = fake.signedNotification({ paymentId: 'ABC123def', secret: SECRET, ts: NOW_S });
    expect(n.query['data.id']).toBe('ABC123def');
    expect(() => verifyNotification(n)).not.toThrow();
  });

  it('rejects the wrong secret, another data.id and a changed request id', () => {
    const n = fake.signedNotification({ paymentId: 1325551234, secret: SECRET, ts: NOW_S });
    expect(signatureError(() => verifyNotification(n, { secret: 'other' })).reason).toBe('mismatch');
    expect(signatureError(() => verifyNotification(n, { dataId: '1325551235' })).reason).toBe('mismatch');
    expect(signatureError(() => verifyNotification(n, { xRequestId: 'forged' })).reason).toBe('mismatch');
  });

  it('rejects a missing header, a header without v1 and a v1 of the wrong length', () => {
    const n = fake.signedNotification({ paymentId: 1, secret: SECRET, ts: NOW_S });
    expect(signatureError(() => verifyNotification(n, { xSignature: undefined })).reason).toBe('missing_header');
    expect(signatureError(() => verifyNotification(n, { xSignature: `ts=${NOW_S}` })).reason).toBe('malformed_header');
    expect(signatureError(() => verifyNotification(n, { xSignature: `ts=abc,v1=00` })).reason).toBe('malformed_header');
    const v1 = n.headers['x-signature']?.split('v1=')[1] ?? '';
    expect(signatureError(() => verifyNotification(n, { xSignature: `ts=${NOW_S},v1=${v1.slice(0, 62)}` })).reason).toBe('mismatch');
  });

  it('rejects a ts outside the tolerance, in either direction', () => {
    const old = fake.signedNotification({ paymentId: 1, secret: SECRET, ts: NOW_S - 301 });
    expect(signatureError(() => verifyNotification(old)).reason).toBe('stale');
    const future = fake.signedNotification({ paymentId: 1, secret: SECRET, ts: NOW_S + 301 });
    expect(signatureError(() => verifyNotification(future)).reason).toBe('stale');
    expect(() => verifyNotification(old, { toleranceSeconds: 3600 })).not.toThrow();
  });

  it('reads a 13-digit ts as milliseconds for freshness but signs it as sent', () => {
    const tsMs = NOW.getTime() - 10_000;
    const n = fake.signedNotification({ paymentId: 42, secret: SECRET, ts: tsMs });
    expect(() => verifyNotification(n)).not.toThrow();
    const oldMs = fake.signedNotification({ paymentId: 42, secret: SECRET, ts: NOW.getTime() - 3_600_000 });
    expect(signatureError(() => verifyNotification(oldMs)).reason).toBe('stale');
  });

  it('parses header parts in any order with spaces', () => {
    expect(parseMercadoPagoSignature(' v1=ab12 , ts=1704908010 ')).toEqual({ ts: '1704908010', v1: 'ab12' });
  });
});

describe('mercadoPagoPaymentToEvent', () => {
  const outcome = (status: string, extra: Record<string, unknown> = {}) =>
    mercadoPagoPaymentToEvent(buildMercadoPagoPayment({ id: 1325551234, status, ...extra }), 'tienda-7');

  it('maps statuses: approved → success, rejected/cancelled → failure, the rest → no event', () => {
    expect(outcome('approved').event).toBe('payment_success');
    expect(outcome('rejected').event).toBe('payment_failure');
    expect(outcome('cancelled').event).toBe('payment_failure');
    for (const status of ['pending', 'in_process', 'authorized', 'in_mediation', 'refunded', 'charged_back']) {
      expect(outcome(status).event).toBeNull();
    }
  });

  it('keys one publication per state reached', () => {
    expect(outcome('pending').idempotencyKey).toBe('mercadopago:1325551234:pending');
    expect(outcome('approved').idempotencyKey).toBe('mercadopago:1325551234:approved');
    expect(outcome('approved').idempotencyKey).toBe(outcome('approved', { status_detail: 'other' }).idempotencyKey);
  });

  it('normalises the payment into PaymentData', () => {
    const { data } = outcome('rejected', { transaction_amount: 25990, currency_id: 'CLP', external_reference: 'pedido-42', status_detail: 'cc_rejected_call_for_authorize' });
    expect(data).toEqual({
      provider: 'mercadopago',
      tienda_id: 'tienda-7',
      transaction_id: '1325551234',
      order_reference: 'pedido-42',
      amount: 25990,
      currency: 'CLP',
      status: 'rejected',
      reason: 'cc_rejected_call_for_authorize',
    });
    expect(paymentDataSchema.safeParse(data).success).toBe(true);
    expect(outcome('approved', { external_reference: null, status_detail: null }).data).toMatchObject({ order_reference: null, reason: null });
  });
});

describe('Mercado Pago client against the fake', () => {
  let fake: MercadoPagoFake;
  beforeAll(async () => {
    fake = await startMercadoPagoFake({ accessTokens: [TOKEN] });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('re-reads a payment and follows pending → approved as two keys', async () => {
    const client = createMercadoPagoClient({ baseUrl: fake.url, timeoutMs: 2000 });
    fake.setPayment({ id: 555001, status: 'pending', external_reference: 'pedido-9', transaction_amount: 12000 });
    const pending = mercadoPagoPaymentToEvent(await client.getPayment('555001', TOKEN), 'tienda-1');
    expect(pending.event).toBeNull();
    fake.setPayment({ id: 555001, status: 'approved', external_reference: 'pedido-9', transaction_amount: 12000 });
    const approved = mercadoPagoPaymentToEvent(await client.getPayment('555001', TOKEN), 'tienda-1');
    expect(approved).toMatchObject({ event: 'payment_success', idempotencyKey: 'mercadopago:555001:approved', data: { amount: 12000, order_reference: 'pedido-9' } });
    expect(pending.idempotencyKey).not.toBe(approved.idempotencyKey);
  });

  it('maps a wrong access token to ProviderAuthError', async () => {
    const client = createMercadoPagoClient({ baseUrl: fake.url, timeoutMs: 2000 });
    fake.setPayment({ id: 555002 });
    const error = await client.getPayment('555002', 'APP_USR-wrong').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderAuthError);
    expect((error as ProviderAuthError).providerStatus).toBe(401);
  });

  it('maps an unknown payment to ProviderNotFoundError', async () => {
    const client = createMercadoPagoClient({ baseUrl: fake.url, timeoutMs: 2000 });
    const error = await client.getPayment('999999999', TOKEN).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderNotFoundError);
    expect((error as ProviderNotFoundError).resourceId).toBe('999999999');
  });

  it('maps 500 and 429 to ProviderUnavailableError', async () => {
    const client = createMercadoPagoClient({ baseUrl: fake.url, timeoutMs: 2000 });
    fake.setPayment({ id: 555003 });
    for (const status of [500, 429]) {
      fake.failNext(status);
      const error = await client.getPayment('555003', TOKEN).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect((error as ProviderUnavailableError).providerStatus).toBe(status);
    }
    await expect(client.getPayment('555003', TOKEN)).resolves.toMatchObject({ id: 555003 });
  });

  it('maps a timeout and an unreachable API to ProviderUnavailableError', async () => {
    const client = createMercadoPagoClient({ baseUrl: fake.url, timeoutMs: 100 });
    fake.setPayment({ id: 555004 });
    fake.delayNext(1000);
    await expect(client.getPayment('555004', TOKEN)).rejects.toBeInstanceOf(ProviderUnavailableError);

    const closed = await startMercadoPagoFake();
    const closedUrl = closed.url;
    await closed.close();
    const unreachable = createMercadoPagoClient({ baseUrl: closedUrl, timeoutMs: 1000 });
    await expect(unreachable.getPayment('1', TOKEN)).rejects.toBeInstanceOf(ProviderUnavailableError);
  });

  it('refuses a path-like payment id without calling MP', async () => {
    const client = createMercadoPagoClient({ baseUrl: fake.url, timeoutMs: 2000 });
    const before = fake.requests.length;
    await expect(client.getPayment('../users/me', TOKEN)).rejects.toBeInstanceOf(MalformedPayloadError);
    expect(fake.requests.length).toBe(before);
  });

  it('creates a real-shaped preference (for the worker and demos)', async () => {
    const res = await fetch(`${fake.url}/checkout/preferences`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'x-idempotency-key': 'k-1' },
      body: JSON.stringify({ items: [{ id: 'SKU-1', title: 'Polera roja', quantity: 2, unit_price: 9990, currency_id: 'CLP' }], external_reference: 'pedido-77', notification_url: 'https://example.com/webhooks/mercadopago?source_news=webhooks' }),
    });
    expect(res.status).toBe(201);
    const pref = (await res.json()) as Record<string, unknown>;
    expect(pref).toMatchObject({ external_reference: 'pedido-77', init_point: expect.stringContaining(String(pref.id)), sandbox_init_point: expect.any(String) });
    const again = await fetch(`${fake.url}/checkout/preferences`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'x-idempotency-key': 'k-1' },
      body: JSON.stringify({ items: [{ title: 'x', quantity: 1, unit_price: 1 }] }),
    });
    expect(((await again.json()) as { id: string }).id).toBe(pref.id);
    const payment = fake.payPreference(String(pref.id), 'approved');
    expect(mercadoPagoPaymentToEvent(payment, 't').data).toMatchObject({ amount: 19980, order_reference: 'pedido-77' });
  });
});

describe('notFoundDisposition', () => {
  it('retries while the notification is young, then acknowledges', () => {
    expect(notFoundDisposition('2026-11-29T13:30:00Z', { now: NOW })).toEqual({ action: 'retry', httpStatus: 503 });
    expect(notFoundDisposition('2026-11-29T12:59:00Z', { now: NOW })).toEqual({ action: 'acknowledge', httpStatus: 200 });
    expect(notFoundDisposition(undefined, { now: NOW }).action).toBe('acknowledge');
    expect(notFoundDisposition('2026-11-29T12:59:00Z', { now: NOW, retryWindowMs: 2 * 3600_000 }).action).toBe('retry');
  });
});
