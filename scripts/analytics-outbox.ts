/**
 * `npm run analytics-outbox -- list [pending|rejected] [--max N] [--rows]` — rows kept because BigQuery failed on the
 *   business path (ids, table, reason; row values only with `--rows`: they are personal data).
 * `npm run analytics-outbox -- replay [--max N]` — insert pending rows into BigQuery with their own insertIds (BigQuery
 *   de-duplicates any that did arrive) and remove them; rows BigQuery refuses as invalid are marked `rejected`.
 * Safe to run at any time, also on a schedule (a Cloud Run job) while the services run. Exit 1 when rows are left
 * pending because BigQuery is still unavailable.
 */
import { Firestore } from '@google-cloud/firestore';
import { AnalyticsOutbox, type OutboxState } from '../shared/analytics/analytics-outbox.js';
import { bigQuerySinkFromConfig } from '../shared/analytics/analytics-recorder.js';
import { analyticsSettings, commonSettings } from '../shared/config/common-settings.js';
import { ConfigError, defineConfig } from '../shared/config/define-config.js';
import { CliUsageError, oneLine, quietGoogleAuth, requireEmulatorEnv } from './lib/cli-env.js';

const config = defineConfig('analytics-outbox-cli', {
  projectId: commonSettings.projectId,
  firestoreEmulatorHost: commonSettings.firestoreEmulatorHost,
  bigqueryApiUrl: analyticsSettings.bigqueryApiUrl,
  bigqueryDataset: analyticsSettings.bigqueryDataset,
});
const USAGE = 'usage: npm run analytics-outbox -- list [pending|rejected] [--max N] [--rows] | replay [--max N]';

async function main(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  const [cmd, stateArg] = argv;
  const maxIdx = argv.indexOf('--max');
  const max = maxIdx >= 0 ? Number(argv[maxIdx + 1]) : 500;
  const state: OutboxState = stateArg === 'rejected' ? 'rejected' : 'pending';
  if (!cmd || !['list', 'replay'].includes(cmd) || !Number.isInteger(max) || max < 1) {
    console.error(USAGE);
    return 2;
  }
  quietGoogleAuth(env);
  requireEmulatorEnv(['firestore'], env);
  const settings = config.load(env);
  const firestore = new Firestore({ projectId: settings.projectId });
  const outbox = new AnalyticsOutbox(firestore);
  try {
    if (cmd === 'list') {
      const entries = await outbox.list(state, max);
      for (const e of entries) {
        const { row, ...meta } = e;
        console.log(JSON.stringify(argv.includes('--rows') ? { ...meta, row } : meta));
      }
      console.error(`${entries.length} ${state} row(s) in the analytics outbox`);
      return 0;
    }
    const result = await outbox.replay(bigQuerySinkFromConfig({ ...settings, analyticsInsertTimeout: 30_000 }), { limit: max });
    console.error(`replayed ${result.replayed}, rejected ${result.rejected}, still pending ${result.failed}`);
    return result.failed > 0 ? 1 : 0;
  } finally {
    await firestore.terminate();
  }
}

main(process.argv.slice(2)).then(
  (c) => process.exit(c),
  (e) => {
    console.error(e instanceof ConfigError || e instanceof CliUsageError ? e.message : oneLine(e));
    process.exit(1);
  },
);
