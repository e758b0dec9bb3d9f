import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BigQuery } from '@google-cloud/bigquery';
import { PassThroughClient } from 'google-auth-library';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AnalyticsRejectedError,
  AnalyticsUnavailableError,
  BigQueryAnalyticsSink,
  type AnalyticsRow,
  type BigQueryAnalyticsSinkOptions,
} from '../../shared/analytics/analytics-sink.js';
import {
  ANALYTICS_TABLE_NAMES,
  ANALYTICS_TABLES,
  ANALYTICS_TABLES_DIR,
  loadTableSchema,
  type TableField,
} from '../../shared/analytics/tables/index.js';
import { createLogger, getLogger, setLogger } from '../../shared/logging/logger.js';
import { startBigQueryFake, type BigQueryFake, type InsertAllRequestBody } from '../fakes/bigquery-fake.js';

const FIELD_TYPES = ['STRING', 'BYTES', 'INTEGER', 'FLOAT', 'NUMERIC', 'BIGNUMERIC', 'BOOLEAN', 'TIMESTAMP', 'DATE', 'TIME', 'DATETIME', 'JSON', 'RECORD'];
const MODES = ['NULLABLE', 'REQUIRED', 'REPEATED'];

function checkFields(fields: TableField[], where: string): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const f of fields) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,299}$/.test(f.name)) problems.push(`${where}: bad name ${f.name}`);
    if (names.has(f.name)) problems.push(`${where}: duplicate ${f.name}`);
    names.add(f.name);
    if (!FIELD_TYPES.includes(f.type)) problems.push(`${where}.${f.name}: bad type ${f.type}`);
    if (!MODES.includes(f.mode)) problems.push(`${where}.${f.name}: bad mode ${f.mode}`);
    if (typeof f.description !== 'string' || f.description.length === 0) problems.push(`${where}.${f.name}: no description`);
    if (f.type === 'RECORD') {
      if (!f.fields?.length) problems.push(`${where}.${f.name}: RECORD without fields`);
      else problems.push(...checkFields(f.fields, `${where}.${f.name}`));
    } else if (f.fields) problems.push(`${where}.${f.name}: fields on a non-RECORD`);
  }
  return problems;
}

describe('analytics table schemas', () => {
  it('every table has a valid BigQuery schema file, the same one the loader gives', () => {
    for (const name of ANALYTICS_TABLE_NAMES) {
      const file = path.join(ANALYTICS_TABLES_DIR, ANALYTICS_TABLES[name].schemaFile);
      const fromFile = JSON.parse(readFileSync(file, 'utf8')) as TableField[];
      expect(Array.isArray(fromFile)).toBe(true);
      expect(checkFields(fromFile, name)).toEqual([]);
      expect(loadTableSchema(name)).toEqual(fromFile);
    }
  });

  it('every table is partitioned on a REQUIRED TIMESTAMP and clustered by tienda_id (then live_id when it has one)', () => {
    for (const name of ANALYTICS_TABLE_NAMES) {
      const { partitionField, clustering } = ANALYTICS_TABLES[name];
      const fields = loadTableSchema(name);
      const byName = new Map(fields.map((f) => [f.name, f]));
      expect(byName.get(partitionField), `${name}.${partitionField}`).toMatchObject({ type: 'TIMESTAMP', mode: 'REQUIRED' });
      expect(clustering[0], name).toBe('tienda_id');
      expect(clustering.length).toBeLessThanOrEqual(4);
      for (const column of clustering) {
        const field = byName.get(column);
        expect(field, `${name} clusters on missing ${column}`).toBeDefined();
        expect(['STRING', 'INTEGER', 'DATE', 'TIMESTAMP', 'BOOLEAN', 'NUMERIC']).toContain(field?.type);
        expect(field?.mode).not.toBe('REPEATED');
      }
      if (byName.has('live_id')) expect(clustering, name).toContain('live_id');
    }
  });

  it('intents and dead_letters carry the agreed columns', () => {
    const names = (t: (typeof ANALYTICS_TABLE_NAMES)[number]) => loadTableSchema(t).map((f) => f.name);
    expect(names('intents')).toEqual(
      expect.arrayContaining(['comment_id', 'tienda_id', 'live_id', 'intent', 'items', 'confidence', 'source', 'latency_ms', 'input_tokens', 'output_tokens', 'fallback_reason', 'created_at']),
    );
    const items = loadTableSchema('intents').find((f) => f.name === 'items');
    expect(items).toMatchObject({ type: 'RECORD', mode: 'REPEATED' });
    expect(items?.fields?.map((f) => f.name)).toEqual(['product', 'color', 'size', 'quantity']);
    expect(names('dead_letters')).toEqual(
      expect.arrayContaining(['topic', 'subscription', 'message_id', 'idempotency_key', 'event', 'reason', 'failure_history', 'original_data', 'attributes', 'dead_lettered_at']),
    );
  });
});

describe('BigQueryAnalyticsSink through the real client against the fake', () => {
  let fake: BigQueryFake;
  const sink = (options: Partial<BigQueryAnalyticsSinkOptions> = {}) =>
    new BigQueryAnalyticsSink({
      projectId: 'demo',
      dataset: 'analytics',
      apiEndpoint: fake.url,
      requestRetries: 0,
      retryDelayMs: 0,
      ...options,
    });
  const intent = (commentId: string, extra: Record<string, unknown> = {}): AnalyticsRow => ({
    insertId: `intent:${commentId}`,
    row: {
      comment_id: commentId,
      tienda_id: 'tienda-1',
      live_id: 'live-1',
      intent: 'purchase',
      items: [{ product: 'polera', color: 'negra', size: 'M', quantity: 2 }],
      confidence: 0.93,
      source: 'gemini-2.5-flash',
      latency_ms: 412,
      input_tokens: 350,
      output_tokens: 40,
      fallback_reason: null,
      created_at: '2025-06-01T20:15:00.000Z',
      ...extra,
    },
  });
  const insertBodies = () =>
    fake.requests.filter((r) => r.path.endsWith('/insertAll')).map((r) => r.body as InsertAllRequestBody);
  const sentIds = () => insertBodies().map((b) => (b.rows ?? []).map((r) => r.insertId));

  beforeAll(async () => {
    fake = await startBigQueryFake({ dataset: 'analytics' });
  });
  afterAll(async () => {
    await fake.close();
  });
  afterEach(() => {
    fake.reset();
  });

  it('streams raw rows with OUR insertIds, once, to the dataset and table asked for', async () => {
    const result = await sink().insert('intents', [intent('c-1'), intent('c-2')]);
    expect(result).toEqual({ inserted: ['intent:c-1', 'intent:c-2'], rejected: [] });
    const [request] = fake.requests;
    expect(request?.method).toBe('POST');
    expect(request?.authorized).toBe(false);
    expect(request?.path).toBe('/bigquery/v2/projects/demo/datasets/analytics/tables/intents/insertAll');
    expect(sentIds()).toEqual([['intent:c-1', 'intent:c-2']]);
    expect(insertBodies()[0]?.rows?.[0]?.json).toEqual(intent('c-1').row);
    expect(fake.rows('intents')).toEqual([intent('c-1').row, intent('c-2').row]);
  });

  it('a retried insert with the same ids is de-duplicated: stored once', async () => {
    const s = sink();
    await s.insert('intents', [intent('c-1'), intent('c-2')]);
    const again = await s.insert('intents', [intent('c-2'), intent('c-3')]);
    expect(again.inserted).toEqual(['intent:c-2', 'intent:c-3']);
    expect(fake.insertIds('intents')).toEqual(['intent:c-1', 'intent:c-2', 'intent:c-3']);
    expect(fake.rows('intents')).toHaveLength(3);
  });

  it('an invalid row is rejected with its reason; the `stopped` rows are resent with the same insertIds and stored', async () => {
    const rows = [intent('c-1'), intent('c-2', { bogus_column: 'x' }), intent('c-3')];
    const result = await sink().insert('intents', rows);
    expect(result.inserted).toEqual(['intent:c-1', 'intent:c-3']);
    expect(result.rejected).toEqual([
      { insertId: 'intent:c-2', reasons: ['invalid'], fields: ['bogus_column'], messages: ['no such field: bogus_column.'] },
    ]);
    // First request: all three, refused as a whole; second: only the two valid rows, same ids.
    expect(sentIds()).toEqual([
      ['intent:c-1', 'intent:c-2', 'intent:c-3'],
      ['intent:c-1', 'intent:c-3'],
    ]);
    expect(fake.insertIds('intents')).toEqual(['intent:c-1', 'intent:c-3']);
  });

  it('a missing REQUIRED field is a permanent rejection, not retried', async () => {
    const result = await sink().insert('intents', [intent('c-1', { tienda_id: null })]);
    expect(result.inserted).toEqual([]);
    expect(result.rejected).toEqual([
      expect.objectContaining({ insertId: 'intent:c-1', reasons: ['invalid'], fields: ['tienda_id'] }),
    ]);
    expect(result.rejected[0]?.messages[0]).toContain('Missing required field: tienda_id.');
    expect(insertBodies()).toHaveLength(1);
  });

  it('a row-level backendError is retried with the same insertId until stored', async () => {
    fake.failRow('intent:c-2', 2);
    const result = await sink({ maxAttempts: 3 }).insert('intents', [intent('c-1'), intent('c-2')]);
    expect(result).toEqual({ inserted: ['intent:c-1', 'intent:c-2'], rejected: [] });
    expect(sentIds()).toEqual([['intent:c-1', 'intent:c-2'], ['intent:c-2'], ['intent:c-2']]);
    expect(fake.insertIds('intents')).toEqual(['intent:c-1', 'intent:c-2']);
  });

  it('a row still failing transiently after maxAttempts is returned as rejected with its reasons', async () => {
    fake.failRow('intent:c-2', 10, 'backendError');
    const result = await sink({ maxAttempts: 3 }).insert('intents', [intent('c-1'), intent('c-2')]);
    expect(result.inserted).toEqual(['intent:c-1']);
    expect(result.rejected).toEqual([expect.objectContaining({ insertId: 'intent:c-2', reasons: ['backendError'] })]);
    expect(insertBodies()).toHaveLength(3);
  });

  it('with skipInvalidRows the valid rows are stored in one request', async () => {
    const result = await sink({ skipInvalidRows: true }).insert('intents', [intent('c-1'), intent('c-2', { latency_ms: 'slow' })]);
    expect(result.inserted).toEqual(['intent:c-1']);
    expect(result.rejected.map((r) => [r.insertId, r.reasons, r.fields])).toEqual([['intent:c-2', ['invalid'], ['latency_ms']]]);
    expect(insertBodies()).toHaveLength(1);
    expect(insertBodies()[0]?.skipInvalidRows).toBe(true);
  });

  it('logs rejected rows by id and reason, never their contents or BigQuery messages', async () => {
    const lines: string[] = [];
    const previous = getLogger();
    setLogger(createLogger({ write: (line) => lines.push(line) }));
    try {
      await sink().insert('intents', [intent('c-1', { bogus_column: 'juana@example.com' })]);
    } finally {
      setLogger(previous);
    }
    const logged = lines.join('\n');
    expect(logged).toContain('intent:c-1');
    expect(logged).toContain('invalid');
    expect(logged).not.toContain('juana@example.com');
    expect(logged).not.toContain('polera');
    expect(logged).not.toContain('no such field');
  });

  it('a 503 for the whole request throws AnalyticsUnavailableError', async () => {
    fake.failNextRequests(1, 503);
    const err = await sink().insert('intents', [intent('c-1')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AnalyticsUnavailableError);
    expect((err as AnalyticsUnavailableError).status).toBe(503);
    expect((err as AnalyticsUnavailableError).pending).toEqual(['intent:c-1']);
    expect(fake.rows('intents')).toEqual([]);
  });

  it('a dropped connection throws AnalyticsUnavailableError', async () => {
    fake.failNextRequests(1, 'reset');
    await expect(sink().insert('intents', [intent('c-1')])).rejects.toBeInstanceOf(AnalyticsUnavailableError);
  });

  it("the client's own request retry after a 503 resends the same insertIds", async () => {
    fake.failNextRequests(1, 503);
    const result = await sink({ requestRetries: 1 }).insert('intents', [intent('c-1')]);
    expect(result.inserted).toEqual(['intent:c-1']);
    expect(sentIds()).toEqual([['intent:c-1'], ['intent:c-1']]);
    expect(fake.rows('intents')).toHaveLength(1);
  });

  it('an unknown dataset is a 404 notFound: AnalyticsRejectedError', async () => {
    const err = await sink({ dataset: 'nope' }).insert('intents', [intent('c-1')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AnalyticsRejectedError);
    expect((err as AnalyticsRejectedError).status).toBe(404);
    expect((err as AnalyticsRejectedError).reasons).toEqual(['notFound']);
  });

  it('an empty batch sends nothing', async () => {
    await expect(sink().insert('intents', [])).resolves.toEqual({ inserted: [], rejected: [] });
    expect(fake.requests).toHaveLength(0);
  });

  it('stored rows read back through the real client (tabledata.list), as the demo does', async () => {
    await sink().insert('intents', [intent('c-1')]);
    // No credentials against a local fake (and no ADC lookup, which would probe the GCE metadata server).
    const bigquery = new BigQuery({ projectId: 'demo', apiEndpoint: fake.url, authClient: new PassThroughClient() });
    const [rows] = await bigquery.dataset('analytics').table('intents').getRows();
    expect(rows).toHaveLength(1);
    const row = rows[0] as Record<string, unknown>;
    expect(row.comment_id).toBe('c-1');
    expect(row.latency_ms).toBe(412);
    expect(row.items).toEqual([{ product: 'polera', color: 'negra', size: 'M', quantity: 2 }]);
    expect((row.created_at as { value: string }).value).toBe('2025-06-01T20:15:00.000Z');
  });
});
