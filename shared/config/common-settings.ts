import { z } from 'zod';
import { bool, csv, duration, durationList, logLevel, optionalStr, str, type SettingSpec } from './define-config.js';

/** The product owner's retry schedule: 5 retries at 10 s, 1 min, 5 min, 15 min, 1 h, then dead-letter. */
export const DEFAULT_RETRY_SCHEDULE = '10s,1m,5m,15m,1h';

/** Settings every service has. Spread into each service's own schema. */
export const commonSettings = {
  projectId: {
    env: 'GOOGLE_CLOUD_PROJECT',
    doc: 'Google Cloud project id (any id works against the emulators, e.g. `demo-livestreamsell`).',
    schema: str(),
  },
  logLevel: { env: 'LOG_LEVEL', doc: 'Lowest log severity written (DEBUG, INFO, NOTICE, WARNING, ERROR).', schema: logLevel() },
  pubsubEmulatorHost: {
    env: 'PUBSUB_EMULATOR_HOST',
    doc: 'host:port of the Pub/Sub emulator; unset in production. Read by the official client too.',
    schema: optionalStr(),
  },
  firestoreEmulatorHost: {
    env: 'FIRESTORE_EMULATOR_HOST',
    doc: 'host:port of the Firestore emulator; unset in production. Read by the official client too.',
    schema: optionalStr(),
  },
  secretsSource: {
    env: 'SECRETS_SOURCE',
    doc: '`env` reads secrets from environment variables (`meta-app-secret` → `META_APP_SECRET`); `secret-manager` reads Secret Manager.',
    schema: z.enum(['env', 'secret-manager']).default('secret-manager'),
  },
  secretManagerEndpoint: {
    env: 'SECRET_MANAGER_ENDPOINT',
    doc: 'Plain-text host:port of a Secret Manager stand-in (tests); unset uses Google.',
    schema: optionalStr(),
  },
  secretsCacheTtl: { env: 'SECRETS_CACHE_TTL', doc: 'How long a secret value is cached.', schema: duration('5m') },
} satisfies Record<string, SettingSpec>;

/** Settings of services that consume Pub/Sub push subscriptions (worker, notifier). */
export const pushConsumerSettings = {
  retrySchedule: {
    env: 'RETRY_SCHEDULE',
    doc: 'Delays of the retries after a transient failure, comma-separated; after the last one the message is dead-lettered.',
    schema: durationList(DEFAULT_RETRY_SCHEDULE),
  },
  pushAuthEnabled: {
    env: 'PUSH_AUTH_ENABLED',
    doc: 'Verify the Google-signed OIDC token on push requests (on in production; the emulator sends none).',
    schema: bool(true),
  },
  pushAuthAudience: {
    env: 'PUSH_AUTH_AUDIENCE',
    doc: 'Expected `aud` of push OIDC tokens (the service URL).',
    schema: optionalStr(),
  },
  pushBudgetMargin: {
    env: 'PUSH_BUDGET_MARGIN',
    doc: 'Each push request\'s work gets its subscription\'s ack deadline minus this margin; past it the handler is aborted and a retry scheduled, so the push is answered before Pub/Sub redelivers. Must cover re-publishing to the retry topic.',
    schema: duration('10s'),
  },
  pushAuthServiceAccounts: {
    env: 'PUSH_AUTH_SERVICE_ACCOUNTS',
    doc: 'Comma-separated service-account emails allowed to push.',
    schema: csv(),
  },
} satisfies Record<string, SettingSpec>;

/** Settings of services that stream analytics rows into BigQuery (worker, notifier). */
export const analyticsSettings = {
  bigqueryApiUrl: { env: 'BIGQUERY_API_URL', doc: 'BigQuery API base URL (unset: Google; a local stand-in in tests and `npm start`).', schema: optionalStr() },
  bigqueryDataset: { env: 'BIGQUERY_DATASET', doc: 'BigQuery dataset of the analytics tables.', schema: str().default('livestreamsell') },
  analyticsInsertTimeout: {
    env: 'ANALYTICS_INSERT_TIMEOUT',
    doc: 'Deadline of a BigQuery insert on the business path; past it (or on any BigQuery failure) the row goes to the `analytics_outbox` collection for `npm run analytics-outbox -- replay`.',
    schema: duration('3s'),
  },
} satisfies Record<string, SettingSpec>;

/** Settings of services that look tiendas up on their hot path (ingress, worker). */
export const tiendaLookupSettings = {
  tiendaCacheTtl: {
    env: 'TIENDA_CACHE_TTL',
    doc: 'How long a tienda and the Page / IG account index are served from memory (bounded to 1,000 ids). A changed tienda reaches every instance within it; `0` reads Firestore every time.',
    schema: duration('30s'),
  },
} satisfies Record<string, SettingSpec>;
