import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { feedCommentDataSchema } from '../../shared/events/event-schemas.js';
import { verifyMetaSignature } from '../../services/ingress/providers/meta-signature.js';
import { parseMetaWebhook } from '../../services/ingress/providers/meta-webhook.js';
import { MalformedPayloadError, MisconfigurationError } from '../../shared/providers/provider-errors.js';

const APP_SECRET = 'meta-app-secret-7f3a';

/** Computed here, independently of the production module. */
function sign(raw: Buffer | string, secret = APP_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
}

const PAGE_ID = '104857600000001';
const IG_ID = '17841400000000001';

function fbComment(n: number, extra: Record<string, unknown> = {}) {
  return {
    field: 'feed',
    value: {
      from: { id: `2400000000000${n}`, name: `Cliente ${n}` },
      item: 'comment',
      verb: 'add',
      comment_id: `${PAGE_ID}_98765_${n}`,
      post_id: `${PAGE_ID}_98765`,
      parent_id: `${PAGE_ID}_98765`,
      created_time: 1764410000 + n,
      message: `quiero la roja ${n}`,
      ...extra,
    },
  };
}

describe('verifyMetaSignature', () => {
  const raw = Buffer.from(JSON.stringify({ object: 'page', entry: [{ id: PAGE_ID, time: 1764410000, changes: [fbComment(1)] }] }));

  it('accepts the HMAC-SHA256 of the raw body', () => {
    expect(verifyMetaSignature(raw, sign(raw), APP_SECRET)).toBe(true);
  });

  it('accepts uppercase hex (Meta sends lowercase; case carries no information)', () => {
    const header = sign(raw);
    expect(verifyMetaSignature(raw, `sha256=${header.slice(7).toUpperCase()}`, APP_SECRET)).toBe(true);
  });

  it('rejects a signature made with another secret', () => {
    expect(verifyMetaSignature(raw, sign(raw, 'another-secret'), APP_SECRET)).toBe(false);
  });

  it('rejects a body with one byte changed', () => {
    const tampered = Buffer.from(raw);
    const at = tampered.indexOf('roja');
    tampered[at] = 'R'.charCodeAt(0);
    expect(verifyMetaSignature(tampered, sign(raw), APP_SECRET)).toBe(false);
  });

  it('rejects a missing, empty or differently-prefixed header', () => {
    expect(verifyMetaSignature(raw, undefined, APP_SECRET)).toBe(false);
    expect(verifyMetaSignature(raw, '', APP_SECRET)).toBe(false);
    expect(verifyMetaSignature(raw, sign(raw).slice(7), APP_SECRET)).toBe(false);
    const sha1 = `sha1=${createHmac('sha1', APP_SECRET).update(raw).digest('hex')}`;
    expect(verifyMetaSignature(raw, sha1, APP_SECRET)).toBe(false);
  });

  it('rejects a signature of the wrong length or with non-hex characters without throwing', () => {
    const good = sign(raw);
    expect(verifyMetaSignature(raw, good.slice(0, -2), APP_SECRET)).toBe(false);
    expect(verifyMetaSignature(raw, `${good}00`, APP_SECRET)).toBe(false);
    expect(verifyMetaSignature(raw, `${good.slice(0, -1)}g`, APP_SECRET)).toBe(false);
  });

  it('refuses to verify with an empty App Secret (anyone can compute that HMAC)', () => {
    expect(() => verifyMetaSignature(raw, sign(raw, ''), '')).toThrow(MisconfigurationError);
  });

  it('verifies over the raw escaped-unicode bytes, not over re-serialised JSON', () => {
    // Meta escapes non-ASCII: "äöå" arrives as the six-character escapes \u00e4\u00f6\u00e5.
    const escaped = '{"object":"page","entry":[{"id":"1","time":1,"changes":[{"field":"feed","value":{"message":"\\u00e4\\u00f6\\u00e5"}}]}]}';
    const rawEscaped = Buffer.from(escaped, 'utf8');
    expect(rawEscaped.includes(Buffer.from('\\u00e4'))).toBe(true);
    const header = sign(rawEscaped);
    expect(verifyMetaSignature(rawEscaped, header, APP_SECRET)).toBe(true);

    const reserialised = Buffer.from(JSON.stringify(JSON.parse(escaped)), 'utf8');
    expect(reserialised.toString()).toContain('äöå');
    expect(verifyMetaSignature(reserialised, header, APP_SECRET)).toBe(false);
  });
});

describe('parseMetaWebhook', () => {
  it('keeps the 3 new comments of a mixed batch and skips the edited comment and the reaction', () => {
    // A Page batch and an Instagram batch: `object` is per POST, so FB and IG never share one body.
    const pageBody = {
      object: 'page',
      entry: [
        {
          id: PAGE_ID,
          time: 1764410100,
          changes: [
            fbComment(1),
            fbComment(9, { verb: 'edited', message: 'quiero la azul' }),
            {
              field: 'feed',
              value: {
                item: 'reaction',
                verb: 'add',
                reaction_type: 'like',
                from: { id: '24000000000003', name: 'Cliente 3' },
                post_id: `${PAGE_ID}_98765`,
                parent_id: `${PAGE_ID}_98765`,
                created_time: 1764410050,
              },
            },
          ],
        },
        {
          id: PAGE_ID,
          time: 1764410200,
          // Reply to comment 1, no `from` (app lacks access to the commenter), no created_time.
          changes: [fbComment(2, { from: undefined, created_time: undefined, parent_id: `${PAGE_ID}_98765_1` })],
        },
      ],
    };
    const igBody = {
      object: 'instagram',
      entry: [
        {
          id: IG_ID,
          time: 1764410300,
          changes: [
            {
              field: 'live_comments',
              value: {
                id: '18000000000000042',
                text: 'la M porfa 🙏',
                from: { id: '6500000000000001', username: 'compradora.cl', self_ig_scoped_id: '6500000000000001' },
                media: { id: '18111111111111111', media_product_type: 'LIVE' },
              },
            },
          ],
        },
      ],
    };

    const page = parseMetaWebhook(pageBody);
    const ig = parseMetaWebhook(igBody);
    const comments = [...page.comments, ...ig.comments];
    const skipped = [...page.skipped, ...ig.skipped];

    expect(comments).toHaveLength(3);
    expect(skipped).toHaveLength(2);
    expect(skipped.map((s) => s.field)).toEqual(['feed', 'feed']);
    expect(skipped[0]?.reason).toMatch(/edited/);
    expect(skipped[1]?.reason).toMatch(/reaction/);

    expect(page.comments[0]).toEqual({
      platform: 'facebook',
      source_field: 'feed',
      account_id: PAGE_ID,
      post_id: `${PAGE_ID}_98765`,
      comment_id: `${PAGE_ID}_98765_1`,
      parent_id: `${PAGE_ID}_98765`,
      author_id: '24000000000001',
      author_name: 'Cliente 1',
      text: 'quiero la roja 1',
      created_time: new Date((1764410000 + 1) * 1000).toISOString(),
    });
    expect(page.comments[1]).toMatchObject({
      comment_id: `${PAGE_ID}_98765_2`,
      parent_id: `${PAGE_ID}_98765_1`,
      author_id: null,
      author_name: null,
      // falls back to the entry's send time
      created_time: new Date(1764410200 * 1000).toISOString(),
    });
    expect(ig.comments[0]).toEqual({
      platform: 'instagram',
      source_field: 'live_comments',
      account_id: IG_ID,
      post_id: '18111111111111111',
      comment_id: '18000000000000042',
      parent_id: null,
      author_id: '6500000000000001',
      author_name: 'compradora.cl',
      text: 'la M porfa 🙏',
      created_time: new Date(1764410300 * 1000).toISOString(),
    });
    for (const c of comments) expect(feedCommentDataSchema.safeParse(c).success).toBe(true);
  });

  it('reads an Instagram entry time given in milliseconds as milliseconds', () => {
    const ms = 1764410300123;
    const { comments } = parseMetaWebhook({
      object: 'instagram',
      entry: [{ id: IG_ID, time: ms, changes: [{ field: 'comments', value: { id: 'c1', text: 'hola', from: { id: 'u1', username: 'ana' }, media: { id: 'm1' }, parent_id: 'c0' } }] }],
    });
    expect(comments[0]?.created_time).toBe(new Date(ms).toISOString());
    expect(comments[0]?.source_field).toBe('comments');
    expect(comments[0]?.parent_id).toBe('c0');
  });

  it('skips a malformed change but keeps the rest of the batch', () => {
    const { comments, skipped } = parseMetaWebhook({
      object: 'page',
      entry: [{ id: PAGE_ID, time: 1764410000, changes: [fbComment(1, { comment_id: undefined }), fbComment(2), 'garbage', { field: 'feed' }] }],
    });
    expect(comments.map((c) => c.comment_id)).toEqual([`${PAGE_ID}_98765_2`]);
    expect(skipped).toHaveLength(3);
    expect(skipped[0]).toEqual({ field: 'feed', reason: 'comment without comment_id' });
  });

  it('skips IG comments without media id, other IG fields, messaging entries and other objects', () => {
    const ig = parseMetaWebhook({
      object: 'instagram',
      entry: [
        { id: IG_ID, time: 1, changes: [{ field: 'comments', value: { id: 'c1', text: 'x' } }, { field: 'mentions', value: { media_id: 'm', comment_id: 'c' } }] },
        { id: IG_ID, time: 1, messaging: [{ sender: { id: '1' } }] },
      ],
    });
    expect(ig.comments).toEqual([]);
    expect(ig.skipped.map((s) => s.reason)).toEqual(['comment without media.id', 'instagram field mentions is not handled', 'messaging entry (not a comment)']);

    const other = parseMetaWebhook({ object: 'user', entry: [] });
    expect(other.comments).toEqual([]);
    expect(other.skipped).toHaveLength(1);
  });

  it('throws MalformedPayloadError for a body that is not a webhook envelope', () => {
    for (const body of [null, 'text', 42, [], { object: 'page' }, { object: 'page', entry: {} }]) {
      expect(() => parseMetaWebhook(body)).toThrow(MalformedPayloadError);
    }
  });
});
