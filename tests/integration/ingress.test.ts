import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { signEventsRequest } from '../../services/ingress/events-auth.js';
import { signMetaBody } from '../../services/ingress/providers/meta-signature.js';
import { ATTR } from '../../shared/topology/topology.js';
import { startIngressHarness, TEST_SECRETS, TEST_TIENDA, type IngressHarness } from '../helpers/ingress-harness.js';
import { fbFeedComment, igLiveComment, pageWebhook } from '../helpers/meta-payloads.js';
import { sleep } from '../helpers/test-kit.js';

const PAGE = TEST_TIENDA.meta_page_id;
const IG = TEST_TIENDA.instagram_account_id;

describe('ingress on the emulators with wire-level provider fakes', () => {
  let h: IngressHarness;
  beforeAll(async () => {
    h = await startIngressHarness();
  });
  afterAll(() => h.close());

  const postMeta = (body: unknown, sign = true, rawOverride?: string) => {
    const raw = rawOverride ?? JSON.stringify(body);
    return fetch(`${h.url}/webhooks/meta`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(sign ? { 'x-hub-signature-256': signMetaBody(raw, TEST_SECRETS.metaAppSecret) } : {}) },
      body: raw,
    });
  };
  const commentsWith = (prefix: string) => h.comments.messages.filter((m) => m.json<{ data: { comment_id: string } }>().data.comment_id.startsWith(prefix));

  describe('Meta', () => {
    it('answers the verification handshake only for the verify token', async () => {
      const ok = await fetch(`${h.url}/webhooks/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=${TEST_SECRETS.metaVerifyToken}`);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toBe('1158201444');
      expect((await fetch(`${h.url}/webhooks/meta?hub.mode=subscribe&hub.challenge=1&hub.verify_token=wrong`)).status).toBe(403);
      expect((await fetch(`${h.url}/webhooks/meta?hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=${TEST_SECRETS.metaVerifyToken}`)).status).toBe(403);
    });

    it('a signed batch of 3 comments (2 Page feed + 1 IG live) yields 3 feed_comment messages; edits and reactions are skipped', async () => {
      const body = {
        object: 'page',
        entry: [
          { id: PAGE, time: 1764400001, changes: [fbFeedComment(PAGE, 'b3-fb-1', 'quiero la roja talla M'), fbFeedComment(PAGE, 'b3-fb-2', 'mía la negra L!!')] },
          { id: PAGE, time: 1764400001, changes: [fbFeedComment(PAGE, 'b3-fb-edit', 'editado', { verb: 'edited' }), { field: 'feed', value: { item: 'reaction', verb: 'add', reaction_type: 'like', post_id: `${PAGE}_1` } }] },
        ],
      };
      const res = await postMeta(body);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ published: 2, duplicates: 0, skipped: 2 });
      const ig = await postMeta({ object: 'instagram', entry: [{ id: IG, time: 1764400002, changes: [igLiveComment('b3-ig-1', '🙋‍♀️ roja M')] }] });
      expect(ig.status).toBe(200);

      await h.comments.waitFor(3);
      await sleep(500);
      const got = commentsWith('b3-');
      expect(got).toHaveLength(3);
      const byId = new Map(got.map((m) => [m.json<{ data: { comment_id: string } }>().data.comment_id, m]));
      const fb1 = byId.get('b3-fb-1')!;
      expect(fb1.json()).toEqual({
        event: 'feed_comment',
        timestamp: new Date(1764400000 * 1000).toISOString(),
        data: {
          platform: 'facebook',
          source_field: 'feed',
          account_id: PAGE,
          post_id: `${PAGE}_987654321`,
          comment_id: 'b3-fb-1',
          parent_id: `${PAGE}_987654321`,
          author_id: 'user-b3-fb-1',
          author_name: 'Camila Rojas',
          text: 'quiero la roja talla M',
          created_time: new Date(1764400000 * 1000).toISOString(),
        },
      });
      expect(fb1.attributes).toMatchObject({ [ATTR.event]: 'feed_comment', [ATTR.idempotencyKey]: 'comment:b3-fb-1', [ATTR.schemaVersion]: '1.0' });
      expect(fb1.attributes[ATTR.traceparent]).toMatch(/^00-[\da-f]{32}-[\da-f]{16}-0[01]$/);
      expect(byId.get('b3-ig-1')!.json<{ data: object }>().data).toMatchObject({ platform: 'instagram', source_field: 'live_comments', account_id: IG, post_id: '17900000000000001', author_name: 'vale.compras', text: '🙋‍♀️ roja M' });
    });

    it('a redelivered batch publishes nothing (200, duplicates)', async () => {
      const body = pageWebhook(PAGE, [fbFeedComment(PAGE, 'dup-1', 'quiero'), fbFeedComment(PAGE, 'dup-2', 'yo')]);
      expect(await (await postMeta(body)).json()).toMatchObject({ published: 2 });
      const again = await postMeta(body);
      expect(again.status).toBe(200);
      expect(await again.json()).toMatchObject({ published: 0, duplicates: 2 });
      await sleep(800);
      expect(commentsWith('dup-')).toHaveLength(2);
    });

    it('concurrent duplicates publish once; a duplicate that finds the key claimed is told to retry (503), never 200', async () => {
      const body = pageWebhook(PAGE, [fbFeedComment(PAGE, 'race-1', 'me la llevo')]);
      const answers = await Promise.all(Array.from({ length: 10 }, () => postMeta(body)));
      expect(answers.every((a) => a.status === 200 || a.status === 503)).toBe(true);
      expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(1);
      // Meta's retry of a 503 finds the key done: 200, nothing published again.
      const retry = await postMeta(body);
      expect(retry.status).toBe(200);
      expect(await retry.json()).toMatchObject({ published: 0, duplicates: 1 });
      await sleep(1000);
      expect(commentsWith('race-')).toHaveLength(1);
    });

    it('bad input: 401 bad/missing signature, 400 malformed JSON, 413 too large, 405 wrong method — nothing published or claimed', async () => {
      const body = pageWebhook(PAGE, [fbFeedComment(PAGE, 'bad-1', 'quiero')]);
      const raw = JSON.stringify(body);
      expect((await postMeta(body, false)).status).toBe(401);
      const wrongSig = await fetch(`${h.url}/webhooks/meta`, { method: 'POST', headers: { 'x-hub-signature-256': signMetaBody(raw, 'not-the-secret') }, body: raw });
      expect(wrongSig.status).toBe(401);
      const tampered = await fetch(`${h.url}/webhooks/meta`, { method: 'POST', headers: { 'x-hub-signature-256': signMetaBody(raw, TEST_SECRETS.metaAppSecret) }, body: raw.replace('quiero', 'quiere') });
      expect(tampered.status).toBe(401);
      expect((await postMeta(undefined, true, '{"object":"page","entry":[')).status).toBe(400);
      const huge = JSON.stringify(pageWebhook(PAGE, [fbFeedComment(PAGE, 'bad-big', 'x'.repeat(70 * 1024))]));
      expect((await postMeta(undefined, true, huge)).status).toBe(413);
      const put = await fetch(`${h.url}/webhooks/meta`, { method: 'PUT', body: raw });
      expect(put.status).toBe(405);
      expect(put.headers.get('allow')).toContain('POST');
      expect((await fetch(`${h.url}/nowhere`)).status).toBe(404);
      await sleep(800);
      expect(commentsWith('bad-')).toHaveLength(0);
      expect(await h.idempotency.state('comment:bad-1')).toBeNull();
    });
  });

  describe('POST /events (internal producers)', () => {
    const event = (id: string) => ({
      event: 'feed_comment',
      timestamp: '2026-11-29T10:00:00.000Z',
      data: { platform: 'facebook', source_field: 'feed', account_id: PAGE, post_id: `${PAGE}_1`, comment_id: id, parent_id: null, author_id: null, author_name: null, text: 'quiero', created_time: '2026-11-29T10:00:00.000Z' },
    });
    const post = (body: unknown, headers: Record<string, string>, secret = TEST_SECRETS.eventsHmac) => {
      const raw = typeof body === 'string' ? body : JSON.stringify(body);
      const idempotencyKey = headers['x-idempotency-key'] ?? '';
      return fetch(`${h.url}/events`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-lss-signature': signEventsRequest({ body: raw, idempotencyKey }, secret), ...headers }, body: raw });
    };

    it('publishes a signed, valid event once per X-Idempotency-Key', async () => {
      const first = await post(event('ev-1'), { 'x-idempotency-key': 'producer-key-1' });
      expect(first.status).toBe(200);
      expect(await first.json()).toMatchObject({ status: 'published', published: 1 });
      const again = await post(event('ev-1'), { 'x-idempotency-key': 'producer-key-1' });
      expect(await again.json()).toMatchObject({ status: 'duplicate', published: 0 });
      await sleep(800);
      const mine = commentsWith('ev-1');
      expect(mine).toHaveLength(1);
      expect(mine[0]!.attributes[ATTR.idempotencyKey]).toBe('events:producer-key-1');
    });

    it('refuses unsigned (401), wrongly signed (401), keyless (400), schema-invalid (400) and malformed (400) requests', async () => {
      const raw = JSON.stringify(event('ev-bad'));
      expect((await fetch(`${h.url}/events`, { method: 'POST', headers: { 'x-idempotency-key': 'k' }, body: raw })).status).toBe(401);
      expect((await post(event('ev-bad'), { 'x-idempotency-key': 'k' }, 'wrong-secret')).status).toBe(401);
      expect((await post(event('ev-bad'), {})).status).toBe(400);
      const invalid = await post({ event: 'feed_comment', timestamp: 'yesterday', data: {} }, { 'x-idempotency-key': 'k2' });
      expect(invalid.status).toBe(400);
      expect(((await invalid.json()) as { error: string }).error).toMatch(/timestamp/);
      expect((await post({ event: 'order_shipped', timestamp: '2026-11-29T10:00:00Z', data: {} }, { 'x-idempotency-key': 'k3' })).status).toBe(400);
      expect((await post('{not json', { 'x-idempotency-key': 'k4' })).status).toBe(400);
      const stale = await fetch(`${h.url}/events`, { method: 'POST', headers: { 'x-idempotency-key': 'k5', 'x-lss-signature': signEventsRequest({ body: raw, idempotencyKey: 'k5' }, TEST_SECRETS.eventsHmac, Math.floor(Date.now() / 1000) - 3600) }, body: raw });
      expect(stale.status).toBe(401);
      await sleep(500);
      expect(commentsWith('ev-bad')).toHaveLength(0);
    });

    it('signs the idempotency key: a captured request replayed under fresh keys is 401 and publishes once', async () => {
      const raw = JSON.stringify(event('ev-replay'));
      const captured = { 'content-type': 'application/json', 'x-idempotency-key': 'replay-key-1', 'x-lss-signature': signEventsRequest({ body: raw, idempotencyKey: 'replay-key-1' }, TEST_SECRETS.eventsHmac) };
      expect((await fetch(`${h.url}/events`, { method: 'POST', headers: captured, body: raw })).status).toBe(200);
      for (const fresh of ['replay-key-2', 'replay-key-3', 'REPLAY-KEY-1', '']) {
        const replay = await fetch(`${h.url}/events`, { method: 'POST', headers: { ...captured, 'x-idempotency-key': fresh }, body: raw });
        expect(replay.status, `key ${JSON.stringify(fresh)}`).toBe(401);
      }
      // The same captured request with its own key is a duplicate, never a second publication.
      expect(await (await fetch(`${h.url}/events`, { method: 'POST', headers: captured, body: raw })).json()).toMatchObject({ status: 'duplicate' });
      // The old body-only `v1` scheme is refused with a reason the producer can act on.
      const t = Math.floor(Date.now() / 1000);
      const v1 = createHmac('sha256', TEST_SECRETS.eventsHmac).update(`${t}.${raw}`).digest('hex');
      const old = await fetch(`${h.url}/events`, { method: 'POST', headers: { ...captured, 'x-idempotency-key': 'replay-key-4', 'x-lss-signature': `t=${t},v1=${v1}` }, body: raw });
      expect(old.status).toBe(401);
      expect(((await old.json()) as { error: string }).error).toMatch(/unsupported_version/);
      await sleep(800);
      expect(commentsWith('ev-replay')).toHaveLength(1);
    });
  });

  it('GET /healthz', async () => {
    const res = await fetch(`${h.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });
});
