import { describe, expect, it } from 'vitest';
import { buyerMessageEventSchema } from '../../shared/events/event-schemas.js';
import { TOPIC_NAMES } from '../../shared/topology/topology.js';
import { buyerMessageEvents, parseMetaMessages } from '../../services/ingress/providers/meta-messages.js';

/** `messaging[]` items shaped like Meta's Messenger / Instagram messaging webhooks reference. */
const page = (...messaging: unknown[]) => ({ object: 'page', entry: [{ id: '111', time: 1764400000000, messaging }] });
const ig = (...messaging: unknown[]) => ({ object: 'instagram', entry: [{ id: '178', time: 1764400000000, messaging }] });
const from = (sender: string, recipient: string, extra: Record<string, unknown>) => ({ sender: { id: sender }, recipient: { id: recipient }, timestamp: 1764400001234, ...extra });

describe('parseMetaMessages: buyers’ messages in a Meta webhook', () => {
  it('text, quick reply and postback become buyer messages with the buyer id, mid, payload and time', () => {
    const out = parseMetaMessages(
      page(
        from('psid-1', '111', { message: { mid: 'm_1', text: 'hola' } }),
        from('psid-1', '111', { message: { mid: 'm_2', text: 'Avisarme por aquí', quick_reply: { payload: 'lss1?c=111_2_3' } } }),
        from('psid-2', '111', { postback: { mid: 'm_3', title: 'Avisarme por aquí', payload: 'lss1?c=111_2_4&o=o1' } }),
        from('psid-3', '111', { message: { mid: 'm_4', attachments: [{ type: 'image', payload: { url: 'https://x' } }] } }),
      ),
    );
    expect(out.skipped).toEqual([]);
    expect(out.messages).toEqual([
      { platform: 'facebook', account_id: '111', buyer_id: 'psid-1', mid: 'm_1', type: 'text', text: 'hola', payload: null, sent_at: '2025-11-29T07:06:41.234Z' },
      { platform: 'facebook', account_id: '111', buyer_id: 'psid-1', mid: 'm_2', type: 'quick_reply', text: 'Avisarme por aquí', payload: 'lss1?c=111_2_3', sent_at: '2025-11-29T07:06:41.234Z' },
      { platform: 'facebook', account_id: '111', buyer_id: 'psid-2', mid: 'm_3', type: 'postback', text: 'Avisarme por aquí', payload: 'lss1?c=111_2_4&o=o1', sent_at: '2025-11-29T07:06:41.234Z' },
      { platform: 'facebook', account_id: '111', buyer_id: 'psid-3', mid: 'm_4', type: 'attachment', text: null, payload: null, sent_at: '2025-11-29T07:06:41.234Z' },
    ]);
  });

  it('Instagram: object instagram, IGSID sender; echoes (is_echo, is_self), reads and reactions are skipped', () => {
    const out = parseMetaMessages(
      ig(
        from('igsid-1', '178', { message: { mid: 'aWdf1', text: 'sí' } }),
        from('178', 'igsid-1', { message: { mid: 'aWdf2', text: 'nuestro', is_echo: true } }),
        from('igsid-1', '178', { message: { mid: 'aWdf3', text: 'x', is_self: true } }),
        from('igsid-1', '178', { read: { mid: 'aWdf1' } }),
        from('igsid-1', '178', { reaction: { mid: 'aWdf1', action: 'react', reaction: 'love' } }),
      ),
    );
    expect(out.messages.map((m) => [m.platform, m.buyer_id, m.mid, m.text])).toEqual([['instagram', 'igsid-1', 'aWdf1', 'sí']]);
    expect(out.skipped.map((s) => s.reason)).toEqual(['echo of our own message', 'echo of our own message', expect.stringMatching(/^not a message/), expect.stringMatching(/^not a message/)]);
  });

  it('a postback without mid gets a stable id; standby (another app owns the thread) is skipped; comments are not messages', () => {
    const body = { object: 'page', entry: [{ id: '111', time: 1, standby: [from('psid-9', '111', { message: { mid: 'm_s' } })], messaging: [from('psid-9', '111', { postback: { payload: 'GET_STARTED' } })] }, { id: '111', time: 1, changes: [{ field: 'feed', value: {} }] }] };
    const out = parseMetaMessages(body);
    expect(out.messages).toEqual([expect.objectContaining({ mid: 'postback:psid-9:1764400001234', type: 'postback', payload: 'GET_STARTED', text: null })]);
    expect(out.skipped).toEqual([{ field: 'standby', reason: 'another app owns the thread' }]);
    expect(parseMetaMessages({ object: 'user', entry: [] }).messages).toEqual([]);
  });

  it('becomes buyer_message events on buyer_messages, keyed by mid, valid against the schema', () => {
    const [event] = buyerMessageEvents(page(from('psid-1', '111', { message: { mid: 'm_1', text: 'hola' } })));
    expect(event).toMatchObject({ topic: TOPIC_NAMES.buyerMessages, key: 'meta_message:m_1', schemaVersion: '1.0' });
    expect(buyerMessageEventSchema.parse(event!.payload)).toEqual(event!.payload);
  });
});
