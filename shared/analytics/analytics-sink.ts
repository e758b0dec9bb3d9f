import { BigQuery, type BigQueryOptions } from '@google-cloud/bigquery';
import { PassThroughClient } from 'google-auth-library';
import { getLogger } from '../logging/logger.js';
import { DeadlineExceededError, withDeadline } from '../runtime/deadline.js';
import { AnalyticsRejectedError, AnalyticsUnavailableError } from './analytics-errors.js';
import type { AnalyticsTableName } from './tables/index.js';

export { AnalyticsError, AnalyticsRejectedError, AnalyticsUnavailableError } from './analytics-errors.js';

/** One row to stream. `insertId` is ours (comment id, notification id...): BigQuery de-duplicates retries on it. */
export interface AnalyticsRow {
  insertId: string;
  row: Record<string, unknown>;
}

export interface RejectedRow {
  insertId: string;
  /** BigQuery reasons (`invalid`, `stopped`, `backendError`...). */
  reasons: string[];
  /** Fields BigQuery pointed at (`location`), when it said. */
  fields: string[];
  /**
   * BigQuery's messages ("no such field: x."). They can quote row values, so they are returned for the caller to
   * inspect but never logged by the sink.
   */
  messages: string[];
}

export interface AnalyticsInsertResult {
  /** insertIds stored (or already stored earlier: a de-duplicated retry counts as inserted). */
  inserted: string[];
  /** Rows BigQuery refused for good, or that were still failing transiently after the last attempt. */
  rejected: RejectedRow[];
}

export interface AnalyticsSink {
  insert(table: AnalyticsTableName, rows: AnalyticsRow[]): Promise<AnalyticsInsertResult>;
}

export interface BigQueryAnalyticsSinkOptions {
  projectId: string;
  /** Dataset holding the analytics tables. */
  dataset: string;
  /**
   * Base URL of the BigQuery API, e.g. `http://127.0.0.1:9050` for a local fake. Default: Google's.
   * Beware: the client lets a `BIGQUERY_EMULATOR_HOST` env var win over this (used verbatim, without `/bigquery/v2`).
   */
  apiEndpoint?: string;
  /**
   * Send requests without credentials. Default: true for a plain `http://` endpoint (a local fake: no token
   * should travel in clear text, and looking for Application Default Credentials offline probes the GCE metadata
   * server), false otherwise.
   */
  anonymous?: boolean;
  /** A ready client (shares its auth and connection pool); `apiEndpoint`/`timeoutMs`/`requestRetries` are then ignored. */
  bigquery?: BigQuery;
  /** Attempts per row for row-level transient failures (`backendError`, `stopped`...). Default 3. */
  maxAttempts?: number;
  /** Delay before the 2nd attempt, doubled for each next one. Default 200 ms. */
  retryDelayMs?: number;
  /**
   * Retries of a whole request that failed with 5xx/429/408 or no response, done by the client library itself
   * (same body, so the same insertIds). Default 2; 0 disables them.
   */
  requestRetries?: number;
  /**
   * Deadline of one insertAll call, the client's own request retries included. Default 10 s. Enforced by the sink:
   * the client's `timeout` option never reaches its HTTP layer (teeny-request hands it to node-fetch 3, which
   * ignores it), so against a server that accepts the connection and never answers, the client alone waits forever.
   */
  timeoutMs?: number;
  /**
   * Pass BigQuery's `skipInvalidRows`: valid rows are stored even when others in the request are invalid, saving
   * the second round trip for `stopped` rows. Default false: the whole request is refused and the sink resends
   * the valid rows, which keeps BigQuery's default semantics visible in the request log.
   */
  skipInvalidRows?: boolean;
}

/**
 * Row reasons worth resending: BigQuery-side hiccups, and `stopped`, which marks a valid row that was not stored
 * only because another row of the same request was invalid.
 * https://cloud.google.com/bigquery/docs/error-messages
 */
const TRANSIENT_REASONS = new Set(['backendError', 'internalError', 'rateLimitExceeded', 'timeout', 'stopped']);

/** Whole-request HTTP statuses that mean "try again later". */
const isTransientStatus = (status: number) => status === 408 || status === 429 || status >= 500;

interface PartialFailureLike {
  errors: Array<{ row?: { insertId?: string }; errors?: Array<{ reason?: string; message?: string }> }>;
  response?: { insertErrors?: Array<{ index?: number; errors?: Array<{ location?: string }> }> };
}

/** The client library throws its own `PartialFailureError` (from @google-cloud/common) for `insertErrors`. */
function isPartialFailure(err: unknown): err is PartialFailureLike {
  return (
    err instanceof Error && err.name === 'PartialFailureError' && Array.isArray((err as { errors?: unknown }).errors)
  );
}

/**
 * Streams rows into BigQuery with `tabledata.insertAll`, idempotently.
 *
 * - Rows are sent `raw` (`{insertId, json}`) with OUR insertIds, and the client's own partial retries are off
 *   (`partialRetries: 0`): the client would resend failed rows itself, including permanently invalid ones.
 * - A `PartialFailureError` is handled row by row: rows whose reasons are all transient are resent with the same
 *   insertId, up to `maxAttempts`; others are rejected, logged (ids and reasons only — never row contents or
 *   BigQuery's messages, which can quote personal data) and returned.
 * - A whole-request failure throws {@link AnalyticsUnavailableError} (transient) or {@link AnalyticsRejectedError}.
 *   Callers on the order path log and continue: analytics must never block an order.
 */
export class BigQueryAnalyticsSink implements AnalyticsSink {
  private readonly bigquery: BigQuery;
  private readonly dataset: string;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly skipInvalidRows: boolean;
  private readonly timeoutMs: number;

  constructor(options: BigQueryAnalyticsSinkOptions) {
    const requestRetries = options.requestRetries ?? 2;
    // `timeout` is read by @google-cloud/common's Service but is missing from BigQueryOptions' type.
    const clientOptions: BigQueryOptions & { timeout: number } = {
      projectId: options.projectId,
      timeout: options.timeoutMs ?? 10_000,
      retryOptions: { autoRetry: requestRetries > 0, maxRetries: requestRetries, maxRetryDelay: 4 },
      ...(options.apiEndpoint ? { apiEndpoint: options.apiEndpoint } : {}),
      ...((options.anonymous ?? options.apiEndpoint?.startsWith('http://') === true)
        ? { authClient: new PassThroughClient() }
        : {}),
    };
    this.bigquery = options.bigquery ?? new BigQuery(clientOptions);
    this.dataset = options.dataset;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.retryDelayMs = options.retryDelayMs ?? 200;
    this.skipInvalidRows = options.skipInvalidRows ?? false;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async insert(table: AnalyticsTableName, rows: AnalyticsRow[]): Promise<AnalyticsInsertResult> {
    const inserted: string[] = [];
    const rejected: RejectedRow[] = [];
    // BigQuery would de-duplicate a repeated insertId anyway; keeping the first makes the per-row result exact.
    const unique = new Map<string, AnalyticsRow>();
    for (const r of rows) {
      if (!r.insertId) throw new TypeError(`analytics row for ${table} has no insertId`);
      if (!unique.has(r.insertId)) unique.set(r.insertId, r);
    }
    let pending = [...unique.values()];
    const target = this.bigquery.dataset(this.dataset).table(table);

    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > 1) await sleep(this.retryDelayMs * 2 ** (attempt - 2));
      const sent = pending;
      pending = [];
      try {
        // The client takes no AbortSignal: the race ends our wait; the abandoned request's late answer is ignored
        // (its socket stays with the client's pool until the server or the OS closes it).
        await withDeadline(`BigQuery insertAll ${this.dataset}.${table}`, this.timeoutMs, () =>
          target.insert(
            sent.map((r) => ({ insertId: r.insertId, json: r.row })),
            { raw: true, partialRetries: 0, skipInvalidRows: this.skipInvalidRows },
          ),
        );
        inserted.push(...sent.map((r) => r.insertId));
        continue;
      } catch (err) {
        if (!isPartialFailure(err)) {
          throw this.requestFailure(table, err, inserted, sent.map((r) => r.insertId), rejected);
        }
        const failed = new Map<string, RejectedRow>();
        err.errors.forEach((rowError, i) => {
          const insertId = rowError.row?.insertId;
          if (insertId === undefined) return;
          const locations = err.response?.insertErrors?.[i]?.errors?.map((e) => e.location ?? '') ?? [];
          failed.set(insertId, {
            insertId,
            reasons: (rowError.errors ?? []).map((e) => e.reason ?? 'unknown'),
            fields: [...new Set(locations.filter((l) => l !== ''))],
            messages: (rowError.errors ?? []).map((e) => e.message ?? ''),
          });
        });
        for (const r of sent) {
          const failure = failed.get(r.insertId);
          if (!failure) {
            inserted.push(r.insertId);
          } else if (
            attempt < this.maxAttempts &&
            failure.reasons.length > 0 &&
            failure.reasons.every((reason) => TRANSIENT_REASONS.has(reason))
          ) {
            pending.push(r);
          } else {
            rejected.push(failure);
          }
        }
      }
    }

    if (rejected.length > 0) {
      getLogger().warn('analytics rows rejected by BigQuery', {
        dataset: this.dataset,
        table,
        insertedCount: inserted.length,
        rejectedCount: rejected.length,
        rejected: rejected.map(({ insertId, reasons, fields }) => ({ insertId, reasons, fields })),
      });
    }
    return { inserted, rejected };
  }

  private requestFailure(table: string, err: unknown, inserted: string[], pending: string[], rejected: RejectedRow[]) {
    const status = (err as { code?: unknown }).code;
    const reasons = ((err as { errors?: Array<{ reason?: string }> }).errors ?? [])
      .map((e) => e.reason)
      .filter((r): r is string => typeof r === 'string');
    // Never BigQuery's message in ours: it can quote row values (buyers' names, comments), and these messages end
    // up in logs and in the failure attributes of retried messages. Status and reasons say what went wrong.
    const detail =
      err instanceof DeadlineExceededError
        ? `no answer within ${err.timeoutMs} ms`
        : [typeof status === 'number' ? `HTTP ${status}` : typeof status === 'string' ? status : 'no HTTP answer', ...reasons].join(' ');
    if (typeof status === 'number' && status >= 400 && !isTransientStatus(status)) {
      return new AnalyticsRejectedError(
        table,
        `BigQuery refused the insert into ${this.dataset}.${table}: ${detail}`,
        status,
        reasons,
        { cause: err },
      );
    }
    return new AnalyticsUnavailableError(
      table,
      `BigQuery unavailable for ${this.dataset}.${table}: ${detail}`,
      typeof status === 'number' ? status : undefined,
      inserted,
      pending,
      rejected.map(({ insertId, reasons }) => ({ insertId, reasons })),
      { cause: err },
    );
  }
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
