import { execFile } from 'node:child_process';
import { randomBytes, randomUUID, sign as cryptoSign } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { bearerToken, header, jsonSender, listen, parseJson, readBody, redirect, scriptQueue, sendHtml, sendText, sleep } from './fake-http.js';

/**
 * A wire-level stand-in for the PayPal REST API and its webhook signing (tests and local demos).
 *
 * At start it makes an RSA-2048 key and a self-signed certificate with the `openssl` CLI
 * (CN=messageverificationcerts.paypal.com, 2 days) and serves the certificate at
 * `/v1/notifications/certs/CERT-fake`. `signedWebhook()` signs exactly like PayPal — `transmissionId|
 * transmissionTime|webhookId|crc32(body)` with RSA-SHA256, base64 — so the production verifier checks it through
 * its real code path (the test only adds this fake's origin to the trusted cert origins).
 *
 * API: `POST /v1/oauth2/token` (basic auth, client credentials), `GET /v2/payments/captures/{id}`,
 * `POST /v2/checkout/orders` (PAYER_ACTION_REQUIRED + payer-action link, `PayPal-Request-Id` idempotency),
 * `GET /v2/checkout/orders/{id}`, `POST /v2/checkout/orders/{id}/capture`, and a demo `/checkoutnow?token=`
 * approval page. Error bodies follow PayPal's shapes (`invalid_client`, `invalid_token`, RESOURCE_NOT_FOUND…).
 *
 * Order creation also checks what PayPal validates: a supported currency (422 CURRENCY_NOT_SUPPORTED — no CLP),
 * its decimals (422 DECIMAL_PRECISION: none for HUF/JPY/TWD), items × unit_amount = breakdown.item_total = amount
 * (422 ITEM_TOTAL_MISMATCH / AMOUNT_MISMATCH), custom_id / invoice_id ≤ 127 characters, and absolute return /
 * cancel URLs in the experience_context (400 INVALID_PARAMETER_SYNTAX); every creation is kept in
 * `orderRequests`. Capture honours `PayPal-Request-Id` (the same id replays the first answer) and refuses a
 * second capture of a completed order (422 ORDER_ALREADY_CAPTURED).
 */

export interface PayPalFakeOptions {
  clients?: Array<{ clientId: string; clientSecret: string }>;
  /** `expires_in` of issued tokens. Default 32400 (PayPal's usual 9 h). */
  tokenTtlSeconds?: number;
  port?: number;
  host?: string;
}

export type FakeCapture = Record<string, unknown> & {
  id: string;
  status: string;
  amount: { currency_code: string; value: string };
  custom_id?: string;
};

export type FakeOrder = Record<string, unknown> & {
  id: string;
  status: string;
  intent: string;
  purchase_units: Array<Record<string, unknown>>;
};

export interface SignedPayPalWebhook {
  headers: Record<string, string>;
  body: string;
}

export interface PayPalFake {
  url: string;
  /** URL of this fake's signing certificate (what PAYPAL-CERT-URL carries). */
  certUrl: string;
  certPem: string;
  close(): Promise<void>;
  addClient(clientId: string, clientSecret: string): void;
  /** Forgets every issued access token (as if they expired or were revoked early). */
  revokeTokens(): void;
  setCapture(capture: Partial<FakeCapture> & { id: string }): FakeCapture;
  setOrder(order: Partial<FakeOrder> & { id: string }): FakeOrder;
  getStoredOrder(id: string): FakeOrder | undefined;
  /** Simulates the buyer approving an order (status APPROVED). */
  approveOrder(orderId: string): FakeOrder;
  /** Approves and captures an order; the capture gets `captureStatus` (default COMPLETED). */
  completeOrder(orderId: string, captureStatus?: string): FakeCapture;
  /** A realistic webhook event around a resource, e.g. `captureEvent(capture, 'PAYMENT.CAPTURE.COMPLETED')`. */
  captureEvent(capture: FakeCapture, eventType: string): Record<string, unknown>;
  reversalEvent(order: FakeOrder): Record<string, unknown>;
  /** Serialises and signs an event like PayPal does. */
  signedWebhook(event: unknown, options: { webhookId: string; transmissionId?: string; transmissionTime?: string; certUrl?: string }): SignedPayPalWebhook;
  failNext(status: number, count?: number): void;
  delayNext(ms: number, count?: number): void;
  /** Downloads of the certificate so far. */
  readonly certDownloads: number;
  /** Token requests so far. */
  readonly tokenRequests: number;
  /** Captures actually made (replays of a PayPal-Request-Id and refusals not counted). */
  readonly capturesMade: number;
  /** Every `POST /v2/checkout/orders` received (headers lower-case, parsed body), refused ones included. */
  orderRequests: Array<{ headers: Record<string, string | undefined>; body: unknown }>;
  /** The order whose first purchase unit has this custom_id (our order id), latest first. */
  findOrderByCustomId(customId: string): FakeOrder | undefined;
  /** The next capture of an approved order is refused with 422 and this issue (default INSTRUMENT_DECLINED). */
  declineNextCapture(issue?: string): void;
  /** A CHECKOUT.ORDER.APPROVED event around the order (resource = the order, as PayPal sends it). */
  orderApprovedEvent(order: FakeOrder): Record<string, unknown>;
  requests: Array<{ method: string; path: string }>;
}

const run = promisify(execFile);

function paypalId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return Array.from(randomBytes(17), (b) => alphabet[b % alphabet.length]).join('');
}

function debugId(): string {
  return randomBytes(7).toString('hex');
}

/** PayPal answers bare `application/json` and tags every response with a fresh `Paypal-Debug-Id`. */
const sendJson = jsonSender(() => ({ 'content-type': 'application/json', 'paypal-debug-id': debugId() }));

/** CRC-32 of the raw body as PayPal puts it in the signed message (unsigned decimal). */
function crc32(data: Buffer): number {
  return zlib.crc32(data) >>> 0;
}

export async function startPayPalFake(options: PayPalFakeOptions = {}): Promise<PayPalFake> {
  const dir = await mkdtemp(join(tmpdir(), 'paypal-fake-'));
  let privateKeyPem: string;
  let certPem: string;
  try {
    await run('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
      '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'),
      '-days', '2', '-subj', '/CN=messageverificationcerts.paypal.com',
    ]);
    privateKeyPem = await readFile(join(dir, 'k.pem'), 'utf8');
    certPem = await readFile(join(dir, 'c.pem'), 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  const clients = new Map<string, string>((options.clients ?? []).map((c) => [c.clientId, c.clientSecret]));
  const tokens = new Set<string>();
  const captures = new Map<string, FakeCapture>();
  const orders = new Map<string, FakeOrder>();
  const ordersByRequestId = new Map<string, FakeOrder>();
  const captureAnswers = new Map<string, unknown>();
  const orderRequests: PayPalFake['orderRequests'] = [];
  let capturesMade = 0;
  const captureDeclines = scriptQueue<string>();
  const requests: Array<{ method: string; path: string }> = [];
  const failures = scriptQueue<number>();
  const delays = scriptQueue<number>();
  let certDownloads = 0;
  let tokenRequests = 0;
  let url = '';
  const certPath = '/v1/notifications/certs/CERT-fake';

  const notFound = (res: ServerResponse) =>
    sendJson(res, 404, {
      name: 'RESOURCE_NOT_FOUND',
      details: [{ issue: 'INVALID_RESOURCE_ID', description: 'Specified resource ID does not exist. Please check the resource ID and try again.' }],
      message: 'The specified resource does not exist.',
      debug_id: debugId(),
      links: [{ href: 'https://developer.paypal.com/api/rest/reference/orders/v2/errors/#INVALID_RESOURCE_ID', rel: 'information_link', method: 'GET' }],
    });

  const buildCapture = (input: Partial<FakeCapture> & { id: string }): FakeCapture => {
    const amount = input.amount ?? { currency_code: 'USD', value: '25.00' };
    const gross = Number(amount.value);
    const fee = (gross * 0.0349 + 0.49).toFixed(2);
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const orderId = (input.supplementary_data as { related_ids?: { order_id?: string } } | undefined)?.related_ids?.order_id ?? paypalId();
    return {
      amount,
      final_capture: true,
      seller_protection: { status: 'ELIGIBLE', dispute_categories: ['ITEM_NOT_RECEIVED', 'UNAUTHORIZED_TRANSACTION'] },
      seller_receivable_breakdown: {
        gross_amount: amount,
        paypal_fee: { currency_code: amount.currency_code, value: fee },
        net_amount: { currency_code: amount.currency_code, value: (gross - Number(fee)).toFixed(2) },
      },
      custom_id: 'pedido-0001',
      status: 'COMPLETED',
      supplementary_data: { related_ids: { order_id: orderId } },
      payee: { email_address: 'vendedor@example.com', merchant_id: 'C7CYMKZDG8D6E' },
      create_time: now,
      update_time: now,
      links: [
        { href: `${url}/v2/payments/captures/${input.id}`, rel: 'self', method: 'GET' },
        { href: `${url}/v2/payments/captures/${input.id}/refund`, rel: 'refund', method: 'POST' },
        { href: `${url}/v2/checkout/orders/${orderId}`, rel: 'up', method: 'GET' },
      ],
      ...input,
    } as FakeCapture;
  };

  const orderLinks = (order: FakeOrder) => {
    const links: Array<Record<string, string>> = [{ href: `${url}/v2/checkout/orders/${order.id}`, rel: 'self', method: 'GET' }];
    if (order.status === 'PAYER_ACTION_REQUIRED') links.push({ href: `${url}/checkoutnow?token=${order.id}`, rel: 'payer-action', method: 'GET' });
    if (order.status === 'CREATED') {
      links.push({ href: `${url}/checkoutnow?token=${order.id}`, rel: 'approve', method: 'GET' });
      links.push({ href: `${url}/v2/checkout/orders/${order.id}`, rel: 'update', method: 'PATCH' });
    }
    if (order.status === 'APPROVED' || order.status === 'CREATED') {
      links.push({ href: `${url}/v2/checkout/orders/${order.id}/capture`, rel: 'capture', method: 'POST' });
    }
    return links;
  };

  const capture = (order: FakeOrder, captureStatus: string): FakeCapture => {
    const unit = order.purchase_units[0] ?? {};
    const c = buildCapture({
      id: paypalId(),
      status: captureStatus,
      amount: (unit.amount as FakeCapture['amount'] | undefined) ?? { currency_code: 'USD', value: '25.00' },
      custom_id: typeof unit.custom_id === 'string' ? unit.custom_id : undefined,
      supplementary_data: { related_ids: { order_id: order.id } },
      ...(captureStatus === 'DECLINED' ? { status_details: { reason: 'DECLINED_BY_RISK_FRAUD_FILTERS' } } : {}),
    } as Partial<FakeCapture> & { id: string });
    if (c.custom_id === undefined) delete c.custom_id;
    captures.set(c.id, c);
    unit.payments = { captures: [c] };
    order.status = 'COMPLETED';
    order.update_time = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    order.links = orderLinks(order);
    return c;
  };

  const authorized = (req: IncomingMessage, res: ServerResponse): boolean => {
    const token = bearerToken(req);
    if (token && tokens.has(token)) return true;
    sendJson(res, 401, { error: 'invalid_token', error_description: 'Access Token not found in cache' });
    return false;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = new URL(req.url ?? '/', 'http://fake');
    const path = target.pathname;
    requests.push({ method: req.method ?? 'GET', path });
    if (req.method === 'GET' && path === '/checkoutnow') return checkoutPage(target, res);
    // Both scripts are taken on arrival: a delayed request that wakes later must not take a later request's failure.
    const delay = delays.shift();
    const failure = failures.shift();
    if (delay) await sleep(delay);

    if (failure !== undefined) {
      return sendJson(res, failure, {
        name: failure === 429 ? 'RATE_LIMIT_REACHED' : 'INTERNAL_SERVER_ERROR',
        message: failure === 429 ? 'Too many requests. Blocked due to rate limiting.' : 'An internal server error has occurred.',
        debug_id: debugId(),
        links: [],
      });
    }

    if (req.method === 'GET' && path === certPath) {
      certDownloads += 1;
      return sendText(res, 200, 'application/x-x509-ca-cert', certPem);
    }
    if (req.method === 'POST' && path === '/v1/oauth2/token') {
      tokenRequests += 1;
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
      const [id, secret] = basic?.[1] ? splitOnce(Buffer.from(basic[1], 'base64').toString('utf8'), ':') : [undefined, undefined];
      const body = new URLSearchParams((await readBody(req)).toString('utf8'));
      if (!id || clients.get(id) !== secret) return sendJson(res, 401, { error: 'invalid_client', error_description: 'Client Authentication failed' });
      if (body.get('grant_type') !== 'client_credentials') {
        return sendJson(res, 400, { error: 'unsupported_grant_type', error_description: 'Grant Type is NULL' });
      }
      const token = `A21AA${randomBytes(48).toString('base64url')}`;
      tokens.add(token);
      return sendJson(res, 200, {
        scope: 'https://uri.paypal.com/services/payments/payment https://uri.paypal.com/services/payments/refund',
        access_token: token,
        token_type: 'Bearer',
        app_id: 'APP-80W284485P519543T',
        expires_in: options.tokenTtlSeconds ?? 32400,
        nonce: `${new Date().toISOString()}${randomBytes(8).toString('hex')}`,
      });
    }

    const captureMatch = /^\/v2\/payments\/captures\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && captureMatch?.[1]) {
      if (!authorized(req, res)) return;
      const c = captures.get(decodeURIComponent(captureMatch[1]));
      return c ? sendJson(res, 200, c) : notFound(res);
    }
    const orderMatch = /^\/v2\/checkout\/orders\/([^/]+)(\/capture)?$/.exec(path);
    if (orderMatch?.[1]) {
      if (!authorized(req, res)) return;
      const order = orders.get(decodeURIComponent(orderMatch[1]));
      if (!order) return notFound(res);
      if (req.method === 'GET' && !orderMatch[2]) return sendJson(res, 200, order);
      if (req.method === 'POST' && orderMatch[2]) {
        const captureRequestId = header(req, 'paypal-request-id');
        const replay = captureRequestId ? captureAnswers.get(`${order.id}:${captureRequestId}`) : undefined;
        if (replay) return sendJson(res, 201, replay);
        if (order.status === 'COMPLETED') {
          return sendJson(res, 422, {
            name: 'UNPROCESSABLE_ENTITY',
            details: [{ issue: 'ORDER_ALREADY_CAPTURED', description: 'Order already captured.If \'intent=CAPTURE\' only one capture per order is allowed.' }],
            message: 'The requested action could not be performed, semantically incorrect, or failed business validation.',
            debug_id: debugId(),
            links: [],
          });
        }
        if (order.status !== 'APPROVED') {
          return sendJson(res, 422, {
            name: 'UNPROCESSABLE_ENTITY',
            details: [{ issue: 'ORDER_NOT_APPROVED', description: 'Payer has not yet approved the Order for payment. Please redirect the payer to the \'rel\':\'approve\' url returned as part of the HATEOAS links within the Create Order call or provide a valid payment_source in the request.' }],
            message: 'The requested action could not be performed, semantically incorrect, or failed business validation.',
            debug_id: debugId(),
            links: [],
          });
        }
        const declined = captureDeclines.shift();
        if (declined) {
          return sendJson(res, 422, {
            name: 'UNPROCESSABLE_ENTITY',
            details: [{ issue: declined, description: 'The instrument presented  was either declined by the processor or bank, or it can\'t be used for this payment.' }],
            message: 'The requested action could not be performed, semantically incorrect, or failed business validation.',
            debug_id: debugId(),
            links: [{ href: `${url}/checkoutnow?token=${order.id}`, rel: 'redirect', method: 'GET' }],
          });
        }
        capture(order, 'COMPLETED');
        capturesMade += 1;
        if (captureRequestId) captureAnswers.set(`${order.id}:${captureRequestId}`, structuredClone(order));
        return sendJson(res, 201, order);
      }
    }
    if (req.method === 'POST' && path === '/v2/checkout/orders') {
      if (!authorized(req, res)) return;
      const requestId = header(req, 'paypal-request-id');
      const recorded: PayPalFake['orderRequests'][number] = { headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v])), body: undefined };
      orderRequests.push(recorded);
      const previous = requestId ? ordersByRequestId.get(requestId) : undefined;
      if (previous) return sendJson(res, 200, { id: previous.id, status: previous.status, payment_source: previous.payment_source, links: orderLinks(previous) });
      const parsed = parseJson((await readBody(req)).toString('utf8'));
      if (!parsed) {
        return sendJson(res, 400, { name: 'INVALID_REQUEST', message: 'Request is not well-formed, syntactically incorrect, or violates schema.', debug_id: debugId(), details: [{ field: '/', location: 'body', issue: 'MALFORMED_REQUEST_JSON', description: 'The request JSON is not well formed.' }], links: [] });
      }
      const body = parsed.value as Record<string, unknown>;
      recorded.body = body;
      const units = Array.isArray(body.purchase_units) ? (body.purchase_units as Array<Record<string, unknown>>) : [];
      const amountOk = units.length > 0 && units.every((u) => {
        const a = u?.amount as { currency_code?: unknown; value?: unknown } | undefined;
        return typeof a?.currency_code === 'string' && typeof a.value === 'string' && /^\d+(\.\d{1,2})?$/.test(a.value);
      });
      if ((body.intent !== 'CAPTURE' && body.intent !== 'AUTHORIZE') || !amountOk) {
        return sendJson(res, 400, {
          name: 'INVALID_REQUEST',
          message: 'Request is not well-formed, syntactically incorrect, or violates schema.',
          debug_id: debugId(),
          details: [{ field: body.intent ? '/purchase_units' : '/intent', location: 'body', issue: 'MISSING_REQUIRED_PARAMETER', description: 'A required field / parameter is missing.' }],
          links: [],
        });
      }
      const paypalSource = (body.payment_source as { paypal?: { experience_context?: Record<string, unknown> } } | undefined)?.paypal;
      const refusal = orderRefusal(units, paypalSource?.experience_context);
      if (refusal) {
        return sendJson(res, refusal.status, {
          name: refusal.status === 422 ? 'UNPROCESSABLE_ENTITY' : 'INVALID_REQUEST',
          message: refusal.status === 422 ? 'The requested action could not be performed, semantically incorrect, or failed business validation.' : 'Request is not well-formed, syntactically incorrect, or violates schema.',
          debug_id: debugId(),
          details: [{ field: refusal.field, location: 'body', issue: refusal.issue, description: refusal.description }],
          links: [],
        });
      }
      const order: FakeOrder = {
        id: paypalId(),
        intent: body.intent,
        status: paypalSource?.experience_context ? 'PAYER_ACTION_REQUIRED' : 'CREATED',
        payment_source: paypalSource ? { paypal: {} } : undefined,
        purchase_units: units.map((u, i) => ({
          reference_id: typeof u.reference_id === 'string' ? u.reference_id : i === 0 ? 'default' : String(i),
          ...u,
          payee: { email_address: 'vendedor@example.com', merchant_id: 'C7CYMKZDG8D6E' },
        })),
        experience_context: paypalSource?.experience_context,
        create_time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        links: [],
      };
      order.links = orderLinks(order);
      orders.set(order.id, order);
      if (requestId) ordersByRequestId.set(requestId, order);
      return sendJson(res, 201, { id: order.id, status: order.status, ...(order.payment_source ? { payment_source: order.payment_source } : {}), links: order.links });
    }
    return sendJson(res, 404, { name: 'NOT_FOUND', message: 'Not Found', debug_id: debugId(), links: [] });
  };

  const approveOrder = (orderId: string): FakeOrder => {
    const order = orders.get(orderId);
    if (!order) throw new Error(`unknown order ${orderId}`);
    order.status = 'APPROVED';
    order.payer = { name: { given_name: 'Juan', surname: 'Pérez' }, email_address: 'comprador@example.com', payer_id: 'QYR5Z8XDVJNXQ' };
    order.links = orderLinks(order);
    return order;
  };

  const checkoutPage = (target: URL, res: ServerResponse): void => {
    const order = orders.get(target.searchParams.get('token') ?? '');
    if (!order) return sendHtml(res, 404, '<h1>Order not found</h1>');
    const ctx = (order.experience_context ?? {}) as { return_url?: string; cancel_url?: string };
    const action = target.searchParams.get('action');
    if (action === 'approve' || action === 'cancel') {
      if (action === 'approve') approveOrder(order.id);
      const back = action === 'approve' ? ctx.return_url : ctx.cancel_url;
      if (back) return redirect(res, `${back}${back.includes('?') ? '&' : '?'}token=${order.id}&PayerID=QYR5Z8XDVJNXQ`);
      return sendHtml(res, 200, `<p>Order ${order.id}: ${order.status}</p>`);
    }
    return sendHtml(res, 200, `<h1>PayPal (fake)</h1><a href="?token=${order.id}&action=approve">Pay Now</a> · <a href="?token=${order.id}&action=cancel">Cancel</a>`);
  };

  const server = await listen(handle, {
    port: options.port,
    host: options.host,
    onError: (res, error) => sendJson(res, 500, { name: 'INTERNAL_SERVER_ERROR', message: String(error), debug_id: debugId() }),
  });
  url = server.url;
  const certUrl = `${url}${certPath}`;

  const event = (resourceType: string, eventType: string, summary: string, resource: unknown): Record<string, unknown> => ({
    id: `WH-${paypalId().slice(0, 16)}-${paypalId()}`,
    event_version: '1.0',
    create_time: new Date().toISOString(),
    resource_type: resourceType,
    resource_version: '2.0',
    event_type: eventType,
    summary,
    resource,
    links: [
      { href: `${url}/v1/notifications/webhooks-events/WH-X`, rel: 'self', method: 'GET' },
      { href: `${url}/v1/notifications/webhooks-events/WH-X/resend`, rel: 'resend', method: 'POST' },
    ],
  });

  return {
    url,
    certUrl,
    certPem,
    close: server.close,
    addClient: (clientId, clientSecret) => void clients.set(clientId, clientSecret),
    revokeTokens: () => tokens.clear(),
    setCapture(input) {
      const c = buildCapture(input);
      captures.set(c.id, c);
      return c;
    },
    setOrder(input) {
      const order: FakeOrder = {
        intent: 'CAPTURE',
        status: 'APPROVED',
        purchase_units: [{ reference_id: 'default', amount: { currency_code: 'USD', value: '25.00' }, custom_id: 'pedido-0001' }],
        create_time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        links: [],
        ...input,
      } as FakeOrder;
      order.links = orderLinks(order);
      orders.set(order.id, order);
      return order;
    },
    getStoredOrder: (id) => orders.get(id),
    approveOrder,
    completeOrder(orderId, captureStatus = 'COMPLETED') {
      const order = approveOrder(orderId);
      return capture(order, captureStatus);
    },
    captureEvent(c, eventType) {
      const verb = eventType.split('.').pop()?.toLowerCase() ?? 'updated';
      return event('capture', eventType, `Payment ${verb} for $ ${c.amount.value} ${c.amount.currency_code}`, c);
    },
    reversalEvent(order) {
      const unit = order.purchase_units[0] ?? {};
      return event('checkout-order', 'CHECKOUT.PAYMENT-APPROVAL.REVERSED', 'A payment has been reversed after approval.', {
        order_id: order.id,
        purchase_units: [{ reference_id: unit.reference_id ?? 'default', custom_id: unit.custom_id, invoice_id: unit.invoice_id }],
        payment_source: { paypal: {} },
      });
    },
    signedWebhook(ev, opts) {
      const body = typeof ev === 'string' ? ev : JSON.stringify(ev);
      const transmissionId = opts.transmissionId ?? randomUUID();
      const transmissionTime = opts.transmissionTime ?? new Date().toISOString();
      const message = `${transmissionId}|${transmissionTime}|${opts.webhookId}|${crc32(Buffer.from(body, 'utf8'))}`;
      const signature = cryptoSign('sha256', Buffer.from(message, 'utf8'), privateKeyPem).toString('base64');
      return {
        body,
        headers: {
          'content-type': 'application/json',
          'paypal-auth-algo': 'SHA256withRSA',
          'paypal-auth-version': 'v2',
          'paypal-cert-url': opts.certUrl ?? certUrl,
          'paypal-transmission-id': transmissionId,
          'paypal-transmission-sig': signature,
          'paypal-transmission-time': transmissionTime,
          'correlation-id': debugId(),
        },
      };
    },
    failNext: (status, count) => failures.push(status, count),
    delayNext: (ms, count) => delays.push(ms, count),
    get certDownloads() {
      return certDownloads;
    },
    get tokenRequests() {
      return tokenRequests;
    },
    get capturesMade() {
      return capturesMade;
    },
    orderRequests,
    declineNextCapture: (issue = 'INSTRUMENT_DECLINED') => captureDeclines.push(issue),
    findOrderByCustomId: (customId) => [...orders.values()].reverse().find((o) => o.purchase_units[0]?.custom_id === customId),
    orderApprovedEvent: (order) => event('checkout-order', 'CHECKOUT.ORDER.APPROVED', 'An order has been approved by buyer', structuredClone(order)),
    requests,
  };
}

function splitOnce(text: string, sep: string): [string, string] {
  const i = text.indexOf(sep);
  return i < 0 ? [text, ''] : [text.slice(0, i), text.slice(i + 1)];
}

/** PayPal's REST currencies and their decimals (CLP is not one of them). */
const PAYPAL_DECIMALS: Record<string, number> = {
  AUD: 2, BRL: 2, CAD: 2, CHF: 2, CNY: 2, CZK: 2, DKK: 2, EUR: 2, GBP: 2, HKD: 2, HUF: 0, ILS: 2, JPY: 0,
  MXN: 2, MYR: 2, NOK: 2, NZD: 2, PHP: 2, PLN: 2, SEK: 2, SGD: 2, THB: 2, TWD: 0, USD: 2,
};

type Money = { currency_code?: unknown; value?: unknown } | undefined;

/** What PayPal refuses in a create-order body that passed the schema check, or null. */
function orderRefusal(
  units: Array<Record<string, unknown>>,
  experience: Record<string, unknown> | undefined,
): { status: 400 | 422; issue: string; field: string; description: string } | null {
  for (const [u, unit] of units.entries()) {
    const at = `/purchase_units/@reference_id=='${String(unit.reference_id ?? 'default')}'`;
    for (const name of ['custom_id', 'invoice_id'] as const) {
      if (typeof unit[name] === 'string' && (unit[name] as string).length > 127) {
        return { status: 400, issue: 'INVALID_STRING_MAX_LENGTH', field: `${at}/${name}`, description: 'The value of a field is too long.' };
      }
    }
    const amount = unit.amount as (Money & { breakdown?: { item_total?: Money } }) | undefined;
    const currency = String(amount?.currency_code);
    const decimals = PAYPAL_DECIMALS[currency];
    if (decimals === undefined) return { status: 422, issue: 'CURRENCY_NOT_SUPPORTED', field: `${at}/amount/currency_code`, description: 'Currency code is not currently supported.' };
    const cents = (m: Money): number | null => {
      if (typeof m?.value !== 'string' || m.currency_code !== currency) return null;
      const [, frac = ''] = m.value.split('.');
      if (frac.length > decimals) return null;
      return Math.round(Number(m.value) * 100);
    };
    const total = cents(amount);
    if (total === null) return { status: 422, issue: 'DECIMAL_PRECISION', field: `${at}/amount/value`, description: 'If the currency supports decimals, only two decimal place precision is supported.' };
    const items = Array.isArray(unit.items) ? (unit.items as Array<{ quantity?: unknown; unit_amount?: Money }>) : [];
    if (items.length > 0) {
      const itemTotal = cents(amount?.breakdown?.item_total);
      let sum = 0;
      for (const item of items) {
        const price = cents(item.unit_amount);
        if (price === null) return { status: 422, issue: 'DECIMAL_PRECISION', field: `${at}/items/${u}/unit_amount/value`, description: 'If the currency supports decimals, only two decimal place precision is supported.' };
        sum += price * Number(item.quantity);
      }
      if (itemTotal === null || itemTotal !== sum) {
        return { status: 422, issue: 'ITEM_TOTAL_MISMATCH', field: `${at}/amount/breakdown/item_total/value`, description: 'Should equal sum of (unit_amount * quantity) across all items for a given purchase_unit.' };
      }
      if (total !== itemTotal) {
        return { status: 422, issue: 'AMOUNT_MISMATCH', field: `${at}/amount/value`, description: 'Should equal item_total + tax_total + shipping + handling + insurance - shipping_discount - discount.' };
      }
    }
  }
  for (const name of ['return_url', 'cancel_url'] as const) {
    const value = experience?.[name];
    if (value === undefined) continue;
    try {
      new URL(String(value));
    } catch {
      return { status: 400, issue: 'INVALID_PARAMETER_SYNTAX', field: `/payment_source/paypal/experience_context/${name}`, description: 'The value of a field does not conform to the expected format.' };
    }
  }
  return null;
}
