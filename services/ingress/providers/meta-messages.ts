import { buyerMessageDataSchema, type BuyerMessageData } from '../../../shared/events/event-schemas.js';
import { idempotencyKeys } from '../../../shared/events/idempotency-keys.js';
import { TOPIC_NAMES } from '../../../shared/topology/topology.js';
import type { OutgoingEvent } from '../accept-events.js';
import { toDate, type SkippedChange } from './meta-webhook.js';

type Json = Record<string, unknown>;

/**
 * Buyers' messages in a Meta webhook POST (already signature-checked): the `messages` and `messaging_postbacks`
 * fields of Pages (`object: "page"`) and Instagram accounts (`object: "instagram"`), which Meta delivers as
 * `entry[].messaging[]` (Messenger webhooks reference):
 *
 *   {"sender":{"id":"<PSID|IGSID>"},"recipient":{"id":"<PAGE_ID|IG_ID>"},"timestamp":<ms>,
 *    "message":{"mid","text","quick_reply":{"payload"}} | "postback":{"mid","title","payload"}}
 *
 * - Echoes of our own sends (`is_echo`, Instagram `is_self`) are skipped, and so are reads, deliveries and
 *   reactions (they carry no `message` / `postback`) and `standby[]` (another app owns the thread).
 * - A postback without `mid` (older payloads) gets `postback:<sender>:<timestamp>`, stable across Meta's retries.
 * Never throws: `parseMetaWebhook` has already refused a body that is not an envelope.
 */
export function parseMetaMessages(body: unknown): { messages: BuyerMessageData[]; skipped: SkippedChange[] } {
  const result: { messages: BuyerMessageData[]; skipped: SkippedChange[] } = { messages: [], skipped: [] };
  if (!isObject(body) || !Array.isArray(body.entry)) return result;
  const platform = body.object === 'page' ? 'facebook' : body.object === 'instagram' ? 'instagram' : null;
  if (!platform) return result;
  for (const entry of body.entry) {
    if (!isObject(entry)) continue;
    if (Array.isArray(entry.standby) && entry.standby.length > 0) result.skipped.push({ field: 'standby', reason: 'another app owns the thread' });
    if (!Array.isArray(entry.messaging)) continue;
    for (const item of entry.messaging) {
      const parsed = messagingItem(platform, entry, item);
      if ('reason' in parsed) {
        result.skipped.push({ field: 'messaging', reason: parsed.reason });
        continue;
      }
      const checked = buyerMessageDataSchema.safeParse(parsed.message);
      if (checked.success) result.messages.push(checked.data);
      else result.skipped.push({ field: 'messaging', reason: `invalid message: ${checked.error.issues.map((i) => i.path.join('.')).join(', ')}` });
    }
  }
  return result;
}

/** The `buyer_messages` events of a webhook body, one per buyer message (idempotent on Meta's `mid`). */
export function buyerMessageEvents(body: unknown): OutgoingEvent[] {
  return parseMetaMessages(body).messages.map((m) => ({
    topic: TOPIC_NAMES.buyerMessages,
    key: idempotencyKeys.metaMessage(m.mid),
    tiendaId: null,
    schemaVersion: '1.0',
    payload: { event: 'buyer_message', timestamp: m.sent_at, data: m },
  }));
}

function messagingItem(platform: 'facebook' | 'instagram', entry: Json, item: unknown): { message: BuyerMessageData } | { reason: string } {
  if (!isObject(item)) return { reason: 'messaging item is not an object' };
  const sender = isObject(item.sender) && nonEmpty(item.sender.id) ? item.sender.id : null;
  const account = isObject(item.recipient) && nonEmpty(item.recipient.id) ? item.recipient.id : nonEmpty(entry.id) ? entry.id : null;
  if (!sender || !account) return { reason: 'messaging item without sender.id or recipient' };
  const sentAt = (toDate(item.timestamp) ?? toDate(entry.time) ?? new Date()).toISOString();
  const base = { platform, account_id: account, buyer_id: sender, sent_at: sentAt };

  if (isObject(item.message)) {
    const m = item.message;
    if (m.is_echo === true || m.is_self === true) return { reason: 'echo of our own message' };
    if (m.is_deleted === true) return { reason: 'deleted message' };
    if (!nonEmpty(m.mid)) return { reason: 'message without mid' };
    const quick = isObject(m.quick_reply) && typeof m.quick_reply.payload === 'string' ? m.quick_reply.payload : null;
    const text = typeof m.text === 'string' ? m.text : null;
    const type = quick !== null ? 'quick_reply' : text !== null ? 'text' : 'attachment';
    return { message: { ...base, mid: m.mid, type, text, payload: quick } };
  }
  if (isObject(item.postback)) {
    const p = item.postback;
    const mid = nonEmpty(p.mid) ? p.mid : `postback:${sender}:${String(item.timestamp ?? entry.time ?? '')}`;
    return {
      message: { ...base, mid, type: 'postback', text: typeof p.title === 'string' ? p.title : null, payload: typeof p.payload === 'string' ? p.payload : null },
    };
  }
  return { reason: 'not a message or postback (read, delivery, reaction…)' };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}
