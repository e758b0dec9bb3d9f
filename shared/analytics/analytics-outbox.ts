import { Timestamp, type Firestore } from '@google-cloud/firestore';
import { getLogger } from '../logging/logger.js';
import { withDeadline } from '../runtime/deadline.js';
import { AnalyticsUnavailableError } from './analytics-errors.js';
import type { AnalyticsSink as BigQuerySink } from './analytics-sink.js';
import { isAnalyticsTableName, type AnalyticsTableName } from './tables/index.js';

/**
 * Durable outbox of analytics rows that could not be streamed to BigQuery on the business path (BigQuery down,
 * hung or refusing the request). Analytics must never block or fail a comment, and must lose no row: the recorder
 * inserts with a short deadline and, when that fails, keeps the row here; `replay()` (the `analytics-outbox` CLI)
 * later inserts it with the same insertId, so BigQuery de-duplicates a row that did arrive after all.
 *
 *   analytics_outbox/{encodeURIComponent(table + ":" + insertId)}
 *     { table, insert_id, row_json, state: pending | rejected, reason, reasons, attempts, kept_at, updated_at }
 *
 * `row_json` is the row exactly as it would have been sent (JSON text: no Firestore type conversion on replay).
 * `rejected` rows are rows BigQuery refused as invalid: kept for an operator (a replay cannot fix them), never
 * replayed. The collection holds personal data (comments, names) like the BigQuery tables: same access rules.
 */

export const ANALYTICS_OUTBOX_COLLECTION = 'analytics_outbox';

export type OutboxState = 'pending' | 'rejected';

export interface OutboxEntry {
  id: string;
  table: AnalyticsTableName;
  insertId: string;
  row: Record<string, unknown>;
  state: OutboxState;
  reason: string;
  reasons: string[];
  attempts: number;
  keptAt: Date;
}

export interface AnalyticsOutboxOptions {
  collection?: string;
  /** Deadline of each Firestore call. Default 5 s. */
  timeoutMs?: number;
  now?: () => number;
}

export interface ReplayResult {
  /** Rows stored in BigQuery (or already there) and removed from the outbox. */
  replayed: number;
  /** Rows BigQuery refused as invalid, now marked `rejected`. */
  rejected: number;
  /** Rows left pending because BigQuery was still unavailable. */
  failed: number;
}

/** BigQuery row reasons a later replay can get past. */
const TRANSIENT_ROW_REASONS = new Set(['backendError', 'internalError', 'rateLimitExceeded', 'timeout', 'stopped']);

export function outboxDocId(table: string, insertId: string): string {
  return encodeURIComponent(`${table}:${insertId}`);
}

export class AnalyticsOutbox {
  private readonly collection: string;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(
    private readonly db: Firestore,
    options: AnalyticsOutboxOptions = {},
  ) {
    this.collection = options.collection ?? ANALYTICS_OUTBOX_COLLECTION;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.now = options.now ?? Date.now;
  }

  private ref(id: string) {
    return this.db.collection(this.collection).doc(id);
  }

  /** Keeps (or re-keeps) one row. Idempotent per table + insertId. Throws when Firestore cannot be reached in time. */
  async keep(table: AnalyticsTableName, insertId: string, row: Record<string, unknown>, state: OutboxState, reason: string, reasons: string[] = []): Promise<void> {
    const now = Timestamp.fromMillis(this.now());
    const id = outboxDocId(table, insertId);
    await withDeadline(`firestore ${this.collection}.keep`, this.timeoutMs, () =>
      this.db.runTransaction(async (tx) => {
        const snap = await tx.get(this.ref(id));
        tx.set(this.ref(id), {
          table,
          insert_id: insertId,
          row_json: JSON.stringify(row),
          state,
          reason: reason.slice(0, 500),
          reasons,
          attempts: ((snap.exists ? (snap.get('attempts') as number | undefined) : 0) ?? 0) + 1,
          kept_at: snap.exists ? (snap.get('kept_at') as Timestamp) : now,
          updated_at: now,
        });
      }),
    );
  }

  /** Rows in a state, oldest first within the page read (at most `limit`). */
  async list(state: OutboxState = 'pending', limit = 500): Promise<OutboxEntry[]> {
    const snap = await withDeadline(`firestore ${this.collection}.list`, this.timeoutMs, () =>
      this.db.collection(this.collection).where('state', '==', state).limit(limit).get(),
    );
    const entries: OutboxEntry[] = [];
    for (const doc of snap.docs) {
      const table = doc.get('table') as unknown;
      if (typeof table !== 'string' || !isAnalyticsTableName(table)) continue;
      entries.push({
        id: doc.id,
        table,
        insertId: doc.get('insert_id') as string,
        row: JSON.parse(doc.get('row_json') as string) as Record<string, unknown>,
        state: doc.get('state') as OutboxState,
        reason: (doc.get('reason') as string | undefined) ?? '',
        reasons: (doc.get('reasons') as string[] | undefined) ?? [],
        attempts: (doc.get('attempts') as number | undefined) ?? 0,
        keptAt: (doc.get('kept_at') as Timestamp).toDate(),
      });
    }
    return entries.sort((a, b) => a.keptAt.getTime() - b.keptAt.getTime());
  }

  /**
   * Inserts pending rows into BigQuery with their own insertIds, table by table, `batchSize` rows per request, until
   * none is left or BigQuery fails (the rest stays pending for the next run). Safe to run concurrently with the
   * services and with itself: a row inserted twice is de-duplicated by its insertId.
   */
  async replay(sink: BigQuerySink, options: { limit?: number; batchSize?: number } = {}): Promise<ReplayResult> {
    const result: ReplayResult = { replayed: 0, rejected: 0, failed: 0 };
    const entries = await this.list('pending', options.limit ?? 500);
    const batchSize = Math.max(1, options.batchSize ?? 100);
    const byTable = new Map<AnalyticsTableName, OutboxEntry[]>();
    for (const e of entries) byTable.set(e.table, [...(byTable.get(e.table) ?? []), e]);
    const log = getLogger();

    for (const [table, rows] of byTable) {
      for (let i = 0; i < rows.length; i += batchSize) {
        const batch = rows.slice(i, i + batchSize);
        const byInsertId = new Map(batch.map((e) => [e.insertId, e]));
        try {
          const outcome = await sink.insert(table, batch.map((e) => ({ insertId: e.insertId, row: e.row })));
          await this.remove(outcome.inserted.flatMap((id) => (byInsertId.has(id) ? [byInsertId.get(id)!.id] : [])));
          result.replayed += outcome.inserted.length;
          for (const r of outcome.rejected) {
            const entry = byInsertId.get(r.insertId);
            if (!entry) continue;
            if (r.reasons.length > 0 && r.reasons.every((reason) => TRANSIENT_ROW_REASONS.has(reason))) {
              result.failed++;
              continue;
            }
            await this.keep(table, entry.insertId, entry.row, 'rejected', 'rejected by BigQuery on replay', r.reasons);
            result.rejected++;
          }
        } catch (e) {
          // BigQuery unavailable (or refusing the request: configuration): the rows stay pending for the next run.
          const remaining = rows.length - i;
          result.failed += remaining;
          log.warn('analytics outbox replay stopped: BigQuery unavailable', {
            table,
            remaining,
            error: e instanceof AnalyticsUnavailableError || e instanceof Error ? e.message : String(e),
          });
          break;
        }
      }
    }
    return result;
  }

  private async remove(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await withDeadline(`firestore ${this.collection}.remove`, this.timeoutMs, async () => {
      const batch = this.db.batch();
      for (const id of ids) batch.delete(this.ref(id));
      await batch.commit();
    });
  }
}
