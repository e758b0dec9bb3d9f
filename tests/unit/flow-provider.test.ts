import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paymentDataSchema } from '../../shared/events/event-schemas.js';
import { createFlowClient, type FlowPaymentStatus } from '../../shared/providers/flow-client.js';
import { flowPaymentToEvent } from '../../shared/providers/flow-payment.js';
import { flowStringToSign, signFlowParams, verifyFlowSignature } from '../../shared/providers/flow-signature.js';
import {
  MalformedPayloadError,
  ProviderAuthError,
  ProviderNotFoundError,
  ProviderUnavailableError,
} from '../../shared/providers/provider-errors.js';
import { startFlowFake, type FlowFake } from '../fakes/flow-fake.js';

const API_KEY = '1F90971E-8276-4715-97FF-2BLG5030EE3B';
const SECRET_KEY = 'flow-secret-key-0c9d';

describe('Flow signing', () => {
  it("matches the example in Flow's docs, computed independently", () => {
    const params = { apiKey: 'XXXX-XXXX-XXXX', currency: 'CLP', amount: '5000' };
    expect(flowStringToSign(params)).toBe('amount5000apiKeyXXXX-XXXX-XXXXcurrencyCLP');
    const expected = createHmac('sha256', 'my-secret').update('amount5000apiKeyXXXX-XXXX-XXXXcurrencyCLP').digest('hex');
    expect(signFlowParams(params, 'my-secret')).toBe(expected);
  });

  it('never signs `s` and sorts by code unit (uppercase first), not by locale', () => {
    expect(flowStringToSign({ b: '1', B: '2', a: '3', s: 'ignored' })).toBe('B2a3b1');
    const token = { apiKey: API_KEY, token: 'AJ089FF5467367' };
    expect(signFlowParams({ ...token, s: 'whatever' }, SECRET_KEY)).toBe(signFlowParams(token, SECRET_KEY));
  });

  it('verifies a good signature and rejects tampering, a missing s and a wrong length', () => {
    const params = { apiKey: API_KEY, token: 'AJ089FF5467367' };
    const s = createHmac('sha256', SECRET_KEY).update(`apiKey${API_KEY}tokenAJ089FF5467367`).digest('hex');
    expect(verifyFlowSignature({ ...params, s }, SECRET_KEY)).toBe(true);
    expect(verifyFlowSignature({ ...params, s: s.toUpperCase() }, SECRET_KEY)).toBe(true);
    expect(verifyFlowSignature({ ...params, token: 'AJ089FF5467368', s }, SECRET_KEY)).toBe(false);
    expect(verifyFlowSignature({ ...params, s }, 'other-secret')).toBe(false);
    expect(verifyFlowSignature(params, SECRET_KEY)).toBe(false);
    expect(verifyFlowSignature({ ...params, s: s.slice(0, 62) }, SECRET_KEY)).toBe(false);
  });
});

describe('flowPaymentToEvent', () => {
  const status = (code: number | string, extra: Partial<FlowPaymentStatus> = {}): FlowPaymentStatus => ({
    flowOrder: 7500123,
    commerceOrder: 'pedido-31',
    requestDate: '2026-11-29 10:00:00',
    status: code,
    subject: 'Polera',
    currency: 'CLP',
    amount: 15990,
    payer: 'a@b.cl',
    ...extra,
  });

  it('maps 2 → success, 3 → failure (rejected), 4 → failure (cancelled), 1 → no event', () => {
    expect(flowPaymentToEvent(status(2), 't1')).toMatchObject({ event: 'payment_success', data: { reason: null } });
    expect(flowPaymentToEvent(status(3), 't1')).toMatchObject({ event: 'payment_failure', data: { reason: 'rejected' } });
    expect(flowPaymentToEvent(status(4), 't1')).toMatchObject({ event: 'payment_failure', data: { reason: 'cancelled' } });
    expect(flowPaymentToEvent(status(1), 't1').event).toBeNull();
    expect(flowPaymentToEvent(status('2'), 't1').event).toBe('payment_success');
  });

  it('keys on flowOrder and the status reached, and normalises the data', () => {
    const paid = flowPaymentToEvent(status(2), 'tienda-3', 'TOKEN123');
    expect(paid.idempotencyKey).toBe('flow:7500123:2');
    expect(flowPaymentToEvent(status(1), 'tienda-3').idempotencyKey).toBe('flow:7500123:1');
    expect(paid.data).toEqual({
      provider: 'flow',
      tienda_id: 'tienda-3',
      transaction_id: '7500123',
      order_reference: 'pedido-31',
      amount: 15990,
      currency: 'CLP',
      status: '2',
      reason: null,
    });
    expect(paymentDataSchema.safeParse(paid.data).success).toBe(true);
  });
});

describe('Flow client against the fake', () => {
  let fake: FlowFake;
  beforeAll(async () => {
    fake = await startFlowFake({ merchants: [{ apiKey: API_KEY, secretKey: SECRET_KEY }, { apiKey: 'OTHER-KEY', secretKey: 'other-secret' }] });
  });
  afterAll(async () => {
    await fake.close();
  });
  const credentials = { apiKey: API_KEY, secretKey: SECRET_KEY };

  it('creates a payment (signed with our signer, checked by the fake) and re-reads its status', async () => {
    const params: Record<string, string> = {
      apiKey: API_KEY,
      commerceOrder: 'pedido-100',
      subject: 'Polera roja M',
      currency: 'CLP',
      amount: '15990',
      email: 'comprador@example.com',
      urlConfirmation: 'https://example.com/webhooks/flow/confirm',
      urlReturn: 'https://example.com/gracias',
    };
    const res = await fetch(`${fake.url}/payment/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...params, s: signFlowParams(params, SECRET_KEY) }).toString(),
    });
    expect(res.status).toBe(200);
    const created = (await res.json()) as { url: string; token: string; flowOrder: number };
    expect(created).toMatchObject({ url: expect.stringContaining('/app/web/pay.php'), token: expect.stringMatching(/^[0-9A-F]{40}$/), flowOrder: expect.any(Number) });

    const client = createFlowClient({ baseUrl: fake.url, timeoutMs: 2000 });
    expect(flowPaymentToEvent(await client.getStatus(created.token, credentials), 't').event).toBeNull();
    fake.setStatus(created.token, 2);
    const paid = flowPaymentToEvent(await client.getStatus(created.token, credentials), 't');
    expect(paid).toMatchObject({ event: 'payment_success', idempotencyKey: `flow:${created.flowOrder}:2`, data: { order_reference: 'pedido-100', amount: 15990 } });
  });

  it('maps a wrong secret key or unknown apiKey (401) to ProviderAuthError', async () => {
    const { token } = fake.addPayment({ apiKey: API_KEY, commerceOrder: 'p-1', amount: 1000 });
    const client = createFlowClient({ baseUrl: fake.url, timeoutMs: 2000 });
    const wrongSecret = await client.getStatus(token, { apiKey: API_KEY, secretKey: 'wrong' }).catch((e: unknown) => e);
    expect(wrongSecret).toBeInstanceOf(ProviderAuthError);
    expect((wrongSecret as Error).message).toContain('108');
    await expect(client.getStatus(token, { apiKey: 'NOPE', secretKey: 'x' })).rejects.toBeInstanceOf(ProviderAuthError);
  });

  it("maps an unknown token — or another merchant's — (400) to ProviderNotFoundError", async () => {
    const client = createFlowClient({ baseUrl: fake.url, timeoutMs: 2000 });
    const error = await client.getStatus('0123456789ABCDEF0123456789ABCDEF01234567', credentials).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderNotFoundError);
    expect((error as ProviderNotFoundError).resourceId).toBe('0123456789ABCDEF0123456789ABCDEF01234567');
    const { token } = fake.addPayment({ apiKey: 'OTHER-KEY', commerceOrder: 'p-2', amount: 1000 });
    await expect(client.getStatus(token, credentials)).rejects.toBeInstanceOf(ProviderNotFoundError);
  });

  it('maps 5xx, 429 and a timeout to ProviderUnavailableError', async () => {
    const { token } = fake.addPayment({ apiKey: API_KEY, commerceOrder: 'p-3', amount: 1000, status: 3 });
    const client = createFlowClient({ baseUrl: fake.url, timeoutMs: 100 });
    for (const status of [500, 503, 429]) {
      fake.failNext(status);
      const error = await client.getStatus(token, credentials).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect((error as ProviderUnavailableError).providerStatus).toBe(status);
    }
    fake.delayNext(1000);
    await expect(client.getStatus(token, credentials)).rejects.toBeInstanceOf(ProviderUnavailableError);
    await expect(client.getStatus(token, credentials)).resolves.toMatchObject({ status: 3 });
  });

  it('refuses a token that could alter the query, without calling Flow', async () => {
    const client = createFlowClient({ baseUrl: fake.url, timeoutMs: 2000 });
    const before = fake.requests.length;
    await expect(client.getStatus('abc&apiKey=x', credentials)).rejects.toBeInstanceOf(MalformedPayloadError);
    expect(fake.requests.length).toBe(before);
  });

  it('sends the confirmation like Flow: a form POST of token=', async () => {
    const received: Array<{ type: string | undefined; body: string }> = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ type: req.headers['content-type'], body });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const port = (receiver.address() as AddressInfo).port;
      const { token } = fake.addPayment({ apiKey: API_KEY, commerceOrder: 'p-4', amount: 500, urlConfirmation: `http://127.0.0.1:${port}/confirm` });
      expect(await fake.sendConfirmation(token)).toBe(200);
      expect(received).toEqual([{ type: 'application/x-www-form-urlencoded', body: `token=${token}` }]);
    } finally {
      await new Promise<void>((r) => receiver.close(() => r()));
    }
  });
});
