/**
 * The demo's buyers, acting through the stand-ins as real ones would through Meta and Mercado Pago: a buyer who
 * gets a private reply taps its "Avisarme por aquí" button (a signed `messaging_postbacks` webhook, which opens
 * their thread); a buyer whose order holds a payment link pays it (approved), pays and is refused (rejected), or
 * lets it expire, as the script says — the Mercado Pago stand-in then notifies the ingress with a signed webhook.
 * What they react to is read from the Graph stand-in and Firestore, never from the script's hopes.
 */
import type { Order } from '../../services/worker/orders/order-model.js';
import type { DemoStack } from './demo-stack.js';
import { DEMO } from './demo-stack.js';
import type { BuyerBehaviour, ScriptedComment } from './scripted-live.js';

export interface BuyerActivity {
  taps: number;
  paymentsApproved: Array<{ orderId: string; paymentId: number; amount: number }>;
  paymentsRejected: Array<{ orderId: string; paymentId: number }>;
  webhookFailures: number;
}

export class DemoBuyers {
  readonly activity: BuyerActivity = { taps: 0, paymentsApproved: [], paymentsRejected: [], webhookFailures: 0 };
  private seenReplies = 0;
  private readonly acted = new Set<string>();
  private readonly byComment = new Map<string, ScriptedComment>();

  constructor(
    private readonly stack: DemoStack,
    private readonly behaviours: Map<string, BuyerBehaviour>,
    commentIds: Map<string, ScriptedComment>,
    /** How long a buyer takes to pay after the link was created. */
    private readonly thinkMs: number,
  ) {
    this.byComment = commentIds;
  }

  /** One round: answer new private replies, pay (or fail to pay) the links that are due. */
  async tick(): Promise<void> {
    const { graph, mp, ingressUrl, firestore, live } = this.stack;
    const fresh = graph.replies.slice(this.seenReplies);
    this.seenReplies += fresh.length;
    await Promise.all(
      fresh.map(async (reply) => {
        const comment = this.byComment.get(reply.commentId);
        if (!comment || !this.behaviours.has(comment.authorId)) return; // only buyers answer
        const payload = JSON.stringify(reply.message).match(/lss1\?[^"\\]+/)?.[0];
        if (!payload) return;
        const hook = graph.buyerWrites({ accountId: reply.accountId, buyerId: reply.recipientId, postback: { title: 'Avisarme por aquí', payload } });
        const res = await graph.deliverWebhook(`${ingressUrl}/webhooks/meta`, hook).catch(() => null);
        if (res?.ok) this.activity.taps++;
        else this.activity.webhookFailures++;
      }),
    );
    const pending = await firestore.collection('orders').where('live_key', '==', `${DEMO.tienda}/${live.live_id}`).where('status', '==', 'pending_payment').get();
    const due = pending.docs
      .map((d) => d.data() as Order)
      .filter((o) => o.payment && !o.delivery_pending && !this.acted.has(o.order_id) && Date.now() - Date.parse(o.payment.created_at) >= this.thinkMs);
    for (const order of due) {
      const behaviour = order.buyer.author_id ? this.behaviours.get(order.buyer.author_id) : undefined;
      this.acted.add(order.order_id);
      if (behaviour !== 'pay' && behaviour !== 'fail') continue; // lets it expire (or cancels by comment)
      const payment = mp.payPreference(order.payment!.ref, behaviour === 'pay' ? 'approved' : 'rejected');
      const note = mp.signedNotification({ paymentId: payment.id, secret: DEMO.mpWebhookSecret, path: `/webhooks/mercadopago/${DEMO.tienda}` });
      const res = await mp.deliverNotification(ingressUrl, note).catch(() => ({ status: 0 }));
      if (res.status !== 200) this.activity.webhookFailures++;
      if (behaviour === 'pay') this.activity.paymentsApproved.push({ orderId: order.order_id, paymentId: Number(payment.id), amount: Number(payment.transaction_amount) });
      else this.activity.paymentsRejected.push({ orderId: order.order_id, paymentId: Number(payment.id) });
    }
  }
}
