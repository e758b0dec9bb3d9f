import { randomUUID } from 'node:crypto';
import { FieldValue, Timestamp, type DocumentReference, type Firestore } from '@google-cloud/firestore';
import { TransientError } from '../../shared/pubsub/handler-errors.js';
import type { MetaPlatform } from './graph-client.js';
import type { UtilityTemplate } from './message-builder.js';

/**
 * The notifier's conversation state in Firestore (docs/data-model.md, "Buyer conversations"):
 *
 *   comment_replies/{platform}_{account}_{comment}  who used a comment's one private reply, and the buyer id Meta
 *                                                   returned for it
 *   conversations/{platform}_{account}_{buyer}      the buyer's thread: last inbound message (opens the 24 h
 *                                                   window), comments and orders linked to it
 *   meta_page_settings/{platform}_{account}         per Page: the approved Messenger utility template, if any
 *
 * The private-reply claim works like the idempotency store (create / compare-and-set on the write time, no
 * transaction on the send path): of concurrent notifications about one comment exactly one gets the private
 * reply; the others wait ("retry later") while it is being sent, then use the thread.
 */

export type ReplyClaimResult =
  /** This notification may send the comment's private reply. `resumed`: an earlier attempt of the same notification may have reached Meta. */
  | { status: 'claimed'; claim: ReplyClaim; resumed: boolean }
  /** Another notification is sending it right now. */
  | { status: 'busy'; by: string }
  /** The private reply is used (or impossible): later messages go to the thread. */
  | { status: 'used'; by: string | null; recipientId: string | null; closedReason: string | null };

export interface ReplyClaim {
  ref: DocumentReference;
  notificationId: string;
  token: string;
  writeTime: Timestamp;
}

export interface Conversation {
  platform: MetaPlatform;
  accountId: string;
  buyerId: string;
  /** Time of the buyer's last message (ms): the 24 h window runs from here. */
  lastInboundAt: number | null;
  commentIds: string[];
  orderIds: string[];
}

export interface ConversationStoreOptions {
  /** How long a private-reply claim is honoured while its holder sends (two Send API calls at most). */
  leaseMs?: number;
  /** Cache of the per-Page settings (read on the send path, changed rarely). */
  settingsCacheMs?: number;
  /** Deadline of each store operation; past it the message is retried (the client alone would retry for long). */
  opTimeoutMs?: number;
  now?: () => number;
}

const ALREADY_EXISTS = 6;
const FAILED_PRECONDITION = 9;
const NOT_FOUND = 5;
const code = (e: unknown) => (e as { code?: number })?.code;

/** Firestore ids cannot contain `/`; Graph ids never do, but a hostile id must not change the path. */
const part = (s: string) => s.replace(/\//g, '_');
export const commentReplyDocId = (platform: MetaPlatform, accountId: string, commentId: string) => `${platform}_${part(accountId)}_${part(commentId)}`;
export const conversationDocId = (platform: MetaPlatform, accountId: string, buyerId: string) => `${platform}_${part(accountId)}_${part(buyerId)}`;

export class ConversationStore {
  private readonly leaseMs: number;
  private readonly settingsCacheMs: number;
  private readonly now: () => number;
  private readonly settingsCache = new Map<string, { value: UtilityTemplate | null; until: number }>();
  private readonly opTimeoutMs: number;

  constructor(
    private readonly db: Firestore,
    options: ConversationStoreOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 60_000;
    this.settingsCacheMs = options.settingsCacheMs ?? 30_000;
    this.now = options.now ?? Date.now;
    this.opTimeoutMs = options.opTimeoutMs ?? 5000;
  }

  /** Bounds a store operation; a timeout or a Firestore failure is a TransientError (the schedule retries it). */
  private async op<T>(what: string, run: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const work = run();
    work.catch(() => undefined); // a late failure after the timeout must not become an unhandled rejection
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TransientError(`conversation store ${what} timed out after ${this.opTimeoutMs} ms`, 'firestore_unavailable')), this.opTimeoutMs);
    });
    try {
      return await Promise.race([work, timeout]);
    } catch (e) {
      if (e instanceof TransientError) throw e;
      throw new TransientError(`conversation store ${what} failed: ${(e as Error)?.message ?? String(e)}`, 'firestore_unavailable', { cause: e });
    } finally {
      clearTimeout(timer);
    }
  }

  private replyRef(platform: MetaPlatform, accountId: string, commentId: string) {
    return this.db.collection('comment_replies').doc(commentReplyDocId(platform, accountId, commentId));
  }
  private conversationRef(platform: MetaPlatform, accountId: string, buyerId: string) {
    return this.db.collection('conversations').doc(conversationDocId(platform, accountId, buyerId));
  }

  /**
   * Claims the comment's private reply for `notificationId`. Recorded BEFORE the send, so a redelivery of the same
   * notification recognises its own earlier attempt (then Meta's 10900 is its lost answer), and a different
   * notification never mistakes it for its own.
   */
  async claimPrivateReply(platform: MetaPlatform, accountId: string, commentId: string, notificationId: string): Promise<ReplyClaimResult> {
    return this.op('claimPrivateReply', async () => {
      const ref = this.replyRef(platform, accountId, commentId);
      for (let round = 0; round < 3; round++) {
        const token = randomUUID();
        const now = this.now();
        const holding = { notification_id: notificationId, token, state: 'sending', lease_until: Timestamp.fromMillis(now + this.leaseMs), claimed_at: Timestamp.fromMillis(now) };
        try {
          const w = await ref.create({ platform, account_id: accountId, comment_id: commentId, maybe_sent: false, recipient_id: null, ...holding });
          return { status: 'claimed', claim: { ref, notificationId, token, writeTime: w.writeTime }, resumed: false };
        } catch (e) {
          if (code(e) !== ALREADY_EXISTS) throw e;
        }
        const snap = await ref.get();
        if (!snap.exists) continue;
        const state = snap.get('state') as string;
        const owner = (snap.get('notification_id') as string | null) ?? null;
        if (state === 'sent' || state === 'closed') {
          return { status: 'used', by: owner, recipientId: (snap.get('recipient_id') as string | null) ?? null, closedReason: (snap.get('closed_reason') as string | null) ?? null };
        }
        const lease = (snap.get('lease_until') as Timestamp | undefined)?.toMillis() ?? 0;
        if (owner !== notificationId && lease > now) return { status: 'busy', by: owner ?? 'unknown' };
        // Ours from an earlier attempt, or someone else's abandoned one (its holder failed and is waiting for a retry):
        // take it. Only our own earlier attempt makes a 10900 ours.
        const resumed = owner === notificationId && snap.get('maybe_sent') === true;
        try {
          const w = await ref.update(
            { ...holding, maybe_sent: resumed, ...(owner !== notificationId ? { taken_over_from: owner } : {}) },
            { lastUpdateTime: snap.updateTime! },
          );
          return { status: 'claimed', claim: { ref, notificationId, token, writeTime: w.writeTime }, resumed };
        } catch (e) {
          if (code(e) !== FAILED_PRECONDITION && code(e) !== NOT_FOUND) throw e;
        }
      }
      return { status: 'busy', by: 'unknown' };
    });
  }

  /** The private reply went out (or Meta's 10900 confirmed our own earlier one). */
  async completePrivateReply(claim: ReplyClaim, result: { recipientId: string | null; messageId: string | null; tiendaId: string; authorId: string | null }): Promise<void> {
    return this.op('completePrivateReply', async () => {
      const done = {
        state: 'sent',
        notification_id: claim.notificationId,
        sent_at: Timestamp.fromMillis(this.now()),
        message_id: result.messageId,
        tienda_id: result.tiendaId,
        author_id: result.authorId,
        lease_until: null,
        ...(result.recipientId ? { recipient_id: result.recipientId } : {}),
      };
      try {
        await claim.ref.update(done, { lastUpdateTime: claim.writeTime });
      } catch (e) {
        if (code(e) !== FAILED_PRECONDITION && code(e) !== NOT_FOUND) throw e;
        // Our lease ran out while Meta was answering: the reply is ours whoever holds the claim now.
        await claim.ref.set(done, { merge: true });
      }
    });
  }

  /** No private reply will go out for this comment (Meta said 10900 for someone else's, or the IG live ended). */
  async closePrivateReply(claim: ReplyClaim, reason: string): Promise<void> {
    return this.op('closePrivateReply', async () => {
      await claim.ref.set({ state: 'closed', closed_reason: reason, notification_id: null, lease_until: null, closed_at: Timestamp.fromMillis(this.now()) }, { merge: true });
    });
  }

  /**
   * The attempt failed. `maybeSent` (no answer from Meta): keep the claim ours with the lease ended, so our retry
   * can read Meta's 10900 as its own; otherwise give the comment back.
   */
  async releasePrivateReply(claim: ReplyClaim, maybeSent: boolean): Promise<void> {
    // Best effort, never throws (the caller is reporting another failure): the lease runs out on its own.
    await this.op('releasePrivateReply', async () => {
      if (maybeSent) await claim.ref.update({ maybe_sent: true, lease_until: Timestamp.fromMillis(this.now()) }, { lastUpdateTime: claim.writeTime });
      else await claim.ref.delete({ lastUpdateTime: claim.writeTime });
    }).catch(() => undefined);
  }

  /** Buyer id of a comment's private reply (from Meta's answer, or from the buyer's own answer to it). */
  async replyRecipient(platform: MetaPlatform, accountId: string, commentId: string): Promise<string | null> {
    return this.op('replyRecipient', async () => {
      const snap = await this.replyRef(platform, accountId, commentId).get();
      return snap.exists ? ((snap.get('recipient_id') as string | null) ?? null) : null;
    });
  }

  /** The buyer answered with our payload: now we know whose thread this comment's conversation is in. */
  async linkReplyRecipient(platform: MetaPlatform, accountId: string, commentId: string, buyerId: string): Promise<void> {
    return this.op('linkReplyRecipient', async () => {
      const ref = this.replyRef(platform, accountId, commentId);
      try {
        await ref.update({ recipient_id: buyerId });
      } catch (e) {
        if (code(e) !== NOT_FOUND) throw e;
        // A payload for a comment we never replied to (a replayed or forged payload): the thread still gets the link.
      }
    });
  }

  /** Records a thread we know of (a private reply's recipient) without touching its window. */
  async linkConversation(platform: MetaPlatform, accountId: string, buyerId: string, link: { tiendaId?: string; commentId?: string | null; orderId?: string | null }): Promise<void> {
    return this.op('linkConversation', async () => {
      await this.conversationRef(platform, accountId, buyerId).set(
        {
          platform,
          account_id: accountId,
          buyer_id: buyerId,
          ...(link.tiendaId ? { tienda_id: link.tiendaId } : {}),
          ...(link.commentId ? { comment_ids: FieldValue.arrayUnion(link.commentId) } : {}),
          ...(link.orderId ? { order_ids: FieldValue.arrayUnion(link.orderId) } : {}),
          updated_at: Timestamp.fromMillis(this.now()),
        },
        { merge: true },
      );
    });
  }

  /**
   * The buyer wrote (text, quick reply, postback): the window runs from the latest of their messages. Idempotent —
   * Meta redelivers and reorders messaging webhooks, so the time only moves forward and links are set-unions.
   */
  async recordInbound(platform: MetaPlatform, accountId: string, buyerId: string, inbound: { mid: string; at: number; commentId?: string | null; orderId?: string | null }): Promise<void> {
    return this.op('recordInbound', async () => {
      const ref = this.conversationRef(platform, accountId, buyerId);
      await this.db.runTransaction(async (tx) => {
        const snap = await tx.get(ref);
        const prev = (snap.exists ? (snap.get('last_inbound_at') as Timestamp | null | undefined) : null)?.toMillis() ?? 0;
        const later = inbound.at > prev;
        tx.set(
          ref,
          {
            platform,
            account_id: accountId,
            buyer_id: buyerId,
            ...(later ? { last_inbound_at: Timestamp.fromMillis(inbound.at), last_inbound_mid: inbound.mid } : {}),
            ...(inbound.commentId ? { comment_ids: FieldValue.arrayUnion(inbound.commentId) } : {}),
            ...(inbound.orderId ? { order_ids: FieldValue.arrayUnion(inbound.orderId) } : {}),
            updated_at: Timestamp.fromMillis(this.now()),
          },
          { merge: true },
        );
      });
    });
  }

  async conversation(platform: MetaPlatform, accountId: string, buyerId: string): Promise<Conversation | null> {
    return this.op('conversation', async () => {
      const snap = await this.conversationRef(platform, accountId, buyerId).get();
      if (!snap.exists) return null;
      return {
        platform,
        accountId,
        buyerId,
        lastInboundAt: (snap.get('last_inbound_at') as Timestamp | null | undefined)?.toMillis() ?? null,
        commentIds: (snap.get('comment_ids') as string[] | undefined) ?? [],
        orderIds: (snap.get('order_ids') as string[] | undefined) ?? [],
      };
    });
  }

  /** The Page's approved Messenger utility template, or null (then nothing goes out after the window closes). */
  async utilityTemplate(platform: MetaPlatform, accountId: string): Promise<UtilityTemplate | null> {
    return this.op('utilityTemplate', async () => {
      if (platform !== 'facebook') return null; // Instagram has no automated sends outside the window
      const key = `${platform}_${part(accountId)}`;
      const hit = this.settingsCache.get(key);
      if (hit && hit.until > this.now()) return hit.value;
      const snap = await this.db.collection('meta_page_settings').doc(key).get();
      const t = snap.exists ? (snap.get('utility_template') as { name?: unknown; language?: unknown } | null | undefined) : null;
      const value = t && typeof t.name === 'string' && t.name && typeof t.language === 'string' && t.language ? { name: t.name, language: t.language } : null;
      this.settingsCache.set(key, { value, until: this.now() + this.settingsCacheMs });
      return value;
    });
  }

  /** Sets (or clears, with null) a Page's utility template. */
  async setUtilityTemplate(platform: MetaPlatform, accountId: string, template: UtilityTemplate | null): Promise<void> {
    return this.op('setUtilityTemplate', async () => {
      const key = `${platform}_${part(accountId)}`;
      await this.db.collection('meta_page_settings').doc(key).set({ platform, account_id: accountId, utility_template: template, updated_at: Timestamp.fromMillis(this.now()) }, { merge: true });
      this.settingsCache.delete(key);
    });
  }

  /**
   * Whether an Instagram live is still on air (private replies to IG Live comments are only possible during the
   * broadcast). Reads the raw `status` of `tiendas/{t}/lives/{l}`: anything but `live`, or no such live, is ended.
   */
  async liveOnAir(tiendaId: string, liveId: string): Promise<boolean> {
    return this.op('liveOnAir', async () => {
      const snap = await this.db.collection('tiendas').doc(tiendaId).collection('lives').doc(liveId).get();
      return snap.exists && snap.get('status') === 'live';
    });
  }
}
