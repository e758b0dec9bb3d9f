import type { DeadLetterRecord } from '../pubsub/push-handler.js';
import { ATTR } from '../topology/topology.js';
import { AnalyticsError, AnalyticsUnavailableError } from './analytics-errors.js';
import { BigQueryAnalyticsSink } from './analytics-sink.js';
import type { AnalyticsTableName } from './tables/index.js';
import { TransientError } from '../pubsub/handler-errors.js';
import { getLogger } from '../logging/logger.js';

/**
 * How the worker streams one analytics row. The insertId is ours (stable per comment), so a retried message
 * re-sends the same row and BigQuery deduplicates it. BigQuery down → TransientError: the message is retried
 * on the schedule and, since the decisions are stored before this point, the retry only re-sends the row.
 * A row BigQuery rejects as invalid is logged and dropped (a retry cannot fix it) — never a reason to stop
 * selling.
 */
export interface AnalyticsSink {
  record(table: AnalyticsTableName, insertId: string, row: Record<string, unknown>): Promise<void>;
}

export function analyticsFromBigQuery(sink: BigQueryAnalyticsSink): AnalyticsSink {
  return {
    async record(table, insertId, row) {
      try {
        const result = await sink.insert(table, [{ insertId, row }]);
        if (result.rejected.length > 0) {
          getLogger().error('analytics row rejected by BigQuery', { table, insertId, reasons: result.rejected[0]!.reasons, fields: result.rejected[0]!.fields });
        }
      } catch (e) {
        if (e instanceof AnalyticsUnavailableError) throw new TransientError(`BigQuery unavailable: ${e.message}`, 'analytics_unavailable', { cause: e });
        if (e instanceof AnalyticsError) {
          getLogger().error('analytics insert refused (configuration?)', { table, insertId, error: e.message });
          return;
        }
        throw e;
      }
    },
  };
}

/** The `dead_letters` row every push consumer writes, so one table covers them all. */
export function recordDeadLetter(analytics: AnalyticsSink, now: () => number = Date.now) {
  return (r: DeadLetterRecord): Promise<void> =>
    analytics.record('dead_letters', `dlq:${r.consumer.topic}:${r.attributes[ATTR.originalMessageId] ?? r.messageId}`, {
      topic: r.consumer.topic,
      subscription: r.consumer.subscription,
      message_id: r.messageId,
      idempotency_key: r.attributes[ATTR.idempotencyKey] ?? null,
      event: r.attributes[ATTR.event] ?? null,
      tienda_id: r.attributes[ATTR.tiendaId] ?? null,
      reason: r.reason,
      delivery_attempt: r.history.length,
      failure_history: JSON.stringify(r.history),
      original_data: r.data.toString('utf8').slice(0, 100_000),
      attributes: JSON.stringify(r.attributes),
      dead_lettered_at: new Date(now()).toISOString(),
    });
}

/** The recorder a service uses, from its analytics settings (`BIGQUERY_API_URL`, `BIGQUERY_DATASET`). */
export function analyticsFromConfig(config: { projectId: string; bigqueryDataset: string; bigqueryApiUrl?: string | undefined }): AnalyticsSink {
  return analyticsFromBigQuery(
    new BigQueryAnalyticsSink({
      projectId: config.projectId,
      dataset: config.bigqueryDataset,
      ...(config.bigqueryApiUrl ? { apiEndpoint: config.bigqueryApiUrl } : {}),
    }),
  );
}
