import { createServer } from 'node:http';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signEventsRequest } from '../../services/ingress/events-auth.js';
import { signMetaBody } from '../../services/ingress/providers/meta-signature.js';
import { providerFetch } from '../../shared/providers/provider-http.js';
import { ProviderUnavailableError } from '../../shared/providers/provider-errors.js';
import { EnvSecretSource } from '../../shared/secrets/env-secret-source.js';
import { TiendaStore } from '../../shared/tiendas/tienda-store.js';
import { startIngressHarness, TEST_SECRETS, TEST_TIENDA, testSecretEnv, type IngressHarness } from '../helpers/ingress-harness.js';
import { sleep } from '../helpers/test-kit.js';

/** A tienda on Flow with only its Flow credentials (no Mercado Pago or PayPal secrets). */
const FLOW_TIENDA = { ...TEST_TIENDA, id: 'tienda-flow-only', name: 'Solo Flow', payment_provider: 'flow' as const, meta_page_id: null, instagram_account_id: null };

const crc32 = (b: Buffer) => zlib.crc32(b) >>> 0;

/**
 * 4 bytes X with crc32(prefix ‖ X ‖ suffix) === target. CRC-32 is affine over GF(2), so crc(X) ⊕ crc(0) is
 * linear in the 32 bits of X: build that 32×32 matrix column by column and solve it (the standard forgery).
 */
function forgeCrc32(prefix: Buffer, suffix: Buffer, target: number): Buffer | null {
  const at = (x: Buffer) => crc32(Buffer.concat([prefix, x, suffix]));
  const base = at(Buffer.alloc(4));
  const rows = Array.from({ length: 32 }, (_, bit) => {
    const x = Buffer.alloc(4);
    x[bit >> 3] = 1 << (bit & 7);
    return { col: (at(x) ^ base) >>> 0, pick: 1 << bit };
  });
  // Gaussian elimination on (column → which input bits make it).
  const basis: Array<{ col: number; pick: number } | undefined> = new Array(32);
  for (let { col, pick } of rows) {
    for (let b = 31; b >= 0 && col; b--) {
      if (!((col >>> b) & 1)) continue;
      const row = basis[b];
      if (!row) {
        basis[b] = { col, pick };
        col = 0;
        break;
      }
      col = (col ^ row.col) >>> 0;
      pick = (pick ^ row.pick) >>> 0;
    }
  }
  let want = (target ^ base) >>> 0;
  let pick = 0;
  for (let b = 31; b >= 0; b--) {
    if (!((want >>> b) & 1)) continue;
    const row = basis[b];
    if (!row) return null;
    want = (want ^ row.col) >>> 0;
    pick = (pick ^ row.pick) >>> 0;
  }
  const x = Buffer.alloc(4);
  x.writeUInt32LE(pick >>> 0);
  return x;
}

/** A JSON body of the attacker's choosing whose CRC32 equals a genuine transmission's (4 printable bytes in a string). */
function craftBodyWithCrc(event: Record<string, unknown>, target: number): Buffer {
  for (let n = 0; n < 100_000; n++) {
    const json = JSON.stringify({ ...event, n, pad: '@@@@' });
    const i = json.lastIndexOf('@@@@');
    const prefix = Buffer.from(json.slice(0, i));
    const suffix = Buffer.from(json.slice(i + 4));
    const x = forgeCrc32(prefix, suffix, target);
    if (x && [...x].every((c) => c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c)) return Buffer.concat([prefix, x, suffix]);
  }
  throw new Error('no printable forgery found');
}

describe('ingress hardening: what it trusts and what bad input costs', () => {
  let h: IngressHarness;
  beforeAll(async () => {
    h = await startIngressHarness({
      secrets: new EnvSecretSource({ env: { ...testSecretEnv(), ...Object.fromEntries(Object.entries(testSecretEnv(FLOW_TIENDA.id)).filter(([k]) => /_FLOW_(API|SECRET)_KEY$/.test(k))) } }),
    });
    await new TiendaStore(h.firestore).upsert(FLOW_TIENDA);
  });
  afterAll(() => h.close());

  const payments = (pred: (d: Record<string, unknown>) => boolean) =>
    h.payments.messages.filter((m) => pred(m.json<{ data: Record<string, unknown> }>().data));

  describe('payment routes never 5xx on a tienda that does not use the provider', () => {
    it('an unsigned POST to the Mercado Pago or PayPal route of a Flow-only tienda is 404, not 500 misconfigured', async () => {
      const mp = await fetch(`${h.url}/webhooks/mercadopago/${FLOW_TIENDA.id}?data.id=1&type=payment`, { method: 'POST', body: '{}' });
      expect(mp.status).toBe(404);
      expect(await mp.json()).toMatchObject({ code: 'unknown_tienda' });
      const pp = await fetch(`${h.url}/webhooks/paypal/${FLOW_TIENDA.id}`, { method: 'POST', body: '{}' });
      expect(pp.status).toBe(404);
      // Its own provider still works as before: an unknown Flow token is 401.
      expect((await fetch(`${h.url}/webhooks/flow/${FLOW_TIENDA.id}`, { method: 'POST', body: 'token=UNKNOWN0TOKEN' })).status).toBe(401);
      // A tienda that holds another provider's credentials (it switched provider) is still served on it.
      expect((await fetch(`${h.url}/webhooks/flow/${TEST_TIENDA.id}`, { method: 'POST', body: 'token=UNKNOWN0TOKEN' })).status).toBe(401);
    });

    it('unknown tienda ids from unauthenticated requests do not grow the lookup cache without bound', async () => {
      const tiendas = new TiendaStore(h.firestore, { maxCachedIds: 50 });
      const app = await startIngressHarness({ tiendas });
      try {
        for (let i = 0; i < 120; i += 20) {
          const batch = Array.from({ length: 20 }, (_, j) => fetch(`${app.url}/webhooks/mercadopago/no-such-tienda-${i + j}`, { method: 'POST', body: '{}' }));
          for (const res of await Promise.all(batch)) expect(res.status).toBe(404);
        }
        expect(tiendas.cachedIds).toBeLessThanOrEqual(50);
        // The bound does not cost the tienda that exists.
        expect((await tiendas.get(TEST_TIENDA.id))?.id).toBe(TEST_TIENDA.id);
      } finally {
        await app.close();
      }
    });

    it('expired cache entries are refreshed and the oldest ids leave first', async () => {
      let now = 1_000_000;
      const tiendas = new TiendaStore(h.firestore, { maxCachedIds: 3, cacheTtlMs: 1000, now: () => now });
      for (const id of ['nope-a', 'nope-b', 'nope-c', 'nope-d']) expect(await tiendas.get(id)).toBeNull();
      expect(tiendas.cachedIds).toBe(3);
      await new TiendaStore(h.firestore).upsert({ ...FLOW_TIENDA, id: 'nope-d' });
      expect(await tiendas.get('nope-d')).toBeNull(); // cached "unknown" within its TTL
      now += 1001;
      expect((await tiendas.get('nope-d'))?.id).toBe('nope-d');
      expect(tiendas.cachedIds).toBeLessThanOrEqual(3);
    });
  });

  describe('JSON nested 5,000 deep', () => {
    const deep = (depth: number) => `{"object":"page","entry":${'['.repeat(depth)}${']'.repeat(depth)}}`;

    it('is a 400 on every JSON route, signed or not, and nothing is published', async () => {
      const raw = deep(5000);
      const meta = await fetch(`${h.url}/webhooks/meta`, { method: 'POST', headers: { 'x-hub-signature-256': signMetaBody(raw, TEST_SECRETS.metaAppSecret) }, body: raw });
      expect(meta.status).toBe(400);
      expect(await meta.json()).toMatchObject({ code: 'json_too_deep' });
      const ev = await fetch(`${h.url}/events`, {
        method: 'POST',
        headers: { 'x-idempotency-key': 'deep-1', 'x-lss-signature': signEventsRequest({ body: raw, idempotencyKey: 'deep-1' }, TEST_SECRETS.eventsHmac) },
        body: raw,
      });
      expect(ev.status).toBe(400);
      const signed = h.paypal.signedWebhook(deep(5000), { webhookId: TEST_SECRETS.paypalWebhookId });
      expect((await fetch(`${h.url}/webhooks/paypal/${TEST_TIENDA.id}`, { method: 'POST', headers: signed.headers, body: signed.body })).status).toBe(400);
      // Brackets inside strings do not count, and ordinary nesting is fine.
      const text = JSON.stringify({ object: 'page', entry: [], note: '['.repeat(10_000) });
      expect((await fetch(`${h.url}/webhooks/meta`, { method: 'POST', headers: { 'x-hub-signature-256': signMetaBody(text, TEST_SECRETS.metaAppSecret) }, body: text })).status).toBe(200);
      expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    });
  });

  describe('PayPal acts only on what the re-read confirms', () => {
    const send = (headers: Record<string, string>, body: Buffer | string) =>
      fetch(`${h.url}/webhooks/paypal/${TEST_TIENDA.id}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: typeof body === 'string' ? body : new Uint8Array(body) });

    it('a crafted body with the CRC32 of one genuine transmission verifies, yet publishes nothing the re-read does not confirm', async () => {
      const capture = h.paypal.setCapture({ id: 'CAP-GENUINE-1', status: 'COMPLETED', amount: { currency_code: 'USD', value: '3.00' }, custom_id: 'order-genuine' });
      const genuine = h.paypal.signedWebhook(h.paypal.captureEvent(capture, 'PAYMENT.CAPTURE.COMPLETED'), { webhookId: TEST_SECRETS.paypalWebhookId });
      const target = crc32(Buffer.from(genuine.body));

      // 1. A reversal of an order PayPal does not know, naming a victim order reference.
      const unknownOrder = craftBodyWithCrc(
        { id: 'WH-FORGED-1', event_type: 'CHECKOUT.PAYMENT-APPROVAL.REVERSED', resource: { order_id: 'ORDER-DOES-NOT-EXIST', purchase_units: [{ custom_id: 'victim-order-7' }] } },
        target,
      );
      expect(crc32(unknownOrder)).toBe(target);
      // The forgery is real: PayPal's signature alone accepts it.
      await expect(h.deps.paypalVerifier.verify(genuine.headers, unknownOrder, TEST_SECRETS.paypalWebhookId)).resolves.toBeUndefined();
      const r1 = await send(genuine.headers, unknownOrder);
      expect(r1.status).toBe(200);
      expect(await r1.json()).toMatchObject({ published: 0 });

      // 2. A reversal of a real order that was never reversed (still APPROVED).
      const approved = h.paypal.setOrder({ id: 'ORDER-APPROVED-1', status: 'APPROVED', purchase_units: [{ custom_id: 'order-still-good', amount: { currency_code: 'USD', value: '9.00' } }] });
      const realOrder = craftBodyWithCrc(
        { id: 'WH-FORGED-2', event_type: 'CHECKOUT.PAYMENT-APPROVAL.REVERSED', resource: { order_id: approved.id, purchase_units: [{ custom_id: 'victim-order-8' }] } },
        target,
      );
      const r2 = await send(genuine.headers, realOrder);
      expect(r2.status).toBe(200);
      expect(await r2.json()).toMatchObject({ published: 0 });

      // 3. A capture event naming a real capture publishes that capture's own state and fields, not the body's.
      const other = h.paypal.setCapture({ id: 'CAP-OTHER-1', status: 'COMPLETED', amount: { currency_code: 'USD', value: '4.00' }, custom_id: 'order-other' });
      const lying = craftBodyWithCrc({ id: 'WH-FORGED-3', event_type: 'PAYMENT.CAPTURE.DENIED', resource: { id: other.id, status: 'DENIED', custom_id: 'victim-order-9' } }, target);
      expect((await send(genuine.headers, lying)).status).toBe(200);

      await sleep(900);
      const victims = payments((d) => typeof d.order_reference === 'string' && d.order_reference.startsWith('victim-'));
      expect(victims).toHaveLength(0);
      expect(payments((d) => d.transaction_id === 'ORDER-DOES-NOT-EXIST' || d.transaction_id === approved.id)).toHaveLength(0);
      const confirmed = payments((d) => d.transaction_id === other.id);
      expect(confirmed.map((m) => m.json<{ event: string; data: { order_reference: string } }>())).toEqual([
        expect.objectContaining({ event: 'payment_success', data: expect.objectContaining({ order_reference: 'order-other', status: 'COMPLETED' }) }),
      ]);
    });

    it('a transmission from 2020 is refused (401) even with a valid signature', async () => {
      const capture = h.paypal.setCapture({ id: 'CAP-2020-1', status: 'COMPLETED', amount: { currency_code: 'USD', value: '1.00' } });
      const old = h.paypal.signedWebhook(h.paypal.captureEvent(capture, 'PAYMENT.CAPTURE.COMPLETED'), { webhookId: TEST_SECRETS.paypalWebhookId, transmissionTime: '2020-06-01T12:00:00Z' });
      expect((await send(old.headers, old.body)).status).toBe(401);
      await sleep(500);
      expect(payments((d) => d.transaction_id === 'CAP-2020-1')).toHaveLength(0);
    });

    it('an unsigned request cannot make the ingress fetch a PayPal URL that is not a certificate', async () => {
      const before = h.paypal.requests.length;
      const headers = {
        'paypal-auth-algo': 'SHA256withRSA',
        'paypal-transmission-id': 'e3f4',
        'paypal-transmission-time': new Date().toISOString(),
        'paypal-transmission-sig': 'AAAA',
      };
      for (const certUrl of ['https://api.paypal.com/v1/customer/partners/anything', `${h.paypal.url}/v2/checkout/orders/ORDER-APPROVED-1`]) {
        const res = await send({ ...headers, 'paypal-cert-url': certUrl }, '{}');
        expect(res.status, certUrl).toBe(401);
      }
      expect(h.paypal.requests.length).toBe(before);
    });
  });

  it('every provider call has an enforced deadline, body included (a server that stalls mid-answer)', async () => {
    const stalling = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"id":');
    });
    await new Promise<void>((r) => stalling.listen(0, '127.0.0.1', () => r()));
    try {
      const { port } = stalling.address() as { port: number };
      const error = await providerFetch({ provider: 'paypal', url: `http://127.0.0.1:${port}/v1/notifications/certs/CERT-1`, timeoutMs: 300 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderUnavailableError);
    } finally {
      stalling.closeAllConnections();
      stalling.close();
    }
  });
});
