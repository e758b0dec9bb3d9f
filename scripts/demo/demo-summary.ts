/**
 * The demo's summary, read from the stores and the stand-ins after the live — never from the script: orders and
 * stock from Firestore, the funnel from the BigQuery stand-in's rows (as the `live_funnel` view computes it),
 * replies from the Graph stand-in, payments from the Mercado Pago stand-in.
 */
import type { Order } from '../../services/worker/orders/order-model.js';
import type { DemoStack } from './demo-stack.js';
import { DEMO } from './demo-stack.js';
import { liveFunnel, percentile, type LiveFunnel } from './live-funnel.js';

export interface DemoSummary {
  funnel: LiveFunnel;
  orders: Order[];
  byStatus: Record<string, number>;
  /** Orders that got a payment link (Firestore), and links the Mercado Pago stand-in created. */
  links: number;
  mpPreferences: number;
  promoted: number;
  /** Sum of paid orders' paid amounts (Firestore) and of the approved MP stand-in payments behind them. */
  revenue: number;
  mpApprovedForPaid: number;
  currency: string;
  replies: number;
  threadMessages: number;
  /** Comment accepted by the ingress (BigQuery `comments.received_at`) → private reply at the Graph stand-in. */
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  repliedComments: number;
  llmShare: number;
  geminiCalls: number;
  stock: Array<{ unit: string; declared: number; available: number }>;
  deadLetters: Array<{ topic: string; reason: string }>;
  liveViews: number | null;
}

export async function collectSummary(stack: DemoStack): Promise<DemoSummary> {
  const { bq, graph, mp, firestore, live } = stack;
  const orders = (await firestore.collection('orders').where('live_key', '==', `${DEMO.tienda}/${live.live_id}`).get()).docs.map((d) => d.data() as Order);
  const byStatus: Record<string, number> = {};
  for (const o of orders) byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
  const paid = orders.filter((o) => o.status === 'paid');
  const mpApprovedForPaid = paid
    .map((o) => (o.paid_by?.startsWith('mercadopago:') ? mp.getStoredPayment(o.paid_by.slice('mercadopago:'.length)) : undefined))
    .filter((p) => p?.status === 'approved')
    .reduce((s, p) => s + Number(p!.transaction_amount), 0);
  const rows = { comments: bq.rows('comments'), intents: bq.rows('intents'), orders: bq.rows('orders'), notifications: bq.rows('notifications'), liveMetrics: bq.rows('live_metrics') };
  const funnel = liveFunnel(rows, DEMO.tienda, live.live_id);
  const received = new Map(rows.comments.map((r) => [r.comment_id as string, Date.parse(String(r.received_at))]));
  const latencies = graph.replies.map((r) => Date.parse(r.at) - (received.get(r.commentId) ?? NaN)).filter((n) => Number.isFinite(n) && n >= 0);
  const stockDoc = await firestore.doc(`tiendas/${DEMO.tienda}/lives/${live.live_id}/allocation/stock`).get();
  const declared = (stockDoc.get('declared') ?? {}) as Record<string, number>;
  const available = (stockDoc.get('available') ?? {}) as Record<string, number>;
  const intents = rows.intents.filter((r) => r.live_id === live.live_id);
  return {
    funnel,
    orders,
    byStatus,
    links: orders.filter((o) => o.payment).length,
    mpPreferences: mp.preferences.size,
    promoted: orders.filter((o) => o.promoted).length,
    revenue: paid.reduce((s, o) => s + Number(o.paid_amount ?? 0), 0),
    mpApprovedForPaid,
    currency: live.currency,
    replies: graph.replies.length,
    threadMessages: graph.threadMessages.length,
    latencyP50Ms: percentile(latencies, 50),
    latencyP95Ms: percentile(latencies, 95),
    repliedComments: latencies.length,
    llmShare: intents.length ? intents.filter((r) => r.source !== 'local').length / intents.length : 0,
    geminiCalls: stack.gemini.requests.length,
    stock: Object.keys(declared)
      .sort()
      .map((unit) => ({ unit, declared: declared[unit]!, available: available[unit] ?? 0 })),
    deadLetters: bq.rows('dead_letters').map((r) => ({ topic: String(r.topic ?? r.subscription ?? '?'), reason: String(r.reason ?? r.dead_letter_reason ?? '?') })),
    liveViews: funnel.peakLiveViews,
  };
}

const money = (amount: number, currency: string) => (currency === 'CLP' ? `$${Math.round(amount).toLocaleString('es-CL')} CLP` : `${amount.toFixed(2)} ${currency}`);
const ms = (n: number | null) => (n === null ? '—' : n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`);

export function formatSummary(s: DemoSummary, live: { products: Array<{ code: string; name: string }> }): string[] {
  const f = s.funnel;
  const name = (unit: string) => {
    const [code, color, size] = unit.split(':');
    const product = live.products.find((p) => p.code === code)?.name ?? code;
    return [product, color && color !== '-' ? color : null, size && size !== '-' ? size : null].filter(Boolean).join(' ');
  };
  const lines = [
    'Summary (from Firestore, the BigQuery stand-in, the Graph stand-in and the Mercado Pago stand-in):',
    `  comments            ${f.comments}   (${f.purchaseIntents} purchase intents; ${(s.llmShare * 100).toFixed(1)} % needed an LLM: ${s.geminiCalls} Gemini stand-in calls)`,
    `  orders              ${s.orders.length}   ${Object.entries(s.byStatus).sort().map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `  payment links       ${s.links}   (Mercado Pago stand-in preferences: ${s.mpPreferences}; ${s.promoted} from the waitlist)`,
    `  paid                ${s.byStatus.paid ?? 0}   failed ${s.byStatus.failed ?? 0}   expired ${s.byStatus.expired ?? 0}   cancelled ${s.byStatus.cancelled ?? 0}   waitlisted now ${s.byStatus.waitlisted ?? 0} (ever ${f.waitlisted})`,
    `  revenue             ${money(s.revenue, s.currency)}   (approved at the Mercado Pago stand-in for those orders: ${money(s.mpApprovedForPaid, s.currency)})`,
    `  replies             ${s.replies} private replies, ${s.threadMessages} thread messages (Graph stand-in)`,
    `  comment → reply     p50 ${ms(s.latencyP50Ms)}   p95 ${ms(s.latencyP95Ms)}   over ${s.repliedComments} replied comments`,
    `  dead letters        ${s.deadLetters.length}${s.deadLetters.length ? `   ${[...new Set(s.deadLetters.map((d) => d.reason))].slice(0, 3).join('; ')}` : ''}`,
    `  live viewers        ${s.liveViews ?? '—'} (peak live_views read by the live-metrics job)`,
    '  stock left          ' + s.stock.map((u) => `${name(u.unit)} ${u.available}/${u.declared}`).join(', '),
    '',
    `Funnel (the live_funnel view): ${f.comments} comments → ${f.purchaseIntents} purchase intents → ${f.orders} orders → ${f.links} links → ${f.paid} paid, ${money(f.revenue, f.currency ?? s.currency)}; first reply p50 ${ms(f.replyP50Ms)} / p95 ${ms(f.replyP95Ms)}`,
  ];
  return lines;
}
