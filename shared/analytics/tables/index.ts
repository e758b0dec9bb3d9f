import { fileURLToPath } from 'node:url';
import comments from './comments.json' with { type: 'json' };
import deadLetters from './dead_letters.json' with { type: 'json' };
import intents from './intents.json' with { type: 'json' };
import liveMetrics from './live_metrics.json' with { type: 'json' };
import notifications from './notifications.json' with { type: 'json' };
import orders from './orders.json' with { type: 'json' };
import payments from './payments.json' with { type: 'json' };

/**
 * The analytics tables: one BigQuery schema JSON file per table in this folder (the format `bq mk --schema`
 * and Terraform's `google_bigquery_table.schema` take), plus partitioning/clustering here. Terraform reads the
 * same JSON files, and its tests compare them with {@link ANALYTICS_TABLES}, so code and infrastructure cannot
 * drift apart.
 */

export type BigQueryFieldType =
  | 'STRING'
  | 'BYTES'
  | 'INTEGER'
  | 'FLOAT'
  | 'NUMERIC'
  | 'BIGNUMERIC'
  | 'BOOLEAN'
  | 'TIMESTAMP'
  | 'DATE'
  | 'TIME'
  | 'DATETIME'
  | 'JSON'
  | 'RECORD';
export type BigQueryFieldMode = 'NULLABLE' | 'REQUIRED' | 'REPEATED';

export interface TableField {
  name: string;
  type: BigQueryFieldType;
  mode: BigQueryFieldMode;
  description: string;
  /** Sub-fields of a RECORD. */
  fields?: TableField[];
}

export const ANALYTICS_TABLE_NAMES = [
  'comments',
  'intents',
  'orders',
  'payments',
  'notifications',
  'dead_letters',
  'live_metrics',
] as const;
export type AnalyticsTableName = (typeof ANALYTICS_TABLE_NAMES)[number];

export interface AnalyticsTableConfig {
  /** File name of the schema, relative to {@link ANALYTICS_TABLES_DIR}. */
  schemaFile: string;
  /** TIMESTAMP column the table is partitioned on, by DAY. */
  partitionField: string;
  /** Clustering columns, most selective filter first (dashboards filter by tienda, then live). */
  clustering: string[];
}

/** Absolute path of this folder (for Terraform tests and tools that read the JSON files themselves). */
export const ANALYTICS_TABLES_DIR = fileURLToPath(new URL('.', import.meta.url));

export const ANALYTICS_TABLES: Record<AnalyticsTableName, AnalyticsTableConfig> = {
  comments: { schemaFile: 'comments.json', partitionField: 'received_at', clustering: ['tienda_id', 'live_id'] },
  intents: { schemaFile: 'intents.json', partitionField: 'created_at', clustering: ['tienda_id', 'live_id'] },
  orders: { schemaFile: 'orders.json', partitionField: 'created_at', clustering: ['tienda_id', 'live_id'] },
  payments: { schemaFile: 'payments.json', partitionField: 'created_at', clustering: ['tienda_id', 'live_id'] },
  notifications: {
    schemaFile: 'notifications.json',
    partitionField: 'created_at',
    clustering: ['tienda_id', 'live_id'],
  },
  dead_letters: { schemaFile: 'dead_letters.json', partitionField: 'dead_lettered_at', clustering: ['tienda_id'] },
  live_metrics: { schemaFile: 'live_metrics.json', partitionField: 'window_start', clustering: ['tienda_id', 'live_id'] },
};

/** Partitioning granularity of every table. */
export const ANALYTICS_PARTITION_TYPE = 'DAY';

const SCHEMAS: Record<AnalyticsTableName, unknown> = {
  comments,
  intents,
  orders,
  payments,
  notifications,
  dead_letters: deadLetters,
  live_metrics: liveMetrics,
};

export function isAnalyticsTableName(name: string): name is AnalyticsTableName {
  return (ANALYTICS_TABLE_NAMES as readonly string[]).includes(name);
}

/** The schema of one table, as in its JSON file. */
export function loadTableSchema(name: AnalyticsTableName): TableField[] {
  // A copy: callers (Terraform tests, the fake) may annotate what they get.
  return structuredClone(SCHEMAS[name]) as TableField[];
}
