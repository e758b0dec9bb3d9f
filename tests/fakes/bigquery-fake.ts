import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ANALYTICS_PARTITION_TYPE,
  ANALYTICS_TABLES,
  isAnalyticsTableName,
  loadTableSchema,
  type TableField,
} from '../../shared/analytics/tables/index.js';
import { listen, parseJson, readBody, sendJson, sendText } from './fake-http.js';

/**
 * A local BigQuery for streaming inserts, speaking the REST wire format the official `@google-cloud/bigquery`
 * client uses (`new BigQuery({ projectId, apiEndpoint: fake.url })`, no auth needed):
 *
 * - `POST /bigquery/v2/projects/{p}/datasets/{d}/tables/{t}/insertAll` (tabledata.insertAll): de-duplicates on
 *   insertId like BigQuery (best effort there; here remembered for the fake's lifetime), validates rows against
 *   `shared/analytics/tables/*.json` when schemas are enforced, answers `insertErrors` with BigQuery's reasons
 *   (`invalid`, `stopped`, `backendError`) and its real error bodies for whole-request failures.
 * - `GET .../tables/{t}/data` (tabledata.list, `{f:[{v}]}` rows) and `GET .../tables/{t}` (tables.get), so
 *   `table.getRows()` works against it — handy for the demo.
 */

export interface BigQueryFakeOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** The dataset that exists when schemas are enforced. Default `analytics`. */
  dataset?: string;
  /**
   * Default true: only `dataset` and the tables of `shared/analytics/tables` exist (404 `notFound` otherwise), and
   * rows are validated against their schema. False: any dataset/table accepts any row.
   */
  enforceSchemas?: boolean;
}

export interface BigQueryFakeRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  dataset?: string;
  table?: string;
  /** Parsed JSON body of inserts. */
  body?: unknown;
  /** Whether the request carried an `Authorization` header (it should not against a local fake). */
  authorized: boolean;
  status: number;
}

export interface InsertAllRequestBody {
  kind?: string;
  skipInvalidRows?: boolean;
  ignoreUnknownValues?: boolean;
  templateSuffix?: string;
  rows?: Array<{ insertId?: string; json?: Record<string, unknown> }>;
}

export interface InsertErrorEntry {
  reason: string;
  location: string;
  debugInfo: string;
  message: string;
}

export interface BigQueryFake {
  /** Base URL for the client's `apiEndpoint`: `http://127.0.0.1:PORT`. */
  url: string;
  port: number;
  dataset: string;
  /** Rows stored in a table (after de-duplication), in insertion order. */
  rows(table: string, dataset?: string): Array<Record<string, unknown>>;
  /** insertIds stored in a table, in insertion order. */
  insertIds(table: string, dataset?: string): string[];
  /** Every HTTP request received, in order. */
  readonly requests: BigQueryFakeRequest[];
  /** The next `times` inserts containing this insertId fail for that row with a row-level `reason`. */
  failRow(insertId: string, times?: number, reason?: string): void;
  /**
   * The next `times` requests fail as a whole: with an HTTP status (503 by default) and BigQuery's error body (its
   * message `message` when given: BigQuery's own messages can quote row values), `'reset'` to destroy the connection
   * without an answer, or `'hang'` to accept the request and never answer (until the fake closes). `Infinity` times
   * holds the failure until `recover()`.
   */
  failNextRequests(times?: number, status?: number | 'reset' | 'hang', message?: string): void;
  /** Ends scripted request failures: later requests are answered normally (hung ones stay hung until close). */
  recover(): void;
  /** Requests received and left hanging so far. */
  readonly hangingRequests: number;
  /** Forgets rows, remembered insertIds, scripted failures and the request log. */
  reset(): void;
  close(): Promise<void>;
}

const API = '/bigquery/v2';
const TABLE_PATH = /^\/bigquery\/v2\/projects\/([^/]+)\/datasets\/([^/]+)\/tables\/([^/]+)(\/insertAll|\/data)?$/;

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};
const STATUS_REASONS: Record<number, string> = {
  400: 'invalid',
  403: 'accessDenied',
  404: 'notFound',
  429: 'rateLimitExceeded',
  500: 'backendError',
  503: 'backendError',
};
const STATUS_MESSAGES: Record<number, string> = {
  429: 'Exceeded rate limits: too many api requests per user per method for this user_method.',
  500: 'An internal error occurred and the request could not be completed.',
  503: 'Visibility check was unavailable. Please retry the request and contact support if the problem persists',
};

/** Google's JSON error body (`{error:{code,message,errors:[{message,domain,reason}],status}}`). */
export function bigQueryErrorBody(code: number, message: string, reason = STATUS_REASONS[code] ?? 'invalid') {
  return {
    error: {
      code,
      message,
      errors: [{ message, domain: 'global', reason }],
      status: STATUS_NAMES[code] ?? 'UNKNOWN',
    },
  };
}

interface StoredRow {
  insertId: string | undefined;
  json: Record<string, unknown>;
}

interface TableState {
  rows: StoredRow[];
  seenIds: Set<string>;
}

export async function startBigQueryFake(options: BigQueryFakeOptions = {}): Promise<BigQueryFake> {
  const datasetName = options.dataset ?? 'analytics';
  const enforce = options.enforceSchemas ?? true;
  const tables = new Map<string, TableState>();
  const requests: BigQueryFakeRequest[] = [];
  const rowFailures = new Map<string, { remaining: number; reason: string }>();
  let requestFailures: { remaining: number; status: number | 'reset' | 'hang'; message?: string | undefined } | undefined;
  let hanging = 0;

  const tableState = (dataset: string, table: string): TableState => {
    const key = `${dataset}.${table}`;
    let state = tables.get(key);
    if (!state) {
      state = { rows: [], seenIds: new Set() };
      tables.set(key, state);
    }
    return state;
  };

  /** The schema of a table, or undefined when it does not exist (only possible with enforced schemas). */
  const schemaOf = (dataset: string, table: string): TableField[] | undefined => {
    if (enforce) {
      return dataset === datasetName && isAnalyticsTableName(table) ? loadTableSchema(table) : undefined;
    }
    if (isAnalyticsTableName(table)) return loadTableSchema(table);
    return inferSchema(tables.get(`${dataset}.${table}`)?.rows.map((r) => r.json) ?? []);
  };

  const notFound = (project: string, dataset: string, table: string) =>
    dataset !== datasetName
      ? bigQueryErrorBody(404, `Not found: Dataset ${project}:${dataset}`)
      : bigQueryErrorBody(404, `Not found: Table ${project}:${dataset}.${table}`);

  const handleInsert = (project: string, dataset: string, table: string, body: InsertAllRequestBody) => {
    if (enforce && !schemaOf(dataset, table)) return { status: 404, payload: notFound(project, dataset, table) };
    const rows = body.rows;
    if (!Array.isArray(rows) || rows.length === 0) {
      return { status: 400, payload: bigQueryErrorBody(400, 'No rows present in the request.') };
    }
    // Validation only when schemas are enforced; otherwise any row shape is stored as sent.
    const schema = enforce ? schemaOf(dataset, table) : undefined;
    const errors = new Map<number, InsertErrorEntry[]>();
    let anyInvalid = false;
    const accepted: Array<{ index: number; insertId: string | undefined; json: Record<string, unknown> }> = [];

    rows.forEach((row, index) => {
      const json = row.json;
      const scripted = row.insertId !== undefined ? rowFailures.get(row.insertId) : undefined;
      if (scripted && scripted.remaining > 0) {
        scripted.remaining -= 1;
        if (scripted.remaining <= 0 && row.insertId !== undefined) rowFailures.delete(row.insertId);
        errors.set(index, [
          { reason: scripted.reason, location: '', debugInfo: '', message: STATUS_MESSAGES[500] ?? '' },
        ]);
        return;
      }
      if (json === null || typeof json !== 'object' || Array.isArray(json)) {
        anyInvalid = true;
        errors.set(index, [{ reason: 'invalid', location: '', debugInfo: '', message: 'Row is not a JSON object.' }]);
        return;
      }
      const stored = schema && body.ignoreUnknownValues ? dropUnknown(schema, json) : json;
      const problems = schema ? validateRecord(schema, stored, '', body.ignoreUnknownValues === true) : [];
      if (problems.length > 0) {
        anyInvalid = true;
        errors.set(
          index,
          problems.map((p) => ({ reason: 'invalid', location: p.location, debugInfo: '', message: p.message })),
        );
        return;
      }
      accepted.push({ index, insertId: row.insertId, json: stored });
    });

    if (anyInvalid && !body.skipInvalidRows) {
      // BigQuery's default: nothing of the request is stored; valid rows are reported as `stopped`.
      for (const row of accepted) {
        errors.set(row.index, [{ reason: 'stopped', location: '', debugInfo: '', message: '' }]);
      }
    } else {
      const state = tableState(dataset, table);
      for (const row of accepted) {
        if (row.insertId !== undefined) {
          if (state.seenIds.has(row.insertId)) continue;
          state.seenIds.add(row.insertId);
        }
        state.rows.push({ insertId: row.insertId, json: structuredClone(row.json) });
      }
    }

    const payload: { kind: string; insertErrors?: Array<{ index: number; errors: InsertErrorEntry[] }> } = {
      kind: 'bigquery#tableDataInsertAllResponse',
    };
    if (errors.size > 0) {
      payload.insertErrors = [...errors.entries()]
        .sort(([a], [b]) => a - b)
        .map(([index, entryErrors]) => ({ index, errors: entryErrors }));
    }
    return { status: 200, payload };
  };

  const handleList = (project: string, dataset: string, table: string, query: URLSearchParams) => {
    const schema = schemaOf(dataset, table);
    if (!schema) return { status: 404, payload: notFound(project, dataset, table) };
    const stored = tables.get(`${dataset}.${table}`)?.rows ?? [];
    const start = Number(query.get('pageToken') ?? query.get('startIndex') ?? 0) || 0;
    const max = Number(query.get('maxResults') ?? stored.length) || stored.length;
    const page = stored.slice(start, start + max);
    const timestampFormat: TimestampFormat =
      query.get('formatOptions.timestampOutputFormat') === 'ISO8601_STRING'
        ? 'iso'
        : query.get('formatOptions.useInt64Timestamp') === 'true' ||
            query.get('formatOptions.timestampOutputFormat') === 'INT64'
          ? 'micros'
          : 'seconds';
    const payload: Record<string, unknown> = {
      kind: 'bigquery#tableDataList',
      etag: `"${stored.length}"`,
      totalRows: String(stored.length),
      rows: page.map((r) => encodeRecord(schema, r.json, timestampFormat)),
    };
    if (start + max < stored.length) payload.pageToken = String(start + max);
    return { status: 200, payload };
  };

  const handleGetTable = (project: string, dataset: string, table: string) => {
    const schema = schemaOf(dataset, table);
    if (!schema) return { status: 404, payload: notFound(project, dataset, table) };
    const config = isAnalyticsTableName(table) ? ANALYTICS_TABLES[table] : undefined;
    return {
      status: 200,
      payload: {
        kind: 'bigquery#table',
        id: `${project}:${dataset}.${table}`,
        tableReference: { projectId: project, datasetId: dataset, tableId: table },
        schema: { fields: schema },
        ...(config
          ? {
              timePartitioning: { type: ANALYTICS_PARTITION_TYPE, field: config.partitionField },
              clustering: { fields: config.clustering },
            }
          : {}),
        numRows: String(tables.get(`${dataset}.${table}`)?.rows.length ?? 0),
        type: 'TABLE',
      },
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const record: BigQueryFakeRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      authorized: req.headers.authorization !== undefined,
      status: 0,
    };
    requests.push(record);
    const send = (status: number, payload: unknown) => {
      record.status = status;
      sendJson(res, status, payload);
    };

    const raw = (await readBody(req)).toString('utf8');
    const match = TABLE_PATH.exec(url.pathname);
    if (match) {
      record.dataset = match[2];
      record.table = match[3];
    }
    if (raw.length > 0) {
      const parsed = parseJson(raw);
      if (!parsed) {
        send(400, bigQueryErrorBody(400, 'Parse error', 'parseError'));
        return;
      }
      record.body = parsed.value;
    }

    if (requestFailures && requestFailures.remaining > 0) {
      requestFailures.remaining -= 1;
      const { status, message } = requestFailures;
      if (requestFailures.remaining <= 0) requestFailures = undefined;
      if (status === 'reset') {
        record.status = -1;
        req.socket.destroy();
        return;
      }
      if (status === 'hang') {
        // The connection is accepted and the body read; no answer ever comes (close() destroys the socket).
        record.status = -2;
        hanging++;
        return;
      }
      send(status, bigQueryErrorBody(status, message ?? STATUS_MESSAGES[status] ?? `Error ${status}`));
      return;
    }

    if (!match || !url.pathname.startsWith(API)) {
      send(404, bigQueryErrorBody(404, `Not found: ${req.method} ${url.pathname}`));
      return;
    }
    const [, project = '', dataset = '', table = '', action] = match;
    let result: { status: number; payload: unknown };
    if (action === '/insertAll' && req.method === 'POST') {
      result = handleInsert(project, dataset, table, (record.body ?? {}) as InsertAllRequestBody);
    } else if (action === '/data' && req.method === 'GET') {
      result = handleList(project, dataset, table, url.searchParams);
    } else if (action === undefined && req.method === 'GET') {
      result = handleGetTable(project, dataset, table);
    } else {
      result = { status: 404, payload: bigQueryErrorBody(404, `Not found: ${req.method} ${url.pathname}`) };
    }
    send(result.status, result.payload);
  };

  const server = await listen(handle, {
    port: options.port,
    // Unlike its regular answers, this last-resort one goes out without a content-length.
    onError: (res, err) =>
      sendText(res, 500, 'application/json', JSON.stringify(bigQueryErrorBody(500, `fake failure: ${String(err)}`))),
  });

  return {
    url: server.url,
    port: server.port,
    dataset: datasetName,
    rows: (table, dataset = datasetName) =>
      (tables.get(`${dataset}.${table}`)?.rows ?? []).map((r) => structuredClone(r.json)),
    insertIds: (table, dataset = datasetName) =>
      (tables.get(`${dataset}.${table}`)?.rows ?? []).flatMap((r) => (r.insertId === undefined ? [] : [r.insertId])),
    requests,
    failRow(insertId, times = 1, reason = 'backendError') {
      rowFailures.set(insertId, { remaining: times, reason });
    },
    failNextRequests(times = 1, status = 503, message?: string) {
      requestFailures = { remaining: times, status, message };
    },
    recover() {
      requestFailures = undefined;
    },
    get hangingRequests() {
      return hanging;
    },
    reset() {
      tables.clear();
      rowFailures.clear();
      requestFailures = undefined;
      requests.length = 0;
    },
    close: server.close,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Row validation, with BigQuery's wording where it is known ("no such field: x.", "Missing required field: x.").

interface Problem {
  location: string;
  message: string;
}

function dropUnknown(fields: TableField[], json: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    if (!(field.name in json)) continue;
    const value = json[field.name];
    if (field.type === 'RECORD' && field.fields) {
      const sub = field.fields;
      const clean = (v: unknown) => (isPlainObject(v) ? dropUnknown(sub, v) : v);
      out[field.name] = Array.isArray(value) ? value.map(clean) : clean(value);
    } else {
      out[field.name] = value;
    }
  }
  return out;
}

function validateRecord(fields: TableField[], json: Record<string, unknown>, prefix: string, ignoreUnknown: boolean): Problem[] {
  const problems: Problem[] = [];
  const known = new Set(fields.map((f) => f.name));
  if (!ignoreUnknown) {
    for (const key of Object.keys(json)) {
      if (!known.has(key)) problems.push({ location: prefix + key, message: `no such field: ${prefix + key}.` });
    }
  }
  for (const field of fields) {
    const path = prefix + field.name;
    const value = json[field.name];
    if (value === undefined || value === null) {
      if (field.mode === 'REQUIRED') problems.push({ location: path, message: `Missing required field: ${path}.` });
      continue;
    }
    if (field.mode === 'REPEATED') {
      if (!Array.isArray(value)) {
        problems.push({ location: path, message: `Field ${path} is REPEATED; a JSON array is expected.` });
        continue;
      }
      value.forEach((item) => problems.push(...validateValue(field, item, path, ignoreUnknown)));
      continue;
    }
    if (Array.isArray(value)) {
      problems.push({ location: path, message: `Array specified for non-repeated field: ${path}.` });
      continue;
    }
    problems.push(...validateValue(field, value, path, ignoreUnknown));
  }
  return problems;
}

function validateValue(field: TableField, value: unknown, path: string, ignoreUnknown: boolean): Problem[] {
  const bad = (message: string) => [{ location: path, message }];
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  switch (field.type) {
    case 'STRING':
      return ['string', 'number', 'boolean'].includes(typeof value)
        ? []
        : bad(`Cannot convert value to string: ${text}`);
    case 'INTEGER':
      return (typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && /^-?\d+$/.test(value))
        ? []
        : bad(`Cannot convert value to integer (bad value): ${text}`);
    case 'FLOAT':
      return typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)))
        ? []
        : bad(`Cannot convert value to floating point (bad value): ${text}`);
    case 'NUMERIC':
    case 'BIGNUMERIC':
      return (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value))
        ? []
        : bad(`Invalid NUMERIC value: ${text}`);
    case 'BOOLEAN':
      return typeof value === 'boolean' || value === 'true' || value === 'false'
        ? []
        : bad(`Cannot convert value to boolean: ${text}`);
    case 'TIMESTAMP':
      return (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && parseTimestamp(value) !== undefined)
        ? []
        : bad(
            `Couldn't convert value to timestamp: Could not parse '${text}' as a timestamp. Required format is YYYY-MM-DD HH:MM[:SS[.SSSSSS]] or YYYY/MM/DD HH:MM[:SS[.SSSSSS]]`,
          );
    case 'DATE':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? [] : bad(`Invalid date: '${text}'`);
    case 'RECORD':
      return isPlainObject(value)
        ? validateRecord(field.fields ?? [], value, `${path}.`, ignoreUnknown)
        : bad(`This field: ${path} is not a record.`);
    default:
      return [];
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Epoch milliseconds of a BigQuery TIMESTAMP literal (ISO 8601 or `YYYY-MM-DD HH:MM[:SS[.ffffff]][ UTC|zone]`). */
function parseTimestamp(value: string): number | undefined {
  const m = /^(\d{4})[-/](\d{2})[-/](\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?$/i.exec(
    value.trim(),
  );
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const offset = /^(z|utc)$/i.test(zone) ? 'Z' : zone.length === 3 ? `${zone}:00` : zone.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${frac.slice(0, 4)}${offset}`);
  return Number.isNaN(ms) ? undefined : ms;
}

// ---------------------------------------------------------------------------------------------------------------
// tabledata.list encoding: every scalar as a string, records as {f:[...]}, repeated as [{v}], like BigQuery.

type TimestampFormat = 'micros' | 'seconds' | 'iso';

function encodeRecord(fields: TableField[], json: Record<string, unknown>, ts: TimestampFormat): { f: Array<{ v: unknown }> } {
  return { f: fields.map((field) => ({ v: encodeField(field, json[field.name], ts) })) };
}

function encodeField(field: TableField, value: unknown, ts: TimestampFormat): unknown {
  if (value === undefined || value === null) return field.mode === 'REPEATED' ? [] : null;
  if (field.mode === 'REPEATED') {
    return (Array.isArray(value) ? value : [value]).map((item) => ({ v: encodeScalar(field, item, ts) }));
  }
  return encodeScalar(field, value, ts);
}

function encodeScalar(field: TableField, value: unknown, ts: TimestampFormat): unknown {
  if (value === undefined || value === null) return null;
  switch (field.type) {
    case 'RECORD':
      return isPlainObject(value) ? encodeRecord(field.fields ?? [], value, ts) : null;
    case 'TIMESTAMP': {
      const ms = typeof value === 'number' ? value * 1000 : parseTimestamp(String(value));
      if (ms === undefined) return String(value);
      if (ts === 'iso') return new Date(ms).toISOString();
      if (ts === 'micros') return String(Math.round(ms * 1000));
      return String(ms / 1000);
    }
    case 'JSON':
      return typeof value === 'string' ? value : JSON.stringify(value);
    default:
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

/** A schema for a table the fake knows nothing about (only with `enforceSchemas: false`), from its stored rows. */
function inferSchema(rows: Array<Record<string, unknown>>): TableField[] {
  const fields = new Map<string, TableField>();
  for (const row of rows) {
    for (const [name, value] of Object.entries(row)) {
      if (fields.has(name) || value === null || value === undefined) continue;
      fields.set(name, inferField(name, value));
    }
  }
  return [...fields.values()];
}

function inferField(name: string, value: unknown): TableField {
  const repeated = Array.isArray(value);
  const sample: unknown = repeated ? (value as unknown[]).find((v) => v !== null && v !== undefined) : value;
  const mode = repeated ? 'REPEATED' : 'NULLABLE';
  if (isPlainObject(sample)) {
    return { name, type: 'RECORD', mode, description: '', fields: inferSchema([sample]) };
  }
  const type =
    typeof sample === 'boolean'
      ? 'BOOLEAN'
      : typeof sample === 'number'
        ? Number.isInteger(sample)
          ? 'INTEGER'
          : 'FLOAT'
        : 'STRING';
  return { name, type, mode, description: '' };
}
