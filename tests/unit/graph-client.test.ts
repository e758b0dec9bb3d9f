import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../shared/pubsub/handler-errors.js';
import {
  classifyMetaError,
  createGraphClient,
  mayHaveBeenSent,
  MetaOutsideWindowError,
  MetaPermanentError,
  MetaTransientError,
  type GraphClient,
  type PageTokenProvider,
  type PrivateReplyRequest,
} from '../../services/notifier/graph-client.js';
import { startMetaGraphFake, type MetaGraphFake } from '../fakes/meta-graph-fake.js';
import type { MetaUsage } from '../../services/notifier/meta-usage.js';

const PAGE = '2222222222';
const IG = '17841400000000002';

/** A token source whose cached value may be older than the stored one (what a rotation looks like). */
function tokens(cached: string, stored = cached) {
  const calls = { get: 0, refresh: 0 };
  const provider: PageTokenProvider = {
    get: async () => (calls.get++, cached),
    refresh: async () => (calls.refresh++, (cached = stored)),
  };
  return { provider, calls };
}

let seq = 0;
const reply = (over: Partial<PrivateReplyRequest> = {}): PrivateReplyRequest => ({
  platform: 'facebook',
  accountId: PAGE,
  commentId: `${PAGE}_555_${++seq}`,
  text: '¡Hola! Tu polera roja M está reservada. Paga aquí: https://pay.example/abc',
  ...over,
});

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('Graph client: private replies against the Meta Graph fake', () => {
  let meta: MetaGraphFake;
  let client: GraphClient;
  beforeAll(async () => {
    meta = await startMetaGraphFake({ pageTokens: { [PAGE]: 'page-token-1', [IG]: 'ig-page-token' } });
    // Generous: a cold first request on a loaded CI machine must not look like a timeout; the timeout tests hang for real.
    client = createGraphClient({ baseUrl: meta.url, timeoutMs: 2000 });
  });
  afterAll(() => meta.close());
  beforeEach(() => {
    meta.reset();
    meta.addPageToken(PAGE, 'page-token-1');
  });

  it('sends a Facebook private reply: POST /v21.0/{page-id}/messages, comment_id recipient, Bearer token', async () => {
    const req = reply();
    const out = await client.sendPrivateReply(req, tokens('page-token-1').provider);
    expect(out).toMatchObject({ status: 'sent', httpStatus: 200, tokenRefreshed: false });
    expect(out.status === 'sent' && out.messageId).toMatch(/^m_/);
    expect(meta.replies).toHaveLength(1);
    expect(meta.replies[0]).toMatchObject({ accountId: PAGE, commentId: req.commentId, text: req.text, token: 'page-token-1', version: 'v21.0' });
    expect(out.status === 'sent' && out.recipientId).toBe(meta.replies[0]!.recipientId);
    expect(meta.requests[0]).toMatchObject({ method: 'POST', path: `/v21.0/${PAGE}/messages`, tokenVia: 'header' });
    expect(meta.requests[0]!.body).toEqual({ recipient: { comment_id: req.commentId }, message: { text: req.text } });
  });

  it('sends an Instagram private reply from the IG account id', async () => {
    const req = reply({ platform: 'instagram', accountId: IG, commentId: '17900000000000001' });
    await expect(client.sendPrivateReply(req, tokens('ig-page-token').provider)).resolves.toMatchObject({ status: 'sent' });
    expect(meta.requests[0]!.path).toBe(`/v21.0/${IG}/messages`);
    expect(meta.replies[0]).toMatchObject({ accountId: IG, commentId: '17900000000000001' });
  });

  it('10900 (comment already replied to) is an idempotent success, not an error', async () => {
    const req = reply();
    await client.sendPrivateReply(req, tokens('page-token-1').provider);
    const again = await client.sendPrivateReply({ ...req, text: 'otro texto' }, tokens('page-token-1').provider);
    expect(again).toMatchObject({ status: 'already_replied', httpStatus: 400, meta: { code: 10900, type: 'OAuthException' } });
    expect(again.status === 'already_replied' && again.meta.fbtraceId).toBeTruthy();
    expect(meta.replies).toHaveLength(1);
  });

  it('613 (rate limit) is transient and sends nothing', async () => {
    meta.failNext(613);
    const e = await rejection(client.sendPrivateReply(reply(), tokens('page-token-1').provider));
    expect(e).toBeInstanceOf(MetaTransientError);
    expect(e).toBeInstanceOf(TransientError);
    expect(e).toMatchObject({ reason: 'meta_rate_limited', meta: { code: 613, httpStatus: 400 } });
    expect(meta.replies).toHaveLength(0);
  });

  it('190 with a rotated token: refreshes the secret once and sends with the new token', async () => {
    meta.addPageToken(PAGE, 'page-token-2');
    const t = tokens('page-token-1', 'page-token-2');
    const out = await client.sendPrivateReply(reply(), t.provider);
    expect(out).toMatchObject({ status: 'sent', tokenRefreshed: true });
    expect(t.calls).toEqual({ get: 1, refresh: 1 });
    expect(meta.requests.map((r) => [r.token, r.status, r.errorCode])).toEqual([
      ['page-token-1', 400, 190],
      ['page-token-2', 200, null],
    ]);
    expect(meta.replies[0]!.token).toBe('page-token-2');
  });

  it('190 and the refreshed token is the same: permanent after one refresh, no pointless second call', async () => {
    meta.addPageToken(PAGE, 'page-token-2');
    const t = tokens('page-token-1');
    const e = await rejection(client.sendPrivateReply(reply(), t.provider));
    expect(e).toBeInstanceOf(MetaPermanentError);
    expect(e).toBeInstanceOf(PermanentError);
    expect(e).toMatchObject({ reason: 'meta_token_invalid', meta: { code: 190, subcode: 463 } });
    expect(t.calls.refresh).toBe(1);
    expect(meta.requests).toHaveLength(1);
  });

  it('190 again with the refreshed token: permanent, refreshed only once', async () => {
    meta.addPageToken(PAGE, 'page-token-2');
    meta.failNext(190, 5);
    const t = tokens('page-token-1', 'page-token-2');
    const e = await rejection(client.sendPrivateReply(reply(), t.provider));
    expect(e).toMatchObject({ name: 'MetaPermanentError', reason: 'meta_token_invalid' });
    expect(t.calls.refresh).toBe(1);
    expect(meta.requests).toHaveLength(2);
    expect(meta.replies).toHaveLength(0);
  });

  it('551 (person not available) is permanent, with its subcode', async () => {
    meta.failNext(551);
    const e = await rejection(client.sendPrivateReply(reply(), tokens('page-token-1').provider));
    expect(e).toBeInstanceOf(MetaPermanentError);
    expect(e).toMatchObject({ reason: 'meta_recipient_unavailable', meta: { code: 551, subcode: 1545041, httpStatus: 400 } });
    expect((e as Error).message).toContain("This person isn't available right now");
  });

  it.each([
    [500, 'meta_unavailable'],
    [503, 'meta_unavailable'],
    [429, 'meta_rate_limited'],
  ])('HTTP %i is transient (%s)', async (status, reason) => {
    meta.failNext(status);
    const e = await rejection(client.sendPrivateReply(reply(), tokens('page-token-1').provider));
    expect(e).toBeInstanceOf(MetaTransientError);
    expect(e).toMatchObject({ reason, meta: { httpStatus: status } });
  });

  it("an HTML 502 from Meta's edge (no Graph error body) is transient", async () => {
    meta.failNext({ httpStatus: 502, html: true });
    const e = await rejection(client.sendPrivateReply(reply(), tokens('page-token-1').provider));
    expect(e).toMatchObject({ name: 'MetaTransientError', reason: 'meta_unavailable', meta: { httpStatus: 502 } });
    expect((e as MetaTransientError).meta.code).toBeUndefined();
  });

  it('a timeout is transient', async () => {
    meta.failNext('timeout');
    const e = await rejection(client.sendPrivateReply(reply(), tokens('page-token-1').provider));
    expect(e).toBeInstanceOf(MetaTransientError);
    expect(e).toMatchObject({ reason: 'meta_timeout' });
  });

  it('a timeout whose reply did go out ends as already_replied on the retry', async () => {
    const req = reply();
    meta.failNext({ timeout: true, deliver: true });
    await expect(client.sendPrivateReply(req, tokens('page-token-1').provider)).rejects.toMatchObject({ reason: 'meta_timeout' });
    await expect(client.sendPrivateReply(req, tokens('page-token-1').provider)).resolves.toMatchObject({ status: 'already_replied' });
    expect(meta.replies).toHaveLength(1);
  });

  it('a dropped connection is transient', async () => {
    meta.failNext('reset');
    await expect(client.sendPrivateReply(reply(), tokens('page-token-1').provider)).rejects.toMatchObject({ name: 'MetaTransientError', reason: 'meta_unreachable' });
  });

  it('an account id that could alter the path is refused before any call', async () => {
    const e = await rejection(client.sendPrivateReply(reply({ accountId: '../me/feed' }), tokens('page-token-1').provider));
    expect(e).toBeInstanceOf(PermanentError);
    expect(meta.requests).toHaveLength(0);
  });
});

describe('Graph client: the buyer’s thread (recipient.id) against the Meta Graph fake', () => {
  let meta: MetaGraphFake;
  let client: GraphClient;
  const usage: Array<[string, MetaUsage]> = [];
  beforeAll(async () => {
    meta = await startMetaGraphFake({ pageTokens: { [PAGE]: 'page-token-1', [IG]: 'ig-page-token' }, instagramAccounts: [IG], utilityTemplates: { [PAGE]: ['order_update'] } });
    client = createGraphClient({ baseUrl: meta.url, timeoutMs: 2000, onUsage: (a, u) => usage.push([a, u]) });
  });
  afterAll(() => meta.close());
  beforeEach(() => {
    meta.reset();
    usage.length = 0;
  });
  const thread = (recipient: string, message: Record<string, unknown>, messagingType: 'UPDATE' | 'UTILITY' = 'UPDATE') =>
    client.send({ platform: 'facebook', accountId: PAGE, recipient: { id: recipient }, messagingType, message }, tokens('page-token-1').provider);

  it('a private reply answers {recipient_id, message_id}; the recipient is a known buyer but the window is still closed (10/2018278)', async () => {
    const out = await client.sendPrivateReply(reply(), tokens('page-token-1').provider);
    const buyer = out.status === 'sent' ? out.recipientId! : '';
    expect(buyer).toMatch(/^\d+$/);
    const e = await rejection(thread(buyer, { text: 'hola' }));
    expect(e).toBeInstanceOf(MetaOutsideWindowError);
    expect(e).toBeInstanceOf(PermanentError);
    expect(e).toMatchObject({ reason: 'meta_outside_window', meta: { code: 10, subcode: 2018278 } });
    expect(meta.threadMessages).toHaveLength(0);
  });

  it('after the buyer writes, a thread message goes out with messaging_type UPDATE', async () => {
    meta.buyerWrites({ accountId: PAGE, buyerId: 'psid-1', text: 'hola' });
    await expect(thread('psid-1', { text: 'Tu pago está confirmado' })).resolves.toMatchObject({ status: 'sent', recipientId: 'psid-1' });
    expect(meta.requests[0]!.body).toEqual({ recipient: { id: 'psid-1' }, messaging_type: 'UPDATE', message: { text: 'Tu pago está confirmado' } });
  });

  it('an unknown recipient is (#100) No matching user found: permanent', async () => {
    await expect(thread('psid-nobody', { text: 'hola' })).rejects.toMatchObject({ name: 'MetaPermanentError', meta: { code: 100, subcode: 2018001 } });
  });

  it('message tags are refused with error 100 (removed by Meta) — the client never sends one', async () => {
    meta.buyerWrites({ accountId: PAGE, buyerId: 'psid-2', text: 'hola' });
    const res = await fetch(`${meta.url}/${PAGE}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer page-token-1' },
      body: JSON.stringify({ recipient: { id: 'psid-2' }, messaging_type: 'MESSAGE_TAG', tag: 'POST_PURCHASE_UPDATE', message: { text: 'x' } }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 100 } });
  });

  it('a utility template goes out without the window, only with an approved template', async () => {
    await client.sendPrivateReply(reply({ commentId: `${PAGE}_utility_1` }), tokens('page-token-1').provider);
    const buyer = meta.replies[0]!.recipientId;
    await expect(thread(buyer, { template: { name: 'order_update', language: { code: 'es' } } }, 'UTILITY')).resolves.toMatchObject({ status: 'sent' });
    await expect(thread(buyer, { template: { name: 'promo', language: { code: 'es' } } }, 'UTILITY')).rejects.toMatchObject({ meta: { code: 100 } });
  });

  it("Meta's limits: a button title over 20 characters or Instagram text over 1000 bytes is (#100)", async () => {
    meta.buyerWrites({ accountId: PAGE, buyerId: 'psid-3', text: 'hola' });
    const e = await rejection(thread('psid-3', { attachment: { type: 'template', payload: { template_type: 'button', text: 'x', buttons: [{ type: 'web_url', url: 'https://a.example', title: 'un título demasiado largo' }] } } }));
    expect(e).toMatchObject({ name: 'MetaPermanentError', meta: { code: 100 } });
    const ig = await rejection(client.send({ platform: 'instagram', accountId: IG, recipient: { comment_id: '1790001' }, message: { text: 'ñ'.repeat(501) } }, tokens('ig-page-token').provider));
    expect(ig).toMatchObject({ meta: { code: 100 } });
    await expect(client.send({ platform: 'instagram', accountId: IG, recipient: { comment_id: '1790001' }, message: { text: 'ñ'.repeat(500) } }, tokens('ig-page-token').provider)).resolves.toMatchObject({ status: 'sent' });
  });

  it('reports the usage headers of every answer, errors included', async () => {
    meta.setUsage({ app: { call_count: 12, total_time: 3, total_cputime: 4 }, business: { '99': [{ type: 'messenger', call_count: 81, total_time: 2, total_cputime: 2, estimated_time_to_regain_access: 0 }] } });
    meta.failNext(80006);
    await rejection(client.sendPrivateReply(reply(), tokens('page-token-1').provider));
    await client.sendPrivateReply(reply(), tokens('page-token-1').provider);
    expect(usage).toEqual([
      [PAGE, { appPercent: 12, businessPercent: 81, regainAccessMinutes: 0 }],
      [PAGE, { appPercent: 12, businessPercent: 81, regainAccessMinutes: 0 }],
    ]);
  });

  it('only a lost answer (timeout, dropped connection) may have been sent', async () => {
    meta.failNext('reset');
    expect(mayHaveBeenSent(await rejection(client.sendPrivateReply(reply(), tokens('page-token-1').provider)))).toBe(true);
    meta.failNext(613);
    expect(mayHaveBeenSent(await rejection(client.sendPrivateReply(reply(), tokens('page-token-1').provider)))).toBe(false);
  });
});

describe('classifyMetaError: the Send API error table', () => {
  it.each([1, 2, 4, 17, 32, 341, 613, 80001, 80002, 80006])('code %i → transient', (code) => {
    expect(classifyMetaError({ code, httpStatus: 400 }).kind).toBe('transient');
  });
  it.each([10, 100, 200, 230, 250, 299, 368, 551, 2022, 10903, 10904])('code %i → permanent', (code) => {
    expect(classifyMetaError({ code, httpStatus: 400 }).kind).toBe('permanent');
  });
  it('190 and 102 → token refresh; 10900 → already replied', () => {
    expect(classifyMetaError({ code: 190 }).kind).toBe('auth');
    expect(classifyMetaError({ code: 102 }).kind).toBe('auth');
    expect(classifyMetaError({ code: 10900, httpStatus: 400 }).kind).toBe('already_replied');
  });
  it('10/2018278 and 10/2534022 → outside the 24 h window; 10 without them stays a permission error', () => {
    expect(classifyMetaError({ code: 10, subcode: 2018278 }).kind).toBe('outside_window');
    expect(classifyMetaError({ code: 10, subcode: 2534022 }).kind).toBe('outside_window');
    expect(classifyMetaError({ code: 10 })).toEqual({ kind: 'permanent', reason: 'meta_permission_denied' });
  });
  it('without a code: 5xx and 429 transient; an unknown code stays retryable (house rule)', () => {
    expect(classifyMetaError({ httpStatus: 504 })).toEqual({ kind: 'transient', reason: 'meta_unavailable' });
    expect(classifyMetaError({ httpStatus: 429 })).toEqual({ kind: 'transient', reason: 'meta_rate_limited' });
    expect(classifyMetaError({ code: 12345, httpStatus: 400 })).toEqual({ kind: 'transient', reason: 'meta_unknown_error' });
  });
});
