/**
 * What became of one comment, read back from Firestore only (no service needs to be asked): the webhook's
 * idempotency claim, the stored comment, the worker's decision, the order with its link and payment, the
 * private reply and the cancellation it made. Used by `npm run trace` and by `npm start`'s own story.
 */
import type { DocumentData, Firestore, Timestamp } from '@google-cloud/firestore';
import { idempotencyDocId } from '../../shared/idempotency/idempotency-store.js';

export interface TraceStep {
  /** ISO time of the step, or null when the store holds none. */
  at: string | null;
  step: 'webhook' | 'comment' | 'intent' | 'order' | 'link' | 'reply' | 'cancel' | 'payment' | 'now';
  detail: string;
}

export interface CommentTrace {
  commentId: string;
  found: boolean;
  steps: TraceStep[];
}

const iso = (v: unknown): string | null => {
  if (!v) return null;
  if (typeof v === 'string') return v;
  if (typeof (v as Timestamp).toDate === 'function') return (v as Timestamp).toDate().toISOString();
  return null;
};

const itemText = (items: Array<Record<string, unknown>> | undefined) =>
  (items ?? []).map((it) => [it.name ?? it.product, it.color, it.size, it.quantity != null ? `x${it.quantity}` : null].filter((x) => x != null && x !== '').join(' ')).join(' + ');

/** Reads every trace of `commentId` the stores hold, in time order (steps without a time last). */
export async function traceComment(firestore: Firestore, commentId: string): Promise<CommentTrace> {
  const steps: TraceStep[] = [];
  const [claim, comment, intent, orders, cancel] = await Promise.all([
    firestore.collection('idempotency_keys').doc(idempotencyDocId(`comment:${commentId}`)).get(),
    firestore.collection('comments').doc(commentId).get(),
    firestore.collection('comment_intents').doc(commentId).get(),
    firestore.collection('orders').where('comment_id', '==', commentId).get(),
    firestore.collection('order_cancels').doc(commentId).get(),
  ]);
  if (claim.exists) steps.push({ at: iso(claim.get('claimed_at')), step: 'webhook', detail: `accepted by the ingress and published once (${claim.get('state')})` });
  let platform: string | null = null;
  let account: string | null = null;
  if (comment.exists) {
    const c = comment.data() as DocumentData;
    platform = c.platform ?? null;
    account = c.account_id ?? null;
    steps.push({ at: iso(c.received_at), step: 'comment', detail: `from ${c.author_name ?? c.author_id ?? 'someone'} on ${c.platform} live ${c.tienda_id}/${c.live_id} (Meta time ${iso(c.created_time) ?? '?'})` });
  }
  if (intent.exists) {
    const d = intent.get('decision') as { result?: { intent?: string; items?: Array<Record<string, unknown>>; confidence?: number; source?: string }; latencyMs?: number; fallbackReason?: string | null } | undefined;
    const r = d?.result;
    steps.push({
      at: iso(intent.get('created_at')),
      step: 'intent',
      detail: `${r?.intent ?? '?'} ${itemText(r?.items)} (${r?.source ?? '?'}, ${Number(r?.confidence ?? 0).toFixed(2)}, ${d?.latencyMs ?? '?'} ms)`.replace(/\s+/g, ' '),
    });
  }
  for (const doc of orders.docs) {
    const o = doc.data() as DocumentData;
    platform ??= o.buyer?.platform ?? null;
    account ??= o.buyer?.account_id ?? null;
    steps.push({ at: iso(o.created_at), step: 'order', detail: `${o.order_id} ${itemText(o.items)} — ${o.total} ${o.currency}${o.waitlisted ? ', waitlisted' : ''}${o.promoted ? ', promoted from the waitlist' : ''}` });
    if (o.payment) steps.push({ at: iso(o.payment.created_at), step: 'link', detail: `${o.payment.provider} ${o.payment.url} (reserved until ${o.expires_at ?? '?'})` });
    const paid = o.status === 'paid' || o.paid_by;
    steps.push({
      at: iso(o.updated_at),
      step: paid ? 'payment' : 'now',
      detail: `order ${o.status}${o.paid_by ? ` by ${o.paid_by} (${o.paid_amount} ${o.currency})` : ''}${o.reason ? ` — ${o.reason}` : ''}`,
    });
  }
  if (cancel.exists) steps.push({ at: iso(cancel.get('at')), step: 'cancel', detail: cancel.get('order_id') ? `cancelled order ${cancel.get('order_id')}` : 'nothing to cancel' });
  if (platform && account) {
    const reply = await firestore.collection('comment_replies').doc(`${platform}_${account.replace(/\//g, '_')}_${commentId.replace(/\//g, '_')}`).get();
    if (reply.exists) {
      const r = reply.data() as DocumentData;
      steps.push({ at: iso(r.sent_at ?? r.claimed_at), step: 'reply', detail: `private reply ${r.state}${r.notification_id ? ` (${r.notification_id})` : ''}${r.closed_reason ? ` — ${r.closed_reason}` : ''}` });
    }
  }
  steps.sort((a, b) => (a.at === null ? 1 : b.at === null ? -1 : a.at.localeCompare(b.at)));
  return { commentId, found: steps.length > 0, steps };
}

/** One line per step, with the time since the first one. */
export function formatTrace(trace: CommentTrace): string[] {
  if (!trace.found) return [`comment ${trace.commentId}: nothing recorded (not received, or another project: check GOOGLE_CLOUD_PROJECT)`];
  const t0 = trace.steps.find((s) => s.at)?.at;
  return [
    `comment ${trace.commentId}`,
    ...trace.steps.map((s) => {
      const rel = s.at && t0 ? `+${((Date.parse(s.at) - Date.parse(t0)) / 1000).toFixed(2)}s`.padStart(9) : '         ';
      return `  ${rel}  ${s.step.padEnd(8)} ${s.detail}`;
    }),
  ];
}
