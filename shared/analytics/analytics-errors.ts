/**
 * Failures of a whole analytics insert (row-level rejections are returned, not thrown).
 *
 * Analytics must never block the order flow: a caller on the hot path catches {@link AnalyticsError}, logs it and
 * carries on (optionally re-publishing the rows for a later retry: the same insertIds keep that idempotent).
 */
export class AnalyticsError extends Error {
  constructor(
    readonly table: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * BigQuery could not be reached or answered 5xx/429/408 after the client's own retries. Transient: retrying
 * later with the same insertIds is safe.
 */
export class AnalyticsUnavailableError extends AnalyticsError {
  override readonly name = 'AnalyticsUnavailableError';
  constructor(
    table: string,
    message: string,
    /** HTTP status, when BigQuery answered at all. */
    readonly status: number | undefined,
    /** insertIds already stored by earlier attempts of this call. */
    readonly inserted: string[],
    /** insertIds whose fate is unknown (not stored, or stored without our hearing back). */
    readonly pending: string[],
    /** Rows already refused for good by earlier attempts of this call. */
    readonly rejected: Array<{ insertId: string; reasons: string[] }>,
    options?: { cause?: unknown },
  ) {
    super(table, message, options);
  }
}

/**
 * BigQuery refused the whole request (400 bad request, 403 permission, 404 unknown dataset/table). Permanent
 * until config or code changes: retrying the same request will not help.
 */
export class AnalyticsRejectedError extends AnalyticsError {
  override readonly name = 'AnalyticsRejectedError';
  constructor(
    table: string,
    message: string,
    readonly status: number,
    /** BigQuery's error reasons (`notFound`, `accessDenied`, `invalid`...). */
    readonly reasons: string[],
    options?: { cause?: unknown },
  ) {
    super(table, message, options);
  }
}
