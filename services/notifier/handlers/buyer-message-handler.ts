import type { BuyerMessageEvent } from '../../../shared/events/event-schemas.js';
import { addLogContext } from '../../../shared/logging/log-context.js';
import { getLogger } from '../../../shared/logging/logger.js';
import type { ConversationStore } from '../conversation-store.js';
import { parseAnswerPayload } from '../message-builder.js';

/**
 * `buyer_message` → the buyer's conversation: their message opens (or extends) the 24 h window, and our payload
 * in a quick reply or postback links their thread to the comment and order it answers, so later notifications
 * about that comment reach them in the thread. Idempotent without a claim: the window only moves forward and
 * the links are set-unions, so Meta's redeliveries (and reordering) change nothing.
 */
export async function handleBuyerMessage(event: BuyerMessageEvent, deps: { conversations: ConversationStore }): Promise<{ linkedComment: string | null }> {
  const m = event.data;
  addLogContext({ mid: m.mid });
  const link = parseAnswerPayload(m.payload);
  if (link) await deps.conversations.linkReplyRecipient(m.platform, m.account_id, link.commentId, m.buyer_id);
  await deps.conversations.recordInbound(m.platform, m.account_id, m.buyer_id, {
    mid: m.mid,
    at: Date.parse(m.sent_at),
    commentId: link?.commentId ?? null,
    orderId: link?.orderId ?? null,
  });
  getLogger().info('buyer message recorded: messaging window open', { type: m.type, platform: m.platform, linkedComment: link?.commentId ?? null });
  return { linkedComment: link?.commentId ?? null };
}
