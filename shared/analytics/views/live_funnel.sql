-- live_funnel: one row per live — comments → purchase intents → orders → payment links → paid, revenue, and the
-- comment-to-first-reply latency. Deployed as a BigQuery view by terraform/modules/bigquery (views.tf, with
-- ${project_id} and ${dataset_id} filled in); `npm start` prints the same figures from its BigQuery stand-in
-- (scripts/demo/live-funnel.ts mirrors each definition below). Rows are de-duplicated by their natural ids, since
-- streaming inserts are at-least-once.
WITH
comment_rows AS (
  SELECT tienda_id, live_id, COUNT(DISTINCT comment_id) AS comments, MIN(received_at) AS first_comment_at, MAX(received_at) AS last_comment_at
  FROM `${project_id}.${dataset_id}.comments`
  WHERE live_id IS NOT NULL
  GROUP BY tienda_id, live_id
),
intent_rows AS (
  SELECT
    tienda_id, live_id,
    COUNT(DISTINCT comment_id) AS classified,
    COUNT(DISTINCT IF(intent = 'purchase', comment_id, NULL)) AS purchase_intents,
    COUNT(DISTINCT IF(source != 'local', comment_id, NULL)) AS needed_llm
  FROM `${project_id}.${dataset_id}.intents`
  GROUP BY tienda_id, live_id
),
-- One row per status change: an order counts once; it got a link when it was ever pending_payment.
order_states AS (
  SELECT
    tienda_id, live_id, order_id,
    LOGICAL_OR(status = 'pending_payment') AS had_link,
    LOGICAL_OR(status = 'waitlisted') AS was_waitlisted,
    ARRAY_AGG(STRUCT(status, total_amount, currency) ORDER BY created_at DESC LIMIT 1)[OFFSET(0)] AS latest
  FROM `${project_id}.${dataset_id}.orders`
  GROUP BY tienda_id, live_id, order_id
),
order_rows AS (
  SELECT
    tienda_id, live_id,
    COUNT(*) AS orders,
    COUNTIF(had_link) AS links,
    COUNTIF(latest.status = 'paid') AS paid,
    COUNTIF(latest.status = 'failed') AS failed,
    COUNTIF(latest.status = 'expired') AS expired,
    COUNTIF(latest.status = 'cancelled') AS cancelled,
    COUNTIF(was_waitlisted) AS waitlisted,
    SUM(IF(latest.status = 'paid', latest.total_amount, 0)) AS revenue,
    ANY_VALUE(latest.currency) AS currency
  FROM order_states
  GROUP BY tienda_id, live_id
),
-- The first message that reached the buyer about each comment (its private reply, usually).
first_replies AS (
  SELECT tienda_id, live_id, comment_id, MIN(latency_ms) AS latency_ms
  FROM `${project_id}.${dataset_id}.notifications`
  WHERE status = 'sent' AND comment_id IS NOT NULL AND live_id IS NOT NULL
  GROUP BY tienda_id, live_id, comment_id
),
latency_rows AS (
  SELECT
    tienda_id, live_id,
    COUNT(*) AS replied_comments,
    APPROX_QUANTILES(latency_ms, 100)[OFFSET(50)] AS reply_p50_ms,
    APPROX_QUANTILES(latency_ms, 100)[OFFSET(95)] AS reply_p95_ms
  FROM first_replies
  GROUP BY tienda_id, live_id
),
viewer_rows AS (
  SELECT tienda_id, live_id, MAX(live_views) AS peak_live_views
  FROM `${project_id}.${dataset_id}.live_metrics`
  GROUP BY tienda_id, live_id
)
SELECT
  c.tienda_id,
  c.live_id,
  c.first_comment_at,
  c.last_comment_at,
  c.comments,
  COALESCE(i.purchase_intents, 0) AS purchase_intents,
  COALESCE(o.orders, 0) AS orders,
  COALESCE(o.links, 0) AS links,
  COALESCE(o.paid, 0) AS paid,
  COALESCE(o.failed, 0) AS failed,
  COALESCE(o.expired, 0) AS expired,
  COALESCE(o.cancelled, 0) AS cancelled,
  COALESCE(o.waitlisted, 0) AS waitlisted,
  COALESCE(o.revenue, 0) AS revenue,
  o.currency,
  SAFE_DIVIDE(i.purchase_intents, c.comments) AS intent_rate,
  SAFE_DIVIDE(o.paid, i.purchase_intents) AS paid_per_intent,
  SAFE_DIVIDE(i.needed_llm, i.classified) AS llm_share,
  l.replied_comments,
  l.reply_p50_ms,
  l.reply_p95_ms,
  v.peak_live_views
FROM comment_rows c
LEFT JOIN intent_rows i USING (tienda_id, live_id)
LEFT JOIN order_rows o USING (tienda_id, live_id)
LEFT JOIN latency_rows l USING (tienda_id, live_id)
LEFT JOIN viewer_rows v USING (tienda_id, live_id)
