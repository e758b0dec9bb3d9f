import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { flowPaymentToEvent } from '../../shared/providers/flow-payment.js';
import { mercadoPagoPaymentToEvent } from '../../shared/providers/mercadopago-payment.js';
import { currencyRefusal, formatProviderAmount } from '../../shared/payments/currency-rules.js';
import { PaymentLinkRefusedError, PaymentProviderUnavailableError } from '../../shared/payments/payment-errors.js';
import { MemoryPaymentLinkStore } from '../../shared/payments/payment-link-store.js';
import { PaymentLinks, type PaymentLinksOptions } from '../../shared/payments/payment-links.js';
import { notificationUrlFor, type PaymentLinkRequest } from '../../shared/payments/payment-types.js';
import { TransientError } from '../../shared/pubsub/handler-errors.js';
import { SecretNotFoundError, type SecretSource } from '../../shared/secrets/secret-source.js';
import { flowSign, startFlowFake, type FlowFake } from '../fakes/flow-fake.js';
import { startMercadoPagoFake, type MercadoPagoFake } from '../fakes/mercadopago-fake.js';
import { startPayPalFake, type PayPalFake } from '../fakes/paypal-fake.js';

const TIENDA = 'tienda-links';
const CREDS = {
  mpToken: 'TEST-mp-links-token',
  flowApiKey: 'TEST-flow-links-key',
  flowSecret: 'test-flow-links-secret',
  paypalId: 'TEST-paypal-links-id',
  paypalSecret: 'test-paypal-links-secret',
};
const INGRESS = 'https://ingress.example.test';
const RETURN_URL = 'https://tienda.example.test/gracias';

/**
 * A SecretSource that caches like Secret Manager does: `get` keeps serving the value it read first, `refresh`
 * reads the current one. Rotating `current` is how a test makes the cached credential stale.
 */
class CachingSecrets implements SecretSource {
  readonly cached = new Map<string, string>();
  refreshes = 0;
  constructor(readonly current: Record<string, string>) {}
  async get(id: string) {
    const hit = this.cached.get(id);
    if (hit !== undefined) return hit;
    return this.refresh(id, false);
  }
  async getOptional(id: string) {
    return this.current[id];
  }
  async refresh(id: string, counted = true) {
    if (counted) this.refreshes++;
    const value = this.current[id];
    if (value === undefined) throw new SecretNotFoundError(id);
    this.cached.set(id, value);
    return value;
  }
}

function tiendaSecrets(): Record<string, string> {
  return {
    [`tienda-${TIENDA}-mercadopago-access-token`]: CREDS.mpToken,
    [`tienda-${TIENDA}-flow-api-key`]: CREDS.flowApiKey,
    [`tienda-${TIENDA}-flow-secret-key`]: CREDS.flowSecret,
    [`tienda-${TIENDA}-paypal-client-id`]: CREDS.paypalId,
    [`tienda-${TIENDA}-paypal-client-secret`]: CREDS.paypalSecret,
  };
}

let counter = 0;
const newOrderId = () => `ord-${Date.now().toString(36)}-${++counter}`;

function linkRequest(provider: PaymentLinkRequest['provider'], overrides: Partial<PaymentLinkRequest> = {}): PaymentLinkRequest {
  const usd = provider === 'paypal';
  return {
    orderId: newOrderId(),
    tiendaId: TIENDA,
    provider,
    currency: usd ? 'USD' : 'CLP',
    items: usd
      ? [{ code: '101-roja-M', title: 'Polera roja talla M', quantity: 2, unitPrice: 12.5 }]
      : [{ code: '101-roja-M', title: 'Polera roja talla M', quantity: 2, unitPrice: 15990 }],
    total: usd ? 25 : 31980,
    expiresAt: new Date(Date.now() + 30 * 60_000),
    buyerName: 'Javiera',
    notificationUrl: notificationUrlFor(INGRESS, provider, TIENDA),
    ...overrides,
  };
}

async function refusal(promise: Promise<unknown>): Promise<PaymentLinkRefusedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PaymentLinkRefusedError);
  return error as PaymentLinkRefusedError;
}

async function unavailable(promise: Promise<unknown>): Promise<PaymentProviderUnavailableError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PaymentProviderUnavailableError);
  expect(error).toBeInstanceOf(TransientError);
  return error as PaymentProviderUnavailableError;
}

describe('payment links against the providers\' wire-level fakes', () => {
  let mp: MercadoPagoFake;
  let flow: FlowFake;
  let paypal: PayPalFake;
  let secrets: CachingSecrets;
  let links: PaymentLinks;
  const build = (options: Partial<PaymentLinksOptions> = {}) =>
    new PaymentLinks({
      secrets,
      mercadopagoApiUrl: mp.url,
      flowApiUrl: flow.url,
      paypalApiUrl: paypal.url,
      timeoutMs: 800,
      returnUrl: RETURN_URL,
      flowPayerEmail: 'pagos@tienda.example.test',
      linkStore: new MemoryPaymentLinkStore(),
      ...options,
    });

  beforeAll(async () => {
    [mp, flow, paypal] = await Promise.all([
      startMercadoPagoFake({ accessTokens: [CREDS.mpToken] }),
      startFlowFake({ merchants: [{ apiKey: CREDS.flowApiKey, secretKey: CREDS.flowSecret }] }),
      startPayPalFake({ clients: [{ clientId: CREDS.paypalId, clientSecret: CREDS.paypalSecret }] }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([mp.close(), flow.close(), paypal.close()]);
  });
  beforeEach(() => {
    secrets = new CachingSecrets(tiendaSecrets());
    links = build();
  });

  describe('Mercado Pago Checkout Pro', () => {
    it('creates a preference with the order as external_reference, the tienda\'s ingress route, the reservation\'s expiry and X-Idempotency-Key; link = init_point', async () => {
      const req = linkRequest('mercadopago');
      const link = await links.create(req);
      const preference = mp.preferences.get(link.providerRef)!;
      expect(link).toEqual({ provider: 'mercadopago', url: preference.init_point, providerRef: preference.id, expiresAt: req.expiresAt });
      const sent = mp.preferenceRequests.at(-1)!;
      expect(sent.headers.authorization).toBe(`Bearer ${CREDS.mpToken}`);
      expect(sent.headers['x-idempotency-key']).toBe(req.orderId);
      const body = sent.body as Record<string, any>;
      expect(body.external_reference).toBe(req.orderId);
      expect(body.notification_url).toBe(`${INGRESS}/webhooks/mercadopago/${TIENDA}?source_news=webhooks`);
      expect(body.expires).toBe(true);
      expect(Date.parse(body.expiration_date_to)).toBe(req.expiresAt.getTime());
      expect(Date.parse(body.date_of_expiration)).toBe(req.expiresAt.getTime());
      expect(body.items).toEqual([{ id: '101-roja-M', title: 'Polera roja talla M', quantity: 2, unit_price: 15990, currency_id: 'CLP' }]);
      expect(body.back_urls.success).toBe(RETURN_URL);
    });

    it('the same order twice → the same link and one preference at Mercado Pago', async () => {
      const req = linkRequest('mercadopago');
      const before = mp.preferences.size;
      const [a, b] = [await links.create(req), await links.create(req)];
      expect(b).toEqual(a);
      expect(mp.preferences.size).toBe(before + 1);
    });

    it('500, 429 and a hang → transient; a 400 → refused (validation_failed)', async () => {
      mp.failNext(500);
      expect((await unavailable(links.create(linkRequest('mercadopago')))).providerStatus).toBe(500);
      mp.failNext(429);
      expect((await unavailable(links.create(linkRequest('mercadopago')))).providerStatus).toBe(429);
      mp.delayNext(2000);
      await unavailable(links.create(linkRequest('mercadopago')));
      mp.failNext(400);
      expect((await refusal(links.create(linkRequest('mercadopago')))).code).toBe('validation_failed');
    });

    it('a rotated token is re-read once and works; a token MP rejects twice → refused (bad_credentials)', async () => {
      const id = `tienda-${TIENDA}-mercadopago-access-token`;
      secrets.cached.set(id, 'TEST-old-token');
      await links.create(linkRequest('mercadopago'));
      expect(secrets.refreshes).toBe(1);
      secrets.cached.clear();
      secrets.current[id] = 'TEST-revoked-token';
      const before = mp.requests.length;
      expect((await refusal(links.create(linkRequest('mercadopago')))).code).toBe('bad_credentials');
      expect(mp.requests.length - before).toBe(2);
    });

    it('refuses before calling MP: decimals in CLP, a total that is not the sum, a currency MP cannot charge, an expired reservation', async () => {
      const before = mp.requests.length;
      const item = { code: 'x', title: 'X', quantity: 1, unitPrice: 990.5 };
      expect((await refusal(links.create(linkRequest('mercadopago', { items: [item], total: 990.5 })))).code).toBe('invalid_amount');
      expect((await refusal(links.create(linkRequest('mercadopago', { total: 1 })))).code).toBe('invalid_amount');
      expect((await refusal(links.create(linkRequest('mercadopago', { currency: 'USD' })))).code).toBe('currency_not_supported');
      expect((await refusal(links.create(linkRequest('mercadopago', { expiresAt: new Date(Date.now() + 1000) })))).code).toBe('reservation_expired');
      expect(mp.requests.length).toBe(before);
    });

    it('findPayment: none before paying; the approved payment (after a rejected one) with the key the ingress uses', async () => {
      const req = linkRequest('mercadopago');
      await links.create(req);
      expect(await links.findPayment(TIENDA, 'mercadopago', req.orderId)).toMatchObject({ outcome: 'none', data: null });
      mp.approve(req.orderId, 'rejected');
      expect((await links.findPayment(TIENDA, 'mercadopago', req.orderId)).outcome).toBe('failure');
      const payment = mp.approve(req.orderId, 'approved');
      const found = await links.findPayment(TIENDA, 'mercadopago', req.orderId);
      const ingress = mercadoPagoPaymentToEvent(payment as never, TIENDA);
      expect(found).toEqual({ outcome: 'success', event: 'payment_success', data: ingress.data, idempotencyKey: ingress.idempotencyKey });
      expect(found.idempotencyKey).toBe(`mercadopago:${payment.id}:approved`);
      expect(found.data).toMatchObject({ order_reference: req.orderId, amount: 31980, currency: 'CLP' });
    });
  });

  describe('Flow', () => {
    it('signed payment/create: commerceOrder = order, urlConfirmation = the ingress, timeout = the reservation; link = url?token=', async () => {
      const req = linkRequest('flow');
      const link = await links.create(req);
      const sent = flow.createRequests.at(-1)!;
      expect(link.url).toBe(`${flow.url}/app/web/pay.php?token=${link.providerRef}`);
      expect(sent).toMatchObject({
        apiKey: CREDS.flowApiKey,
        commerceOrder: req.orderId,
        amount: '31980',
        currency: 'CLP',
        urlConfirmation: `${INGRESS}/webhooks/flow/${TIENDA}`,
        urlReturn: RETURN_URL,
        email: 'pagos@tienda.example.test',
      });
      expect(sent.s).toBe(flowSign(sent, CREDS.flowSecret));
      expect(Number(sent.timeout)).toBeGreaterThan(29 * 60);
      expect(Number(sent.timeout)).toBeLessThanOrEqual(30 * 60);
      expect(flow.getStoredPayment(link.providerRef)).toMatchObject({ commerceOrder: req.orderId, amount: 31980, status: 1 });
    });

    it('the same order twice → the same link and one Flow payment (Flow has no idempotency key: the link store answers)', async () => {
      const req = linkRequest('flow');
      const [a, b] = [await links.create(req), await links.create(req)];
      expect(b).toEqual(a);
      expect(flow.paymentsFor(req.orderId)).toHaveLength(1);
    });

    it('500, 429 and a hang → transient; a bad secret key (signature) → refused after one refresh; an order already paid → refused (already_paid)', async () => {
      flow.failNext(500);
      await unavailable(links.create(linkRequest('flow')));
      flow.failNext(429);
      await unavailable(links.create(linkRequest('flow')));
      flow.delayNext(2000);
      await unavailable(links.create(linkRequest('flow')));
      secrets.current[`tienda-${TIENDA}-flow-secret-key`] = 'not-the-secret';
      secrets.cached.clear();
      expect((await refusal(links.create(linkRequest('flow'))))).toMatchObject({ code: 'bad_credentials', providerStatus: 401 });
      secrets.current[`tienda-${TIENDA}-flow-secret-key`] = CREDS.flowSecret;
      secrets.cached.clear();
      const paid = linkRequest('flow');
      await links.create(paid);
      flow.approve(paid.orderId);
      expect((await refusal(build().create(paid))).code).toBe('already_paid');
    });

    it('refuses without a payer email or return URL, and a currency Flow cannot charge', async () => {
      expect((await refusal(build({ flowPayerEmail: undefined }).create(linkRequest('flow')))).code).toBe('validation_failed');
      expect((await refusal(build({ returnUrl: undefined }).create(linkRequest('flow')))).code).toBe('missing_return_url');
      expect((await refusal(links.create(linkRequest('flow', { currency: 'USD', items: [{ code: 'a', title: 'A', quantity: 1, unitPrice: 10 }], total: 10 })))).code).toBe('currency_not_supported');
    });

    it('findPayment by commerce order: none, pending, then paid with the key the ingress uses', async () => {
      expect((await links.findPayment(TIENDA, 'flow', 'never-created')).outcome).toBe('none');
      const req = linkRequest('flow');
      await links.create(req);
      expect((await links.findPayment(TIENDA, 'flow', req.orderId)).outcome).toBe('pending');
      const { payment } = flow.approve(req.orderId);
      const found = await links.findPayment(TIENDA, 'flow', req.orderId);
      const ingress = flowPaymentToEvent(payment as never, TIENDA);
      expect(found).toEqual({ outcome: 'success', event: 'payment_success', data: ingress.data, idempotencyKey: `flow:${payment.flowOrder}:2` });
    });
  });

  describe('PayPal Orders v2', () => {
    it('intent CAPTURE, PayPal-Request-Id = order, custom_id/invoice_id = order, amounts as strings, experience_context; link = payer-action', async () => {
      const req = linkRequest('paypal');
      const link = await links.create(req);
      expect(link.url).toBe(`${paypal.url}/checkoutnow?token=${link.providerRef}`);
      const sent = paypal.orderRequests.at(-1)!;
      expect(sent.headers['paypal-request-id']).toBe(req.orderId);
      expect(sent.headers.authorization).toMatch(/^Bearer A21AA/);
      const body = sent.body as Record<string, any>;
      expect(body.intent).toBe('CAPTURE');
      expect(body.purchase_units[0]).toMatchObject({
        reference_id: req.orderId,
        custom_id: req.orderId,
        invoice_id: req.orderId,
        amount: { currency_code: 'USD', value: '25.00', breakdown: { item_total: { currency_code: 'USD', value: '25.00' } } },
        items: [{ quantity: '2', unit_amount: { currency_code: 'USD', value: '12.50' } }],
      });
      expect(body.payment_source.paypal.experience_context).toMatchObject({ return_url: RETURN_URL, cancel_url: RETURN_URL, user_action: 'PAY_NOW' });
      expect(paypal.getStoredOrder(link.providerRef)?.status).toBe('PAYER_ACTION_REQUIRED');
    });

    it('the same order twice → the same PayPal order; JPY without decimals is accepted, CLP refused before calling PayPal', async () => {
      const req = linkRequest('paypal');
      const [a, b] = [await links.create(req), await links.create(req)];
      expect(b).toEqual(a);
      const jpy = await links.create(linkRequest('paypal', { currency: 'JPY', items: [{ code: 'a', title: 'A', quantity: 1, unitPrice: 1500 }], total: 1500 }));
      expect(paypal.getStoredOrder(jpy.providerRef)?.purchase_units[0]).toMatchObject({ amount: { currency_code: 'JPY', value: '1500' } });
      const before = paypal.orderRequests.length;
      const clp = await refusal(links.create(linkRequest('paypal', { currency: 'CLP', items: [{ code: 'a', title: 'A', quantity: 1, unitPrice: 15990 }], total: 15990 })));
      expect(clp.code).toBe('currency_not_supported');
      expect(clp.message).toMatch(/PayPal cannot charge CLP/);
      expect(paypal.orderRequests.length).toBe(before);
    });

    it('500, 429 and a hang → transient; a 400 → refused; client credentials PayPal rejects → refused after one refresh', async () => {
      await links.create(linkRequest('paypal')); // a token is cached: the scripted answers below hit the orders call
      paypal.failNext(500);
      await unavailable(links.create(linkRequest('paypal')));
      paypal.failNext(429);
      await unavailable(links.create(linkRequest('paypal')));
      paypal.delayNext(2000);
      await unavailable(links.create(linkRequest('paypal')));
      paypal.failNext(400);
      expect((await refusal(links.create(linkRequest('paypal')))).code).toBe('validation_failed');
      secrets.current[`tienda-${TIENDA}-paypal-client-secret`] = 'wrong';
      secrets.cached.clear();
      const tokensBefore = paypal.tokenRequests;
      expect((await refusal(links.create(linkRequest('paypal')))).code).toBe('bad_credentials');
      expect(paypal.tokenRequests - tokensBefore).toBe(2);
      expect(secrets.refreshes).toBe(2);
    });

    it('findPayment: pending until approved; approved → captured once, success with the capture\'s key; again → the same answer, no second capture', async () => {
      const req = linkRequest('paypal');
      const link = await links.create(req);
      expect(await links.findPayment(TIENDA, 'paypal', req.orderId, link.providerRef)).toMatchObject({ outcome: 'pending', event: null });
      paypal.approveOrder(link.providerRef);
      const capturesBefore = paypal.capturesMade;
      const [found, again] = await Promise.all([
        links.findPayment(TIENDA, 'paypal', req.orderId, link.providerRef),
        links.capturePayPalOrder(TIENDA, link.providerRef),
      ]);
      const capture = (paypal.getStoredOrder(link.providerRef)!.purchase_units[0]!.payments as { captures: Array<{ id: string }> }).captures[0]!;
      expect(found).toMatchObject({ outcome: 'success', event: 'payment_success', idempotencyKey: `paypal:${capture.id}:COMPLETED` });
      expect(found.data).toMatchObject({ provider: 'paypal', transaction_id: capture.id, order_reference: req.orderId, amount: 25, currency: 'USD' });
      expect(again).toEqual(found);
      expect(await links.findPayment(TIENDA, 'paypal', req.orderId, link.providerRef)).toEqual(found);
      expect(paypal.capturesMade - capturesBefore).toBe(1);
      expect((await links.findPayment(TIENDA, 'paypal', 'another-order', link.providerRef)).outcome).toBe('none');
      expect((await links.findPayment(TIENDA, 'paypal', req.orderId, 'NO-SUCH-ORDER')).outcome).toBe('none');
      expect((await links.findPayment(TIENDA, 'paypal', req.orderId)).outcome).toBe('none');
    });
  });
});

describe('currency rules', () => {
  it('amounts in each provider\'s format, never rounded', () => {
    expect(formatProviderAmount('mercadopago', 'CLP', 15990)).toBe('15990');
    expect(formatProviderAmount('mercadopago', 'CLP', 15990.5)).toBeNull();
    expect(formatProviderAmount('mercadopago', 'MXN', 199.9)).toBe('199.90');
    expect(formatProviderAmount('paypal', 'USD', 0.1 + 0.2)).toBe('0.30');
    expect(formatProviderAmount('paypal', 'USD', 1.005)).toBeNull();
    expect(formatProviderAmount('paypal', 'JPY', 1500)).toBe('1500');
    expect(formatProviderAmount('paypal', 'CLP', 1500)).toBeNull();
    expect(formatProviderAmount('flow', 'CLP', 0)).toBeNull();
  });

  it('says which providers can charge a currency the chosen one cannot', () => {
    expect(currencyRefusal('paypal', 'CLP')).toMatch(/^PayPal cannot charge CLP: CLP can be charged with Mercado Pago or Flow/);
    expect(currencyRefusal('flow', 'USD')).toMatch(/^Flow cannot charge USD: USD can be charged with PayPal/);
    expect(currencyRefusal('mercadopago', 'CLP')).toBeNull();
    expect(currencyRefusal('paypal', 'MXN')).toBeNull();
  });
});
