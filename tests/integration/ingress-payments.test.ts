import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTR } from '../../shared/topology/topology.js';
import { startIngressHarness, TEST_SECRETS, TEST_TIENDA, type IngressHarness } from '../helpers/ingress-harness.js';
import { sleep } from '../helpers/test-kit.js';

type PaymentMsg = { event: string; timestamp: string; data: { provider: string; transaction_id: string; status: string; order_reference: string | null; amount: number | null; currency: string | null; reason: string | null; tienda_id: string } };

describe('payment webhooks on the emulators with the providers\' wire-level fakes', () => {
  let h: IngressHarness;
  beforeAll(async () => {
    h = await startIngressHarness();
  });
  afterAll(() => h.close());

  const paymentsFor = (provider: string, tx: string) =>
    h.payments.messages.filter((m) => {
      const d = m.json<PaymentMsg>().data;
      return d.provider === provider && d.transaction_id === tx;
    });
  const mpPath = `/webhooks/mercadopago/${TEST_TIENDA.id}`;

  describe('Mercado Pago', () => {
    const notify = (paymentId: number, overrides: { secret?: string; ts?: number } = {}) =>
      h.mp.deliverNotification(h.url, h.mp.signedNotification({ paymentId, secret: overrides.secret ?? TEST_SECRETS.mpWebhookSecret, path: mpPath, ...(overrides.ts ? { ts: overrides.ts } : {}) }));

    it('approved → payment_success once, with the re-read data; pending → nothing; pending→approved publishes approved once', async () => {
      h.mp.setPayment({ id: 5001, status: 'pending', external_reference: 'order-5001', transaction_amount: 9990, currency_id: 'CLP' });
      const pending = await notify(5001);
      expect(pending.status).toBe(200);
      expect(JSON.parse(pending.body)).toMatchObject({ status: 'acknowledged', published: 0 });
      h.mp.setPayment({ id: 5001, status: 'approved', external_reference: 'order-5001', transaction_amount: 9990, currency_id: 'CLP' });
      expect((await notify(5001)).status).toBe(200);
      expect((await notify(5001)).status).toBe(200); // MP re-notifies
      await h.payments.waitFor(1);
      await sleep(700);
      const msgs = paymentsFor('mercadopago', '5001');
      expect(msgs).toHaveLength(1);
      expect(msgs[0]!.json<PaymentMsg>()).toMatchObject({
        event: 'payment_success',
        data: { provider: 'mercadopago', tienda_id: TEST_TIENDA.id, transaction_id: '5001', order_reference: 'order-5001', amount: 9990, currency: 'CLP', status: 'approved', reason: 'accredited' },
      });
      expect(msgs[0]!.attributes).toMatchObject({ [ATTR.event]: 'payment_success', [ATTR.idempotencyKey]: 'mercadopago:5001:approved', [ATTR.tiendaId]: TEST_TIENDA.id });
    });

    it.each(['rejected', 'cancelled'])('%s → payment_failure once', async (status) => {
      const id = status === 'rejected' ? 5002 : 5003;
      h.mp.setPayment({ id, status, external_reference: `order-${id}` });
      expect((await notify(id)).status).toBe(200);
      expect((await notify(id)).status).toBe(200);
      await sleep(900);
      const msgs = paymentsFor('mercadopago', String(id));
      expect(msgs).toHaveLength(1);
      expect(msgs[0]!.json<PaymentMsg>()).toMatchObject({ event: 'payment_failure', data: { status } });
    });

    it('bad signature, stale ts → 401; unknown tienda → 404; nothing published, the API never called', async () => {
      h.mp.setPayment({ id: 5010, status: 'approved' });
      const before = h.mp.requests.length;
      expect((await notify(5010, { secret: 'wrong' })).status).toBe(401);
      expect((await notify(5010, { ts: Math.floor(Date.now() / 1000) - 3600 })).status).toBe(401);
      const n = h.mp.signedNotification({ paymentId: 5010, secret: TEST_SECRETS.mpWebhookSecret, path: '/webhooks/mercadopago/no-such-tienda' });
      expect((await h.mp.deliverNotification(h.url, n)).status).toBe(404);
      const unsigned = await fetch(`${h.url}${mpPath}?data.id=5010&type=payment`, { method: 'POST', body: '{"type":"payment","data":{"id":"5010"}}' });
      expect(unsigned.status).toBe(401);
      await sleep(600);
      expect(h.mp.requests.length).toBe(before);
      expect(paymentsFor('mercadopago', '5010')).toHaveLength(0);
    });

    it('provider outage → 503 and the claim-free retry later publishes once', async () => {
      h.mp.setPayment({ id: 5020, status: 'approved' });
      h.mp.failNext(503, 1);
      expect((await notify(5020)).status).toBe(503);
      expect((await notify(5020)).status).toBe(200);
      await sleep(800);
      expect(paymentsFor('mercadopago', '5020')).toHaveLength(1);
    });
  });

  describe('Flow', () => {
    const confirm = (token: string, tienda = TEST_TIENDA.id) =>
      fetch(`${h.url}/webhooks/flow/${tienda}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${token}` });

    it('status 2 → payment_success once; 3 and 4 → payment_failure; 1 → nothing', async () => {
      const paid = h.flow.addPayment({ apiKey: TEST_SECRETS.flowApiKey, commerceOrder: 'order-f1', amount: 19990, status: 2 });
      const rejected = h.flow.addPayment({ apiKey: TEST_SECRETS.flowApiKey, commerceOrder: 'order-f2', amount: 100, status: 3 });
      const cancelled = h.flow.addPayment({ apiKey: TEST_SECRETS.flowApiKey, commerceOrder: 'order-f3', amount: 100, status: 4 });
      const pending = h.flow.addPayment({ apiKey: TEST_SECRETS.flowApiKey, commerceOrder: 'order-f4', amount: 100, status: 1 });
      for (const t of [paid, paid, rejected, cancelled, pending]) expect((await confirm(t.token)).status).toBe(200);
      await sleep(1000);
      const get = (p: { payment: { flowOrder: number } }) => paymentsFor('flow', String(p.payment.flowOrder));
      expect(get(paid)).toHaveLength(1);
      expect(get(paid)[0]!.json<PaymentMsg>()).toMatchObject({ event: 'payment_success', data: { order_reference: 'order-f1', amount: 19990, status: '2' } });
      expect(get(rejected)[0]!.json<PaymentMsg>()).toMatchObject({ event: 'payment_failure', data: { status: '3', reason: 'rejected' } });
      expect(get(cancelled)[0]!.json<PaymentMsg>()).toMatchObject({ event: 'payment_failure', data: { status: '4', reason: 'cancelled' } });
      expect(get(pending)).toHaveLength(0);
    });

    it('a token Flow does not know → 401; no token → 400; unknown tienda → 404', async () => {
      expect((await confirm('0123456789abcdef0123456789abcdef01234567')).status).toBe(401);
      expect((await fetch(`${h.url}/webhooks/flow/${TEST_TIENDA.id}`, { method: 'POST', body: 'nothing=here' })).status).toBe(400);
      const p = h.flow.addPayment({ apiKey: TEST_SECRETS.flowApiKey, commerceOrder: 'order-f9', amount: 1, status: 2 });
      expect((await confirm(p.token, 'no-such-tienda')).status).toBe(404);
      await sleep(500);
      expect(paymentsFor('flow', String(p.payment.flowOrder))).toHaveLength(0);
    });
  });

  describe('PayPal (offline certificate verification with a certificate this test run made)', () => {
    const send = (event: unknown, opts: { tamper?: boolean; webhookId?: string; tienda?: string } = {}) => {
      const signed = h.paypal.signedWebhook(event, { webhookId: opts.webhookId ?? TEST_SECRETS.paypalWebhookId });
      const body = opts.tamper ? signed.body.replace('"COMPLETED"', '"C0MPLETED"') : signed.body;
      return fetch(`${h.url}/webhooks/paypal/${opts.tienda ?? TEST_TIENDA.id}`, { method: 'POST', headers: { ...signed.headers, 'content-type': 'application/json' }, body });
    };

    it('PAYMENT.CAPTURE.COMPLETED → payment_success once (capture re-read)', async () => {
      const capture = h.paypal.setCapture({ id: 'CAP-OK-1', status: 'COMPLETED', amount: { currency_code: 'USD', value: '12.34' }, custom_id: 'order-p1' });
      const event = h.paypal.captureEvent(capture, 'PAYMENT.CAPTURE.COMPLETED');
      expect((await send(event)).status).toBe(200);
      expect((await send(event)).status).toBe(200);
      await sleep(900);
      const msgs = paymentsFor('paypal', 'CAP-OK-1');
      expect(msgs).toHaveLength(1);
      expect(msgs[0]!.json<PaymentMsg>()).toMatchObject({ event: 'payment_success', data: { order_reference: 'order-p1', amount: 12.34, currency: 'USD', status: 'COMPLETED' } });
    });

    it('PAYMENT.CAPTURE.DENIED and CHECKOUT.PAYMENT-APPROVAL.REVERSED → payment_failure', async () => {
      const denied = h.paypal.setCapture({ id: 'CAP-DENIED-1', status: 'DECLINED', amount: { currency_code: 'USD', value: '5.00' }, custom_id: 'order-p2' });
      expect((await send(h.paypal.captureEvent(denied, 'PAYMENT.CAPTURE.DENIED'))).status).toBe(200);
      const order = h.paypal.setOrder({ id: 'ORDER-REV-1', status: 'VOIDED', intent: 'CAPTURE', purchase_units: [{ custom_id: 'order-p3', amount: { currency_code: 'USD', value: '7.00' } }] });
      expect((await send(h.paypal.reversalEvent(order))).status).toBe(200);
      await sleep(900);
      expect(paymentsFor('paypal', 'CAP-DENIED-1')[0]!.json<PaymentMsg>().event).toBe('payment_failure');
      const reversed = h.payments.messages.filter((m) => m.attributes[ATTR.idempotencyKey]?.startsWith('paypal:ORDER-REV-1'));
      expect(reversed).toHaveLength(1);
      expect(reversed[0]!.json<PaymentMsg>().event).toBe('payment_failure');
    });

    it('tampered body or another webhook id → 401, nothing published; unknown tienda → 404', async () => {
      const capture = h.paypal.setCapture({ id: 'CAP-BAD-1', status: 'COMPLETED', amount: { currency_code: 'USD', value: '1.00' } });
      const event = h.paypal.captureEvent(capture, 'PAYMENT.CAPTURE.COMPLETED');
      expect((await send(event, { tamper: true })).status).toBe(401);
      expect((await send(event, { webhookId: 'WH-SOMEONE-ELSE' })).status).toBe(401);
      expect((await send(event, { tienda: 'no-such-tienda' })).status).toBe(404);
      await sleep(600);
      expect(paymentsFor('paypal', 'CAP-BAD-1')).toHaveLength(0);
    });
  });
});
