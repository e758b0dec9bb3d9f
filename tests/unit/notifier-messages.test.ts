import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { NotificationDeliveryV1 } from '../../shared/events/event-schemas.js';
import {
  answerPayload,
  buildPrivateReply,
  buildThreadMessage,
  buildUtilityMessage,
  fitText,
  fitWithSuffix,
  INVITATION,
  LIMITS,
  parseAnswerPayload,
  TITLES,
} from '../../services/notifier/message-builder.js';
import { parseUsageHeaders } from '../../services/notifier/meta-usage.js';
import { PagePacer } from '../../services/notifier/page-pacer.js';

const base: NotificationDeliveryV1 = {
  schema_version: '1.0',
  notification_id: 'o1:payment_link',
  tienda_id: 'moda-valpo',
  live_id: 'l1',
  platform: 'facebook',
  account_id: '111',
  comment_id: '111_222_333',
  author_id: null,
  author_name: null,
  kind: 'payment_link',
  text: 'Paga aquí: https://pay.example/o1',
  order_id: 'o1',
  payment_url: 'https://pay.example/o1',
  event_at: '2026-11-29T10:00:00.000Z',
};
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const isWellFormed = (s: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

describe('message builder: Meta limits', () => {
  it('titles fit the 20-character button / quick-reply limit', () => {
    for (const t of Object.values(TITLES)) expect(t.length).toBeLessThanOrEqual(LIMITS.buttonTitle);
  });

  it('fitText never exceeds the limit, never splits a code point, keeps short text as is', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 3000 }), fc.integer({ min: 2, max: 2500 }), (text, limit) => {
        const out = fitText(text, limit);
        expect(out.length).toBeLessThanOrEqual(limit);
        expect(isWellFormed(out)).toBe(true);
        if (text.length <= limit) expect(out).toBe(text);
      }),
    );
  });

  it('fitWithSuffix by UTF-8 bytes keeps the suffix whole (Instagram: ≤ 1000 bytes)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 2000 }), (text) => {
        const out = fitWithSuffix(text, `\n\n${INVITATION.instagram}`, LIMITS.instagramTextBytes, bytes);
        expect(bytes(out)).toBeLessThanOrEqual(LIMITS.instagramTextBytes);
        expect(out.endsWith(INVITATION.instagram)).toBe(true);
        expect(isWellFormed(out)).toBe(true);
      }),
    );
  });

  it('Facebook private reply with a link: button template (≤ 640 chars) with the link button and the postback that invites the answer', () => {
    const long = { ...base, text: `${'😀'.repeat(700)} https://pay.example/o1` };
    const { message, format } = buildPrivateReply(long);
    expect(format).toBe('button_template');
    const p = (message as { attachment: { payload: { text: string; buttons: Array<Record<string, string>> } } }).attachment.payload;
    expect(p.text.length).toBeLessThanOrEqual(LIMITS.buttonTemplateText);
    expect(p.text.endsWith(INVITATION.facebook)).toBe(true);
    expect(p.buttons[0]).toEqual({ type: 'web_url', url: base.payment_url, title: TITLES.pay });
    expect(parseAnswerPayload(p.buttons[1]!.payload)).toEqual({ commentId: base.comment_id, orderId: 'o1' });
  });

  it('Facebook private reply without a link: text (< 2000 chars) with a quick reply', () => {
    const { message, format } = buildPrivateReply({ ...base, payment_url: null, text: 'x'.repeat(2000) });
    expect(format).toBe('quick_replies');
    expect((message.text as string).length).toBeLessThan(2000);
    expect(message.quick_replies).toEqual([{ content_type: 'text', title: TITLES.notifyHere, payload: answerPayload(base) }]);
  });

  it('Instagram private reply: plain text with the link and a short question, ≤ 1000 bytes', () => {
    const ig = { ...base, platform: 'instagram' as const, text: `${'ñ'.repeat(990)}`, payment_url: 'https://pay.example/ig' };
    const { message, format } = buildPrivateReply(ig);
    expect(format).toBe('text');
    const text = message.text as string;
    expect(bytes(text)).toBeLessThanOrEqual(1000);
    expect(text).toContain('https://pay.example/ig');
    expect(text.endsWith(INVITATION.instagram)).toBe(true);
  });

  it('thread: link as a button (Instagram keeps it in the text too); utility template carries the text as its body parameter', () => {
    expect(buildThreadMessage({ ...base, text: 'Tu pedido' }).message).toEqual({
      attachment: { type: 'template', payload: { template_type: 'button', text: 'Tu pedido', buttons: [{ type: 'web_url', url: base.payment_url, title: TITLES.pay }] } },
    });
    const ig = buildThreadMessage({ ...base, platform: 'instagram', text: 'Tu pedido' }).message as { attachment: { payload: { text: string } } };
    expect(ig.attachment.payload.text).toBe(`Tu pedido\n${base.payment_url}`);
    expect(buildThreadMessage({ ...base, payment_url: null }).message).toEqual({ text: base.text });
    expect(buildUtilityMessage({ ...base, payment_url: null, text: 'Pago confirmado' }, { name: 'order_update', language: 'es' }).message).toEqual({
      template: { name: 'order_update', language: { code: 'es' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Pago confirmado' }] }] },
    });
  });

  it('answer payloads round-trip and stay within 1000 characters; foreign payloads are not ours', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 100 }), fc.option(fc.string({ minLength: 1, maxLength: 100 }), { nil: null }), (c, o) => {
        const p = answerPayload({ comment_id: c, order_id: o });
        expect(p.length).toBeLessThanOrEqual(LIMITS.payload);
        expect(parseAnswerPayload(p)).toEqual({ commentId: c, orderId: o });
      }),
    );
    expect(parseAnswerPayload('GET_STARTED')).toBeNull();
    expect(parseAnswerPayload(null)).toBeNull();
  });
});

describe("Meta's usage headers", () => {
  it('X-App-Usage and X-Business-Use-Case-Usage: the highest percentage and the longest time to regain access', () => {
    const h = new Headers({
      'x-app-usage': '{"call_count":28,"total_time":25,"total_cputime":25}',
      'x-business-use-case-usage': '{"112233":[{"type":"messenger","call_count":97,"total_cputime":23,"total_time":23,"estimated_time_to_regain_access":19}]}',
    });
    expect(parseUsageHeaders(h)).toEqual({ appPercent: 28, businessPercent: 97, regainAccessMinutes: 19 });
    expect(parseUsageHeaders(new Headers())).toBeNull();
    expect(parseUsageHeaders(new Headers({ 'x-app-usage': 'not json' }))).toBeNull();
  });
});

describe('PagePacer', () => {
  it('spaces sends 1050/rate ms apart (50 ms of jitter headroom per second) and slows down from 75 % usage, up to 10× at 95 %', () => {
    const p = new PagePacer({ ratePerPage: 100, maxQueueWaitMs: 5000 });
    expect(p.minTimeFor('a')).toBe(11);
    p.noteUsage('a', { appPercent: null, businessPercent: 70, regainAccessMinutes: 0 });
    expect(p.minTimeFor('a')).toBe(11);
    p.noteUsage('a', { appPercent: null, businessPercent: 85, regainAccessMinutes: 0 });
    expect(p.minTimeFor('a')).toBe(61);
    expect(p.minTimeFor('b')).toBe(11);
    p.noteUsage('b', { appPercent: 94, businessPercent: null, regainAccessMinutes: 0 });
    expect(p.minTimeFor('a')).toBeGreaterThan(90); // app usage applies to every Page
  });

  it('pauses an account at 95 % (retry later, the send is not made) for Meta’s estimate', async () => {
    let now = 1_000_000;
    const p = new PagePacer({ ratePerPage: 100, maxQueueWaitMs: 5000, now: () => now });
    p.noteUsage('a', { appPercent: null, businessPercent: 96, regainAccessMinutes: 2 });
    let called = 0;
    await expect(p.schedule('a', async () => ++called)).rejects.toMatchObject({ name: 'TransientError', reason: 'meta_usage_high' });
    await expect(p.schedule('b', async () => ++called)).resolves.toBe(1);
    now += 2 * 60_000 + 1;
    await expect(p.schedule('a', async () => ++called)).resolves.toBe(2);
    await p.stop();
  });

  it('refuses (retry later) a send that would wait longer than the queue limit', async () => {
    const p = new PagePacer({ ratePerPage: 10, maxQueueWaitMs: 250 }); // 105 ms apart
    const sends = Array.from({ length: 6 }, () => p.schedule('a', async () => 'ok').catch((e: { reason?: string }) => e.reason));
    expect(await Promise.all(sends)).toEqual(['ok', 'ok', 'ok', 'send_queue_full', 'send_queue_full', 'send_queue_full']);
    await p.stop();
  });
});
