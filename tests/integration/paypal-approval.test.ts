import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { PaymentLinks } from '../../shared/payments/payment-links.js';
import { notificationUrlFor } from '../../shared/payments/payment-types.js';
import { createPayPalOrdersClient } from '../../shared/payments/paypal-orders.js';
import { EnvSecretSource } from '../../shared/secrets/env-secret-source.js';
import { TiendaStore } from '../../shared/tiendas/tienda-store.js';
import { ATTR } from '../../shared/topology/topology.js';
import { startIngressHarness, TEST_SECRETS, TEST_TIENDA, testSecretEnv, type IngressHarness } from '../helpers/ingress-harness.js';
import { sleep, uniqueProjectId } from '../helpers/test-kit.js';
import type { FakeCapture } from '../fakes/paypal-fake.js';

type PaymentMsg = { event: string; data: { provider: string; transaction_id: string; status: string; order_reference: string | null; amount: number | null; currency: string | null } };

describe('PayPal approval at the ingress: CHECKOUT.ORDER.APPROVED → capture → one payment_success', () => {
  let h: IngressHarness;
  let links: PaymentLinks;
  beforeAll(async () => {
    h = await startIngressHarness();
    // The route reads its deps per request: wire the capture client to this run's PayPal fake.
    h.deps.paypalOrders = createPayPalOrdersClient({ baseUrl: h.paypal.url, timeoutMs: 2000 });
    links = new PaymentLinks({
      secrets: new EnvSecretSource({ env: testSecretEnv() }),
      paypalApiUrl: h.paypal.url,
      timeoutMs: 2000,
      returnUrl: 'https://tienda.example.test/gracias',
    });
  });
  afterAll(() => h.close());

  const send = (event: unknown) => {
    const signed = h.paypal.signedWebhook(event, { webhookId: TEST_SECRETS.paypalWebhookId });
    return fetch(`${h.url}/webhooks/paypal/${TEST_TIENDA.id}`, { method: 'POST', headers: signed.headers, body: signed.body });
  };

  it('captures once, publishes the COMPLETED capture; the later capture webhook, a redelivery and reconciliation are duplicates', async () => {
    const orderId = `order-pp-${Date.now().toString(36)}`;
    const link = await links.create({
      orderId,
      tiendaId: TEST_TIENDA.id,
      provider: 'paypal',
      currency: 'USD',
      items: [{ code: '101-roja-M', title: 'Polera roja M', quantity: 1, unitPrice: 19.9 }],
      total: 19.9,
      expiresAt: new Date(Date.now() + 30 * 60_000),
      notificationUrl: notificationUrlFor(h.url, 'paypal', TEST_TIENDA.id),
    });
    // Before approval the event is acknowledged and nothing is captured.
    const early = await send(h.paypal.orderApprovedEvent(h.paypal.getStoredOrder(link.providerRef)!));
    expect(early.status).toBe(200);
    expect(await early.json()).toMatchObject({ status: 'acknowledged', published: 0 });
    expect(h.paypal.capturesMade).toBe(0);

    const approved = h.paypal.approveOrder(link.providerRef);
    const approvedEvent = h.paypal.orderApprovedEvent(approved);
    const first = await send(approvedEvent);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ status: 'ok', event: 'payment_success', published: 1 });
    expect(h.paypal.capturesMade).toBe(1);

    const order = h.paypal.getStoredOrder(link.providerRef)!;
    const capture = (order.purchase_units[0]!.payments as { captures: Array<{ id: string; status: string }> }).captures[0]!;
    expect(capture.status).toBe('COMPLETED');
    // PayPal redelivers the approval, then sends the capture's own webhook; reconciliation reads it too.
    expect(await (await send(approvedEvent)).json()).toMatchObject({ published: 0, duplicates: 1 });
    const completed = await send(h.paypal.captureEvent(capture as FakeCapture, 'PAYMENT.CAPTURE.COMPLETED'));
    expect(await completed.json()).toMatchObject({ published: 0, duplicates: 1 });
    const reconciled = await links.findPayment(TEST_TIENDA.id, 'paypal', orderId, link.providerRef);
    expect(reconciled).toMatchObject({ outcome: 'success', idempotencyKey: `paypal:${capture.id}:COMPLETED` });
    expect(h.paypal.capturesMade).toBe(1);

    await h.payments.waitFor(1);
    await sleep(700);
    const published = h.payments.messages.filter((m) => m.attributes[ATTR.idempotencyKey] === `paypal:${capture.id}:COMPLETED`);
    expect(published).toHaveLength(1);
    expect(published[0]!.json<PaymentMsg>()).toMatchObject({
      event: 'payment_success',
      data: { provider: 'paypal', transaction_id: capture.id, status: 'COMPLETED', order_reference: orderId, amount: 19.9, currency: 'USD' },
    });
  });

  it('a capture PayPal refuses (instrument declined) is acknowledged without an event; PayPal down → 503, nothing published', async () => {
    const declined = h.paypal.setOrder({ id: 'ORDER-DECLINED-1', status: 'APPROVED', purchase_units: [{ custom_id: 'order-declined', amount: { currency_code: 'USD', value: '5.00' } }] });
    const capturesBefore = h.paypal.capturesMade;
    h.paypal.declineNextCapture();
    const refused = await send(h.paypal.orderApprovedEvent(declined));
    expect(refused.status).toBe(200);
    expect(await refused.json()).toMatchObject({ status: 'acknowledged', published: 0, note: 'capture_refused' });
    expect(h.paypal.capturesMade).toBe(capturesBefore);
    h.paypal.failNext(503, 2);
    expect((await send(h.paypal.orderApprovedEvent(declined))).status).toBe(503);
    await sleep(500);
    expect(h.payments.messages.filter((m) => m.json<PaymentMsg>().data.order_reference === 'order-declined')).toHaveLength(0);
  });
});

describe('a tienda whose provider cannot charge its currency is refused', () => {
  it('TiendaStore.upsert: PayPal in CLP → a ZodError on currency that names the alternatives; nothing stored', async () => {
    const { Firestore } = await import('@google-cloud/firestore');
    const db = new Firestore({ projectId: uniqueProjectId('tienda-currency') });
    const store = new TiendaStore(db, { cacheTtlMs: 0 });
    try {
      const error = await store
        .upsert({ id: 'tienda-pp-clp', name: 'PP', country: 'CL', currency: 'CLP', payment_provider: 'paypal' })
        .then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(ZodError);
      expect((error as ZodError).issues[0]).toMatchObject({ path: ['currency'], message: expect.stringMatching(/^PayPal cannot charge CLP: CLP can be charged with Mercado Pago or Flow/) });
      expect(await store.get('tienda-pp-clp')).toBeNull();
      expect((await store.upsert({ id: 'tienda-pp-usd', name: 'PP', country: 'US', currency: 'USD', payment_provider: 'paypal' })).status).toBe('created');
    } finally {
      await db.terminate();
    }
  });

  it('npm run tienda -- add (a real process): exit 2 and a clear message', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lss-tienda-'));
    const file = path.join(dir, 'tienda.json');
    writeFileSync(file, JSON.stringify({ id: 'tienda-pp', name: 'PayPal CLP', country: 'CL', currency: 'CLP', payment_provider: 'paypal' }));
    const result = await promisify(execFile)(path.join('node_modules', '.bin', 'tsx'), ['scripts/tienda.ts', 'add', file], {
      env: { ...process.env, GOOGLE_CLOUD_PROJECT: uniqueProjectId('tienda-cli') },
      timeout: 60_000,
    }).then(
      (r) => ({ code: 0, stderr: r.stderr }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/invalid tienda:\n {2}- currency: PayPal cannot charge CLP: CLP can be charged with Mercado Pago or Flow/);
  });
});
