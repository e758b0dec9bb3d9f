import { createHmac, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken, escapeHtml, header, jsonSender, listen, parseJson, readBody, redirect, scriptQueue, sendHtml, sleep } from './fake-http.js';

/**
 * A wire-level stand-in for the Mercado Pago API (tests and local demos). Speaks MP's JSON shapes and error
 * bodies; knows nothing about our code (signing is re-implemented here from MP's docs, not imported).
 *
 * - `GET /v1/payments/{id}`: from the in-memory store; 401 for an unknown token, 404 for an unknown payment.
 * - `POST /checkout/preferences`: creates a preference (id, init_point, sandbox_init_point); honours
 *   `X-Idempotency-Key` (same key → the same preference, one resource); validates the body the way MP answers it
 *   (items, integer prices in CLP/COP, one currency, notification_url, expiration dates, auto_return needing
 *   back_urls.success) with MP's 400 body. Every creation request is kept in `preferenceRequests`.
 * - `GET /v1/payments/search?external_reference=`: `{paging, results}`, newest first.
 * - `approve(externalReference)`: a buyer pays the order's latest preference (no webhook sent).
 * - `GET /checkout/v1/redirect?pref_id=`: a tiny "checkout" page for demos, with approve / reject links.
 * - Scripting: `failNext(status)` (5xx/429), `delayNext(ms)` (timeouts).
 * - `signedNotification()` builds the webhook MP would send (query, headers with `x-signature`, body).
 */

export interface MercadoPagoFakeOptions {
  /** Access tokens accepted as `Authorization: Bearer`. */
  accessTokens?: string[];
  port?: number;
  host?: string;
  /** The seller's MP user id (`collector_id`, notification `user_id`). */
  collectorId?: number;
  /** Where demo payments made through the checkout page are notified from (signed with this secret). */
  webhookSecret?: string;
}

export type FakeMercadoPagoPayment = Record<string, unknown> & {
  id: number;
  status: string;
  status_detail: string;
  external_reference: string | null;
  transaction_amount: number;
  currency_id: string;
};

export interface FakePreference extends Record<string, unknown> {
  id: string;
  init_point: string;
  sandbox_init_point: string;
  external_reference: string | null;
  notification_url: string | null;
  items: Array<{ id?: string; title: string; quantity: number; unit_price: number; currency_id?: string }>;
}

export interface SignedMercadoPagoNotification {
  /** Path plus query string to POST to, e.g. `/webhooks/mercadopago?data.id=123&type=payment`. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
}

export interface MercadoPagoFake {
  url: string;
  close(): Promise<void>;
  addAccessToken(token: string): void;
  /** Stores a payment; missing fields are filled with a realistic approved card payment. */
  setPayment(payment: Partial<FakeMercadoPagoPayment> & { id: number }): FakeMercadoPagoPayment;
  getStoredPayment(id: number | string): FakeMercadoPagoPayment | undefined;
  preferences: Map<string, FakePreference>;
  /** Simulates a buyer paying a preference: creates the payment (external_reference, amount from items). */
  payPreference(preferenceId: string, status?: 'approved' | 'rejected' | 'pending' | 'cancelled'): FakeMercadoPagoPayment;
  /** The next `count` API requests answer `status` with MP's error body. */
  failNext(status: number, count?: number): void;
  /** The next `count` API requests wait `ms` before answering. */
  delayNext(ms: number, count?: number): void;
  /** Method and path of every API request received, in order. */
  requests: Array<{ method: string; path: string }>;
  /** Every `POST /checkout/preferences` received (headers lower-case, parsed body), including refused ones. */
  preferenceRequests: Array<{ headers: Record<string, string | undefined>; body: unknown }>;
  /** The buyer pays (or fails to pay) the latest preference whose external_reference is `externalReference`. */
  approve(externalReference: string, status?: 'approved' | 'rejected' | 'pending' | 'cancelled'): FakeMercadoPagoPayment;
  signedNotification(input: SignedNotificationInput): SignedMercadoPagoNotification;
  /** POSTs a notification to `baseUrl + notification.path`; returns the status and body. */
  deliverNotification(baseUrl: string, notification: SignedMercadoPagoNotification): Promise<{ status: number; body: string }>;
}

export interface SignedNotificationInput {
  paymentId: number | string;
  secret: string;
  requestId?: string;
  /** Seconds, as MP sends it. Default now. */
  ts?: number | string;
  /** Route path on our side. Default `/webhooks/mercadopago`. */
  path?: string;
  action?: 'payment.created' | 'payment.updated';
  liveMode?: boolean;
  userId?: number;
  dateCreated?: string;
}

const UNAUTHORIZED = { message: 'invalid access token', error: 'unauthorized', status: 401, cause: [] };
const NOT_FOUND = { message: 'Payment not found', error: 'not_found', status: 404, cause: [{ code: 2000, description: 'Payment not found' }] };
const ERROR_BODIES: Record<number, object> = {
  429: { message: 'Too many requests', error: 'too_many_requests', status: 429, cause: [] },
  500: { message: 'Internal server error', error: 'internal_error', status: 500, cause: [] },
  502: { message: 'Bad Gateway', error: 'bad_gateway', status: 502, cause: [] },
  503: { message: 'Service unavailable', error: 'service_unavailable', status: 503, cause: [] },
};

/** MP spells its JSON content-type in lower case. */
const sendJson = jsonSender(() => ({ 'content-type': 'application/json; charset=utf-8' }));

const DETAIL_BY_STATUS: Record<string, string> = {
  approved: 'accredited',
  rejected: 'cc_rejected_insufficient_amount',
  pending: 'pending_waiting_payment',
  in_process: 'pending_contingency',
  cancelled: 'expired',
  refunded: 'refunded',
};

/** A full `GET /v1/payments/{id}` body, shaped like a real approved Checkout Pro card payment. */
export function buildMercadoPagoPayment(
  overrides: Partial<FakeMercadoPagoPayment> & { id: number },
  collectorId = 1234567890,
): FakeMercadoPagoPayment {
  const status = overrides.status ?? 'approved';
  const amount = overrides.transaction_amount ?? 15990;
  const created = '2026-11-29T10:04:58.000-04:00';
  const base: FakeMercadoPagoPayment = {
    id: overrides.id,
    date_created: created,
    date_approved: status === 'approved' ? '2026-11-29T10:05:01.000-04:00' : null,
    date_last_updated: '2026-11-29T10:05:01.000-04:00',
    date_of_expiration: null,
    money_release_date: status === 'approved' ? '2026-12-17T10:05:01.000-04:00' : null,
    money_release_status: status === 'approved' ? 'pending' : null,
    operation_type: 'regular_payment',
    issuer_id: '310',
    payment_method_id: 'visa',
    payment_type_id: 'credit_card',
    payment_method: { id: 'visa', type: 'credit_card', issuer_id: '310' },
    status,
    status_detail: DETAIL_BY_STATUS[status] ?? status,
    currency_id: 'CLP',
    description: 'Polera roja talla M',
    live_mode: false,
    sponsor_id: null,
    authorization_code: status === 'approved' ? '301299' : null,
    money_release_schema: null,
    taxes_amount: 0,
    counter_currency: null,
    brand_id: null,
    shipping_amount: 0,
    build_version: '3.78.0',
    pos_id: null,
    store_id: null,
    integrator_id: null,
    platform_id: null,
    corporation_id: null,
    collector_id: collectorId,
    payer: {
      type: null,
      id: '1987654321',
      operator_id: null,
      email: 'comprador@example.com',
      identification: { type: 'RUT', number: '11111111-1' },
      phone: { area_code: null, number: null, extension: null },
      first_name: null,
      last_name: null,
      entity_type: null,
    },
    marketplace_owner: null,
    metadata: {},
    additional_info: {
      items: [{ id: 'SKU-ROJA-M', title: 'Polera roja talla M', quantity: '1', unit_price: String(amount), description: null }],
      ip_address: '190.22.33.44',
    },
    order: { id: '23456789012', type: 'mercadopago' },
    external_reference: 'pedido-0001',
    transaction_amount: amount,
    transaction_amount_refunded: 0,
    coupon_amount: 0,
    differential_pricing_id: null,
    deduction_schema: null,
    installments: 1,
    transaction_details: {
      payment_method_reference_id: null,
      net_received_amount: status === 'approved' ? Math.round(amount * 0.9681) : 0,
      total_paid_amount: amount,
      overpaid_amount: 0,
      external_resource_url: null,
      installment_amount: amount,
      financial_institution: null,
      payable_deferral_period: null,
      acquirer_reference: null,
    },
    fee_details: status === 'approved' ? [{ type: 'mercadopago_fee', amount: Math.round(amount * 0.0319), fee_payer: 'collector' }] : [],
    charges_details: [],
    captured: true,
    binary_mode: false,
    call_for_authorize_id: null,
    statement_descriptor: 'MERCADOPAGO',
    card: {
      id: null,
      first_six_digits: '450995',
      last_four_digits: '3704',
      expiration_month: 11,
      expiration_year: 2030,
      date_created: created,
      date_last_updated: created,
      cardholder: { name: 'APRO', identification: { number: '11111111-1', type: 'RUT' } },
    },
    notification_url: null,
    refunds: [],
    processing_mode: 'aggregator',
    merchant_account_id: null,
    merchant_number: null,
    acquirer_reconciliation: [],
    point_of_interaction: { type: 'UNSPECIFIED', business_info: { unit: 'online_payments', sub_unit: 'checkout_pro' } },
  };
  return { ...base, ...overrides } as FakeMercadoPagoPayment;
}

export async function startMercadoPagoFake(options: MercadoPagoFakeOptions = {}): Promise<MercadoPagoFake> {
  const tokens = new Set(options.accessTokens ?? []);
  const collectorId = options.collectorId ?? 1234567890;
  const payments = new Map<string, FakeMercadoPagoPayment>();
  const preferences = new Map<string, FakePreference>();
  const idempotentPreferences = new Map<string, FakePreference>();
  const requests: Array<{ method: string; path: string }> = [];
  const preferenceRequests: MercadoPagoFake['preferenceRequests'] = [];
  const failures = scriptQueue<number>();
  const delays = scriptQueue<number>();
  let nextPaymentId = 1_300_000_000;
  let url = '';

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = new URL(req.url ?? '/', 'http://fake');
    requests.push({ method: req.method ?? 'GET', path: target.pathname });
    if (req.method === 'GET' && target.pathname === '/checkout/v1/redirect') return checkoutPage(target, res);
    // Both scripts are taken on arrival: a delayed request that wakes later must not take a later request's failure.
    const delay = delays.shift();
    const failure = failures.shift();
    if (delay) await sleep(delay);

    if (failure !== undefined) return sendJson(res, failure, ERROR_BODIES[failure] ?? { message: 'error', error: 'error', status: failure, cause: [] });

    const token = bearerToken(req);
    if (!token || !tokens.has(token)) return sendJson(res, 401, UNAUTHORIZED);

    const paymentMatch = /^\/v1\/payments\/([^/]+)$/.exec(target.pathname);
    if (req.method === 'GET' && target.pathname === '/v1/payments/search') {
      const ref = target.searchParams.get('external_reference');
      const results = [...payments.values()]
        .filter((p) => ref === null || p.external_reference === ref)
        .sort((a, b) => Date.parse(String(b.date_created)) - Date.parse(String(a.date_created)) || b.id - a.id);
      const limit = Number(target.searchParams.get('limit') ?? 30);
      return sendJson(res, 200, { paging: { total: results.length, limit, offset: 0 }, results: results.slice(0, limit) });
    }
    if (req.method === 'GET' && paymentMatch?.[1]) {
      const payment = payments.get(decodeURIComponent(paymentMatch[1]));
      return payment ? sendJson(res, 200, payment) : sendJson(res, 404, NOT_FOUND);
    }
    if (req.method === 'POST' && target.pathname === '/checkout/preferences') {
      const key = header(req, 'x-idempotency-key');
      const rawBody = (await readBody(req)).toString('utf8');
      const parsed = parseJson(rawBody);
      preferenceRequests.push({
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v])),
        body: parsed?.value,
      });
      if (key && idempotentPreferences.has(key)) return sendJson(res, 201, idempotentPreferences.get(key));
      if (!parsed) return sendJson(res, 400, { message: 'invalid json', error: 'bad_request', status: 400, cause: [] });
      const body = parsed.value as Record<string, unknown>;
      const items = Array.isArray(body.items) ? (body.items as FakePreference['items']) : [];
      const invalid = items.length === 0 || items.some((i) => !i || typeof i.title !== 'string' || !(i.quantity > 0) || !(i.unit_price > 0));
      if (invalid) {
        return sendJson(res, 400, { message: 'items needed', error: 'invalid_items', status: 400, cause: [{ code: 'invalid_items', description: 'items needed' }] });
      }
      const refusal = preferenceRefusal(body, items);
      if (refusal) return sendJson(res, 400, { message: refusal, error: 'bad_request', status: 400, cause: [{ code: 'invalid_parameter', description: refusal }] });
      const id = `${collectorId}-${randomUUID()}`;
      const preference: FakePreference = {
        additional_info: '',
        auto_return: typeof body.auto_return === 'string' ? body.auto_return : '',
        back_urls: body.back_urls ?? { failure: '', pending: '', success: '' },
        binary_mode: false,
        client_id: '6295877106812064',
        collector_id: collectorId,
        coupon_code: null,
        coupon_labels: null,
        date_created: new Date().toISOString(),
        date_of_expiration: body.date_of_expiration ?? null,
        expiration_date_from: body.expiration_date_from ?? null,
        expiration_date_to: body.expiration_date_to ?? null,
        expires: body.expires === true,
        external_reference: typeof body.external_reference === 'string' ? body.external_reference : null,
        id,
        init_point: `${url}/checkout/v1/redirect?pref_id=${id}`,
        internal_metadata: null,
        items: items.map((i) => ({ ...i, currency_id: i.currency_id ?? 'CLP' })),
        marketplace: 'NONE',
        marketplace_fee: 0,
        metadata: body.metadata ?? {},
        notification_url: typeof body.notification_url === 'string' ? body.notification_url : null,
        operation_type: 'regular_payment',
        payer: body.payer ?? { phone: { area_code: '', number: '' }, address: { zip_code: '', street_name: '', street_number: null }, email: '', identification: { number: '', type: '' }, name: '', surname: '', date_created: null, last_purchase: null },
        payment_methods: body.payment_methods ?? { default_card_id: null, default_payment_method_id: null, excluded_payment_methods: [{ id: '' }], excluded_payment_types: [{ id: '' }], installments: null, default_installments: null },
        processing_modes: null,
        product_id: null,
        redirect_urls: { failure: '', pending: '', success: '' },
        sandbox_init_point: `${url}/checkout/v1/redirect?pref_id=${id}&sandbox=true`,
        site_id: 'MLC',
        shipments: { default_shipping_method: null, receiver_address: { zip_code: '', street_name: '', street_number: null, floor: '', apartment: '', city_name: null, state_name: null, country_name: null } },
        total_amount: null,
        last_updated: null,
        financing_group: '',
      };
      preferences.set(id, preference);
      if (key) idempotentPreferences.set(key, preference);
      return sendJson(res, 201, preference);
    }
    return sendJson(res, 404, { message: 'resource not found', error: 'not_found', status: 404, cause: [] });
  };

  const payPreference: MercadoPagoFake['payPreference'] = (preferenceId, status = 'approved') => {
    const preference = preferences.get(preferenceId);
    if (!preference) throw new Error(`unknown preference ${preferenceId}`);
    const amount = preference.items.reduce((sum, i) => sum + i.quantity * i.unit_price, 0);
    const payment = buildMercadoPagoPayment(
      {
        id: nextPaymentId++,
        status,
        date_created: new Date().toISOString().replace('Z', '-00:00'),
        external_reference: preference.external_reference,
        transaction_amount: amount,
        currency_id: preference.items[0]?.currency_id ?? 'CLP',
        notification_url: preference.notification_url,
      },
      collectorId,
    );
    payments.set(String(payment.id), payment);
    return payment;
  };

  const signedNotification: MercadoPagoFake['signedNotification'] = (input) => {
    const dataId = String(input.paymentId);
    const requestId = input.requestId ?? randomUUID();
    const ts = String(input.ts ?? Math.floor(Date.now() / 1000));
    // MP's manifest, from its docs: id (lowercased) ; request-id ; ts ; — trailing semicolon included.
    const manifest = `id:${dataId.toLowerCase()};request-id:${requestId};ts:${ts};`;
    const v1 = createHmac('sha256', input.secret).update(manifest).digest('hex');
    const query = { 'data.id': dataId, type: 'payment' };
    const body = JSON.stringify({
      action: input.action ?? 'payment.updated',
      api_version: 'v1',
      data: { id: dataId },
      date_created: input.dateCreated ?? new Date().toISOString(),
      id: Math.floor(Math.random() * 1e11),
      live_mode: input.liveMode ?? false,
      type: 'payment',
      user_id: input.userId ?? collectorId,
    });
    return {
      path: `${input.path ?? '/webhooks/mercadopago'}?${new URLSearchParams(query).toString()}`,
      query,
      headers: { 'content-type': 'application/json', 'x-signature': `ts=${ts},v1=${v1}`, 'x-request-id': requestId },
      body,
    };
  };

  const checkoutPage = (target: URL, res: ServerResponse): void => {
    const prefId = target.searchParams.get('pref_id') ?? '';
    const preference = preferences.get(prefId);
    if (!preference) return sendHtml(res, 404, '<h1>Preferencia no encontrada</h1>');
    const action = target.searchParams.get('action');
    if (action === 'approve' || action === 'reject') {
      const payment = payPreference(prefId, action === 'approve' ? 'approved' : 'rejected');
      if (preference.notification_url && options.webhookSecret) {
        const n = signedNotification({ paymentId: payment.id, secret: options.webhookSecret, path: '' });
        const notifyUrl = new URL(preference.notification_url);
        for (const [k, v] of Object.entries(n.query)) notifyUrl.searchParams.set(k, v);
        void fetch(notifyUrl, { method: 'POST', headers: n.headers, body: n.body }).catch(() => undefined);
      }
      const back = (preference.back_urls as Record<string, string> | undefined)?.[action === 'approve' ? 'success' : 'failure'];
      if (back) {
        return redirect(res, `${back}${back.includes('?') ? '&' : '?'}payment_id=${payment.id}&status=${payment.status}&external_reference=${encodeURIComponent(preference.external_reference ?? '')}`);
      }
      return sendHtml(res, 200, `<p>Pago ${payment.id}: ${payment.status}</p>`);
    }
    const items = preference.items.map((i) => `<li>${escapeHtml(i.title)} × ${i.quantity}: ${i.unit_price}</li>`).join('');
    return sendHtml(
      res,
      200,
      `<h1>Mercado Pago (fake)</h1><ul>${items}</ul><a href="?pref_id=${prefId}&action=approve">Pagar</a> · <a href="?pref_id=${prefId}&action=reject">Rechazar</a>`,
    );
  };

  const server = await listen(handle, {
    port: options.port,
    host: options.host,
    onError: (res, error) => sendJson(res, 500, { message: String(error), error: 'internal_error', status: 500, cause: [] }),
  });
  url = server.url;

  return {
    url,
    close: server.close,
    addAccessToken: (token) => void tokens.add(token),
    setPayment(payment) {
      const full = buildMercadoPagoPayment(payment, collectorId);
      payments.set(String(full.id), full);
      return full;
    },
    getStoredPayment: (id) => payments.get(String(id)),
    preferences,
    payPreference,
    approve(externalReference, status = 'approved') {
      const preference = [...preferences.values()].reverse().find((p) => p.external_reference === externalReference);
      if (!preference) throw new Error(`no preference with external_reference ${externalReference}`);
      return payPreference(preference.id, status);
    },
    preferenceRequests,
    failNext: (status, count) => failures.push(status, count),
    delayNext: (ms, count) => delays.push(ms, count),
    requests,
    signedNotification,
    async deliverNotification(baseUrl, notification) {
      const res = await fetch(`${baseUrl.replace(/\/+$/, '')}${notification.path}`, {
        method: 'POST',
        headers: notification.headers,
        body: notification.body,
      });
      return { status: res.status, body: await res.text() };
    },
  };
}

const MP_CURRENCIES = new Set(['ARS', 'BRL', 'CLP', 'COP', 'MXN', 'PEN', 'UYU']);
/** Sites whose currency takes no decimals on MP ("Prices in COP currency must be expressed with integer values"). */
const MP_INTEGER_CURRENCIES = new Set(['CLP', 'COP']);

/** MP's validation messages for a preference body (the ones our requests could trip), or null when it is valid. */
function preferenceRefusal(body: Record<string, unknown>, items: FakePreference['items']): string | null {
  const currencies = new Set(items.map((i) => i.currency_id ?? 'CLP'));
  if (currencies.size > 1) return 'currency_id must be the same for all items';
  const [currency] = [...currencies];
  if (currency && !MP_CURRENCIES.has(currency)) return `currency_id invalid: ${currency}`;
  if (items.some((i) => !Number.isInteger(i.quantity))) return 'quantity must be integer';
  if (currency && MP_INTEGER_CURRENCIES.has(currency) && items.some((i) => !Number.isInteger(i.unit_price))) {
    return `Prices in ${currency} currency must be expressed with integer values`;
  }
  if (body.notification_url !== undefined) {
    try {
      new URL(String(body.notification_url));
    } catch {
      return 'notification_url attribute must be url valid';
    }
  }
  if (body.expires === true) {
    const from = body.expiration_date_from === undefined ? Date.now() : Date.parse(String(body.expiration_date_from));
    const to = Date.parse(String(body.expiration_date_to));
    if (!Number.isFinite(from) || !Number.isFinite(to)) return 'expiration_date_from and expiration_date_to must be valid dates';
    if (to <= from) return 'expiration_date_to must be after expiration_date_from';
  }
  if (body.auto_return !== undefined && !(body.back_urls as { success?: unknown } | undefined)?.success) {
    return 'auto_return invalid. back_url.success must be defined';
  }
  return null;
}
