/**
 * The per-live funnel of shared/analytics/views/live_funnel.sql, computed the same way from rows (the BigQuery
 * stand-in runs no SQL): each definition here mirrors one in the view, so `npm start` prints what the view shows.
 */
export interface LiveFunnel {
  comments: number;
  purchaseIntents: number;
  classified: number;
  neededLlm: number;
  orders: number;
  links: number;
  paid: number;
  failed: number;
  expired: number;
  cancelled: number;
  waitlisted: number;
  revenue: number;
  currency: string | null;
  replyP50Ms: number | null;
  replyP95Ms: number | null;
  peakLiveViews: number | null;
}

type Row = Record<string, unknown>;

/** Nearest-rank percentile (APPROX_QUANTILES is approximate; on a few hundred values they agree within a rank). */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function liveFunnel(rows: { comments: Row[]; intents: Row[]; orders: Row[]; notifications: Row[]; liveMetrics: Row[] }, tiendaId: string, liveId: string): LiveFunnel {
  const mine = (r: Row) => r.tienda_id === tiendaId && r.live_id === liveId;
  const comments = new Set(rows.comments.filter(mine).map((r) => r.comment_id)).size;
  const intents = new Map<unknown, Row>();
  for (const r of rows.intents.filter(mine)) intents.set(r.comment_id, r);
  const purchaseIntents = [...intents.values()].filter((r) => r.intent === 'purchase').length;
  const neededLlm = [...intents.values()].filter((r) => r.source !== 'local').length;
  const byOrder = new Map<unknown, Row[]>();
  for (const r of rows.orders.filter(mine)) byOrder.set(r.order_id, [...(byOrder.get(r.order_id) ?? []), r]);
  let links = 0, paid = 0, failed = 0, expired = 0, cancelled = 0, waitlisted = 0, revenue = 0;
  let currency: string | null = null;
  for (const changes of byOrder.values()) {
    const latest = [...changes].sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)))[0]!;
    if (changes.some((c) => c.status === 'pending_payment')) links++;
    if (changes.some((c) => c.status === 'waitlisted')) waitlisted++;
    if (latest.status === 'paid') (paid++, (revenue += Number(latest.total_amount ?? 0)));
    if (latest.status === 'failed') failed++;
    if (latest.status === 'expired') expired++;
    if (latest.status === 'cancelled') cancelled++;
    currency ??= (latest.currency as string | undefined) ?? null;
  }
  const first = new Map<unknown, number>();
  for (const r of rows.notifications.filter(mine)) {
    if (r.status !== 'sent' || r.comment_id == null || r.latency_ms == null) continue;
    const ms = Number(r.latency_ms);
    first.set(r.comment_id, Math.min(first.get(r.comment_id) ?? Infinity, ms));
  }
  const latencies = [...first.values()];
  const views = rows.liveMetrics.filter(mine).map((r) => Number(r.live_views)).filter((n) => Number.isFinite(n));
  return {
    comments,
    purchaseIntents,
    classified: intents.size,
    neededLlm,
    orders: byOrder.size,
    links,
    paid,
    failed,
    expired,
    cancelled,
    waitlisted,
    revenue,
    currency,
    replyP50Ms: percentile(latencies, 50),
    replyP95Ms: percentile(latencies, 95),
    peakLiveViews: views.length ? Math.max(...views) : null,
  };
}
