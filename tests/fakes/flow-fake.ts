import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { escapeHtml, jsonSender, listen, parseJson, readBody, redirect, scriptQueue, sendHtml, sleep } from './fake-http.js';

/**
 * A wire-level stand-in for Flow's REST API (tests and local demos). Signing is re-implemented here from
 * Flow's docs (sorted names, name+value concatenated, HMAC-SHA256 hex as `s`), not imported from our code.
 *
 * - `GET /payment/getStatus?apiKey&token&s` → PaymentStatus JSON.
 * - `POST /payment/create` (form-encoded, signed) → `{url, token, flowOrder}`. Checks the required parameters,
 *   the signature, an integer CLP amount, an email, a numeric `timeout`. Flow has no idempotency key: each call
 *   makes a new token (kept in `createRequests`).
 * - `GET /payment/getStatusByCommerceId?apiKey&commerceId&s` → PaymentStatus of that commerce order (a paid
 *   one first, else the latest); 400 for a commerce order it has no payment for.
 * - `approve(commerceOrder)`: the buyer pays the order's latest payment (no confirmation sent; `sendConfirmation`).
 * - `GET /app/web/pay.php?token=` → a tiny payment page for demos (pay / reject), which then POSTs the
 *   confirmation `token=<token>` to `urlConfirmation` like Flow does and redirects to `urlReturn`.
 *
 * Errors are JSON `{code, message}` with HTTP 400 / 401, the shape Flow's OpenAPI documents. The numeric codes
 * Flow uses are not published; the ones here are ASSUMED: 108 invalid signature (401), 104 unknown apiKey
 * (401), 105 unknown token (400), 100 missing parameter (400), 1605 commerceOrder already paid (400), 107 amount
 * not numeric / not an integer in CLP (400), 106 unknown commerceOrder (400), 109 invalid email / timeout (400).
 */

export type FlowStatusCode = 1 | 2 | 3 | 4;

export interface FlowFakePayment {
  flowOrder: number;
  commerceOrder: string;
  requestDate: string;
  status: FlowStatusCode;
  subject: string;
  currency: string;
  amount: number;
  payer: string;
  optional: Record<string, string> | null;
  pending_info: { media: string | null; date: string | null };
  paymentData: {
    date: string | null;
    media: string | null;
    conversionDate: string | null;
    conversionRate: number | null;
    amount: number | null;
    currency: string | null;
    fee: number | null;
    balance: number | null;
    transferDate: string | null;
  };
  merchantId: string | null;
}

interface StoredPayment {
  token: string;
  apiKey: string;
  urlConfirmation: string | null;
  urlReturn: string | null;
  payment: FlowFakePayment;
}

export interface FlowFakeOptions {
  merchants?: Array<{ apiKey: string; secretKey: string }>;
  port?: number;
  host?: string;
}

export interface FlowFake {
  url: string;
  close(): Promise<void>;
  registerMerchant(apiKey: string, secretKey: string): void;
  /** Seeds a payment directly (as if created through payment/create); returns its token. */
  addPayment(input: { apiKey: string; commerceOrder: string; amount: number; status?: FlowStatusCode; currency?: string; subject?: string; email?: string; urlConfirmation?: string; /** Fixed token (demos); random by default. */ token?: string }): {
    token: string;
    payment: FlowFakePayment;
  };
  setStatus(token: string, status: FlowStatusCode): void;
  getStoredPayment(token: string): FlowFakePayment | undefined;
  /** Form body Flow POSTs to `urlConfirmation`. */
  confirmationBody(token: string): string;
  /** POSTs the confirmation to the payment's urlConfirmation (or `url`); returns the answer status. */
  sendConfirmation(token: string, url?: string): Promise<number>;
  failNext(status: number, count?: number): void;
  delayNext(ms: number, count?: number): void;
  requests: Array<{ method: string; path: string }>;
  /** Parameters of every `POST /payment/create` received (signed ones and refused ones alike). */
  createRequests: Array<Record<string, string>>;
  /** Payments (any status) made for a commerce order, oldest first. */
  paymentsFor(commerceOrder: string): Array<{ token: string; payment: FlowFakePayment }>;
  /** The buyer pays the latest payment of `commerceOrder` (status 2); returns its token. */
  approve(commerceOrder: string, status?: FlowStatusCode): { token: string; payment: FlowFakePayment };
}

/** Flow's JSON content-type, lower case. */
const sendJson = jsonSender(() => ({ 'content-type': 'application/json; charset=utf-8' }));

/** Flow's signature, from its docs (kept independent from the production module on purpose). */
export function flowSign(params: Record<string, string>, secretKey: string): string {
  const toSign = Object.keys(params)
    .filter((k) => k !== 's')
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => k + params[k])
    .join('');
  return createHmac('sha256', secretKey).update(toSign).digest('hex');
}

export async function startFlowFake(options: FlowFakeOptions = {}): Promise<FlowFake> {
  const merchants = new Map<string, string>((options.merchants ?? []).map((m) => [m.apiKey, m.secretKey]));
  const byToken = new Map<string, StoredPayment>();
  const requests: Array<{ method: string; path: string }> = [];
  const createRequests: Array<Record<string, string>> = [];
  const paymentsFor = (commerceOrder: string, apiKey?: string) =>
    [...byToken.values()].filter((p) => p.payment.commerceOrder === commerceOrder && (apiKey === undefined || p.apiKey === apiKey));
  const failures = scriptQueue<number>();
  const delays = scriptQueue<number>();
  let nextFlowOrder = 7_500_000;
  let url = '';

  const newPayment = (input: Parameters<FlowFake['addPayment']>[0] & { urlReturn?: string; optional?: string }): { token: string; payment: FlowFakePayment } => {
    const token = input.token ?? randomBytes(20).toString('hex').toUpperCase();
    const now = flowDate(new Date());
    const payment: FlowFakePayment = {
      flowOrder: nextFlowOrder++,
      commerceOrder: input.commerceOrder,
      requestDate: now,
      status: input.status ?? 1,
      subject: input.subject ?? 'Compra en vivo',
      currency: input.currency ?? 'CLP',
      amount: input.amount,
      payer: input.email ?? 'comprador@example.com',
      optional: input.optional ? ((parseJson(input.optional)?.value ?? null) as Record<string, string> | null) : null,
      pending_info: { media: null, date: null },
      paymentData: emptyPaymentData(),
      merchantId: null,
    };
    byToken.set(token, { token, apiKey: input.apiKey, urlConfirmation: input.urlConfirmation ?? null, urlReturn: input.urlReturn ?? null, payment });
    if (payment.status === 2) markPaid(payment);
    return { token, payment };
  };

  const checkSigned = (params: Record<string, string>, required: string[], res: ServerResponse): string | undefined => {
    for (const name of [...required, 'apiKey', 's']) {
      if (!params[name]) {
        sendJson(res, 400, { code: 100, message: `Missing required parameter: ${name}` });
        return undefined;
      }
    }
    const secret = merchants.get(params.apiKey ?? '');
    if (secret === undefined) {
      sendJson(res, 401, { code: 104, message: 'Invalid apiKey' });
      return undefined;
    }
    const expected = Buffer.from(flowSign(params, secret), 'hex');
    const given = Buffer.from(params.s ?? '', 'hex');
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      sendJson(res, 401, { code: 108, message: 'Invalid signature' });
      return undefined;
    }
    return params.apiKey;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = new URL(req.url ?? '/', 'http://fake');
    const path = target.pathname.replace(/^\/api(?=\/)/, ''); // accept both `<url>` and `<url>/api` as base
    requests.push({ method: req.method ?? 'GET', path });
    if (path === '/app/web/pay.php') return payPage(target, res);
    // Both scripts are taken on arrival: a delayed request that wakes later must not take a later request's failure.
    const delay = delays.shift();
    const failure = failures.shift();
    if (delay) await sleep(delay);

    if (failure !== undefined) {
      return sendJson(res, failure, { code: failure, message: failure === 429 ? 'Too Many Requests' : 'Internal Server Error' });
    }

    if (req.method === 'GET' && path === '/payment/getStatus') {
      const params = Object.fromEntries(target.searchParams);
      const apiKey = checkSigned(params, ['token'], res);
      if (!apiKey) return;
      const stored = byToken.get(params.token ?? '');
      // A token of another merchant is as unknown as a made-up one.
      if (!stored || stored.apiKey !== apiKey) return sendJson(res, 400, { code: 105, message: `Invalid token: ${params.token}` });
      return sendJson(res, 200, stored.payment);
    }
    if (req.method === 'GET' && path === '/payment/getStatusByCommerceId') {
      const params = Object.fromEntries(target.searchParams);
      const apiKey = checkSigned(params, ['commerceId'], res);
      if (!apiKey) return;
      const found = paymentsFor(params.commerceId ?? '', apiKey);
      const chosen = found.find((p) => p.payment.status === 2) ?? found[found.length - 1];
      if (!chosen) return sendJson(res, 400, { code: 106, message: `Invalid commerceOrder: ${params.commerceId}` });
      return sendJson(res, 200, chosen.payment);
    }
    if (req.method === 'POST' && path === '/payment/create') {
      const params = Object.fromEntries(new URLSearchParams((await readBody(req)).toString('utf8')));
      createRequests.push(params);
      const apiKey = checkSigned(params, ['commerceOrder', 'subject', 'amount', 'email', 'urlConfirmation', 'urlReturn'], res);
      if (!apiKey) return;
      const amount = Number(params.amount);
      if (!Number.isFinite(amount) || amount <= 0) return sendJson(res, 400, { code: 107, message: 'Amount is not numeric' });
      if ((params.currency ?? 'CLP') === 'CLP' && !Number.isInteger(amount)) return sendJson(res, 400, { code: 107, message: 'Amount must be an integer for CLP' });
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(params.email ?? '')) return sendJson(res, 400, { code: 109, message: 'Invalid email' });
      if (params.timeout !== undefined && !/^[1-9]\d*$/.test(params.timeout)) return sendJson(res, 400, { code: 109, message: 'Invalid timeout' });
      const paid = [...byToken.values()].find((p) => p.apiKey === apiKey && p.payment.commerceOrder === params.commerceOrder && p.payment.status === 2);
      if (paid) return sendJson(res, 400, { code: 1605, message: `This commerceOrder ${params.commerceOrder} has been previously paid` });
      const { token, payment } = newPayment({
        apiKey,
        commerceOrder: params.commerceOrder ?? '',
        amount,
        subject: params.subject ?? '',
        email: params.email ?? '',
        urlConfirmation: params.urlConfirmation ?? '',
        urlReturn: params.urlReturn ?? '',
        ...(params.currency ? { currency: params.currency } : {}),
        ...(params.optional ? { optional: params.optional } : {}),
      });
      return sendJson(res, 200, { url: `${url}/app/web/pay.php`, token, flowOrder: payment.flowOrder });
    }
    return sendJson(res, 404, { code: 404, message: 'Service not found' });
  };

  const sendConfirmation = async (token: string, to?: string): Promise<number> => {
    const stored = byToken.get(token);
    const target = to ?? stored?.urlConfirmation;
    if (!target) throw new Error(`no urlConfirmation for token ${token}`);
    const res = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    await res.arrayBuffer();
    return res.status;
  };

  const payPage = (target: URL, res: ServerResponse): void => {
    const token = target.searchParams.get('token') ?? '';
    const stored = byToken.get(token);
    if (!stored) return sendHtml(res, 404, '<h1>Orden no encontrada</h1>');
    const action = target.searchParams.get('action');
    if (action === 'pay' || action === 'reject') {
      stored.payment.status = action === 'pay' ? 2 : 3;
      if (action === 'pay') markPaid(stored.payment);
      if (stored.urlConfirmation) void sendConfirmation(token).catch(() => undefined);
      if (stored.urlReturn) {
        // Flow returns the browser with a POST of token=…; a 302 GET is the closest a plain link can do.
        return redirect(res, `${stored.urlReturn}${stored.urlReturn.includes('?') ? '&' : '?'}token=${token}`);
      }
      return sendHtml(res, 200, `<p>Orden ${stored.payment.flowOrder}: estado ${stored.payment.status}</p>`);
    }
    return sendHtml(
      res,
      200,
      `<h1>Flow (fake)</h1><p>${escapeHtml(stored.payment.subject)}: ${stored.payment.amount} ${stored.payment.currency}</p>` +
        `<a href="?token=${token}&action=pay">Pagar</a> · <a href="?token=${token}&action=reject">Rechazar</a>`,
    );
  };

  const server = await listen(handle, {
    port: options.port,
    host: options.host,
    onError: (res, error) => sendJson(res, 500, { code: 500, message: String(error) }),
  });
  url = server.url;

  return {
    url,
    close: server.close,
    registerMerchant: (apiKey, secretKey) => void merchants.set(apiKey, secretKey),
    addPayment: (input) => newPayment(input),
    setStatus(token, status) {
      const stored = byToken.get(token);
      if (!stored) throw new Error(`unknown token ${token}`);
      stored.payment.status = status;
      if (status === 2) markPaid(stored.payment);
    },
    getStoredPayment: (token) => byToken.get(token)?.payment,
    confirmationBody: (token) => new URLSearchParams({ token }).toString(),
    sendConfirmation,
    failNext: (status, count) => failures.push(status, count),
    delayNext: (ms, count) => delays.push(ms, count),
    requests,
    createRequests,
    paymentsFor: (commerceOrder) => paymentsFor(commerceOrder).map(({ token, payment }) => ({ token, payment })),
    approve(commerceOrder, status = 2) {
      const latest = paymentsFor(commerceOrder).at(-1);
      if (!latest) throw new Error(`no Flow payment for commerceOrder ${commerceOrder}`);
      latest.payment.status = status;
      if (status === 2) markPaid(latest.payment);
      return { token: latest.token, payment: latest.payment };
    },
  };
}

function markPaid(payment: FlowFakePayment): void {
  const fee = Math.round(payment.amount * 0.0319);
  payment.paymentData = {
    date: flowDate(new Date()),
    media: 'Webpay',
    conversionDate: null,
    conversionRate: null,
    amount: payment.amount,
    currency: payment.currency,
    fee,
    balance: payment.amount - fee,
    transferDate: null,
  };
}

function emptyPaymentData(): FlowFakePayment['paymentData'] {
  return { date: null, media: null, conversionDate: null, conversionRate: null, amount: null, currency: null, fee: null, balance: null, transferDate: null };
}

/** Flow's `yyyy-mm-dd hh:mm:ss` (Chile local time in production; UTC here). */
function flowDate(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}
