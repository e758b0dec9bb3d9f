import type { DeadLetterRecord } from '../pubsub/push-handler.js';
import { ATTR } from '../topology/topology.js';
import { AnalyticsError, AnalyticsRejectedError } from './analytics-errors.js';
import type { AnalyticsOutbox } from './analytics-outbox.js';
import { BigQueryAnalyticsSink, type AnalyticsSink as BigQuerySink } from './analytics-sink.js';
import type { AnalyticsTableName } from './tables/index.js';
import { TransientError } from '../pubsub/handler-errors.js';
import { getLogger } from '../logging/logger.js';
import { DeadlineExceededError, withDeadline } from '../runtime/deadline.js';

/**
 * How a service streams one analytics row, off the business path: analytics never blocks or fails a comment and
 * loses no row.
 *
 * - The insert gets a short deadline (`insertTimeoutMs`). The insertId is ours (stable per comment), so any re-send
 *   of the row is de-duplicated by BigQuery.
 * - BigQuery down, hung, or refusing the request (403/404: configuration) → the row is kept in the durable outbox
 *   (`analytics_outbox`, see analytics-outbox.ts) and `record()` returns: the comment goes on. An operator (or a
 *   scheduled job) replays the outbox with `npm run analytics-outbox -- replay`.
 * - A row BigQuery refuses as invalid is kept in the outbox as `rejected` (a retry cannot fix it) and logged.
 * - Only when the outbox itself cannot be written (Firestore down too) does `record()` throw a TransientError: the
 *   message is retried on the schedule, so the row is still not lost. Without an outbox (tools, tests) a BigQuery
 *   failure is that TransientError directly.
 *
 * Log lines carry table, insertId, statuses and BigQuery's reasons, never row values or BigQuery's messages (they can
 * quote buyers' names and comments).
 */
export interface AnalyticsSink {
  record(table: AnalyticsTableName, insertId: string, row: Record<string, unknown>): Promise<void>;
}

export interface AnalyticsRecorderOptions {
  /** Where rows go when BigQuery fails; without it a BigQuery failure is a TransientError (a retry of the message). */
  outbox?: AnalyticsOutbox;
  /** Deadline of the insert on the business path (all of the sink's attempts). Default 3 s. */
  insertTimeoutMs?: number;
}

const TRANSIENT_ROW_REASONS = new Set(['backendError', 'internalError', 'rateLimitExceeded', 'timeout', 'stopped']);

export function analyticsFromBigQuery(sink: BigQuerySink, options: AnalyticsRecorderOptions = {}): AnalyticsSink {
  const insertTimeoutMs = options.insertTimeoutMs ?? 3000;
  const { outbox } = options;

  const keep = async (table: AnalyticsTableName, insertId: string, row: Record<string, unknown>, state: 'pending' | 'rejected', reason: string, reasons: string[] = []) => {
    if (!outbox) {
      if (state === 'rejected') return; // nothing a retry could fix, and nowhere to keep it: logged by the caller
      throw new TransientError(`analytics row not stored: ${reason}`, 'analytics_unavailable');
    }
    try {
      await outbox.keep(table, insertId, row, state, reason, reasons);
      getLogger().warn('analytics row kept in the outbox for a later replay', { table, insertId, state, reason, reasons });
    } catch (e) {
      throw new TransientError(`analytics row neither stored nor kept (${reason}); outbox: ${(e as Error)?.message ?? String(e)}`, 'analytics_unavailable', { cause: e });
    }
  };

  return {
    async record(table, insertId, row) {
      let result;
      try {
        result = await withDeadline(`analytics insert into ${table}`, insertTimeoutMs, () => sink.insert(table, [{ insertId, row }]));
      } catch (e) {
        if (e instanceof AnalyticsRejectedError) {
          getLogger().error('analytics insert refused by BigQuery (configuration?)', { table, insertId, status: e.status, reasons: e.reasons });
          return keep(table, insertId, row, 'pending', `refused: HTTP ${e.status}`, e.reasons);
        }
        if (e instanceof AnalyticsError || e instanceof DeadlineExceededError) {
          return keep(table, insertId, row, 'pending', e instanceof DeadlineExceededError ? `no answer within ${insertTimeoutMs} ms` : e.message);
        }
        throw e;
      }
      const rejected = result.rejected[0];
      if (!rejected) return;
      if (rejected.reasons.length > 0 && rejected.reasons.every((r) => TRANSIENT_ROW_REASONS.has(r))) {
        return keep(table, insertId, row, 'pending', 'row still failing transiently', rejected.reasons);
      }
      getLogger().error('analytics row rejected by BigQuery', { table, insertId, reasons: rejected.reasons, fields: rejected.fields });
      return keep(table, insertId, row, 'rejected', 'rejected by BigQuery', rejected.reasons);
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

/** The BigQuery sink a service or tool uses, from its analytics settings. */
export function bigQuerySinkFromConfig(config: { projectId: string; bigqueryDataset: string; bigqueryApiUrl?: string | undefined; analyticsInsertTimeout?: number | undefined }): BigQueryAnalyticsSink {
  return new BigQueryAnalyticsSink({
    projectId: config.projectId,
    dataset: config.bigqueryDataset,
    ...(config.bigqueryApiUrl ? { apiEndpoint: config.bigqueryApiUrl } : {}),
    ...(config.analyticsInsertTimeout !== undefined ? { timeoutMs: config.analyticsInsertTimeout } : {}),
  });
}

/**
 * The recorder a service uses, from its analytics settings (`BIGQUERY_API_URL`, `BIGQUERY_DATASET`,
 * `ANALYTICS_INSERT_TIMEOUT`), with the outbox when given (services pass it: see analyticsFromBigQuery).
 */
export function analyticsFromConfig(
  config: { projectId: string; bigqueryDataset: string; bigqueryApiUrl?: string | undefined; analyticsInsertTimeout?: number | undefined },
  options: { outbox?: AnalyticsOutbox } = {},
): AnalyticsSink {
  return analyticsFromBigQuery(bigQuerySinkFromConfig(config), {
    ...options,
    ...(config.analyticsInsertTimeout !== undefined ? { insertTimeoutMs: config.analyticsInsertTimeout } : {}),
  });
}
