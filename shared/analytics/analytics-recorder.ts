import { AnalyticsError, AnalyticsUnavailableError } from '../../shared/analytics/analytics-errors.js';
import type { BigQueryAnalyticsSink } from '../../shared/analytics/analytics-sink.js';
import type { AnalyticsTableName } from '../../shared/analytics/tables/index.js';
import { TransientError } from '../../shared/pubsub/handler-errors.js';
import { getLogger } from '../../shared/logging/logger.js';

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
