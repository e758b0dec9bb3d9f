/**
 * `npm run trace -- <comment id> [--json]` — what became of one comment: webhook → comment → intent → order →
 * link → private reply → payment, with times, read from Firestore (GOOGLE_CLOUD_PROJECT, and
 * FIRESTORE_EMULATOR_HOST against `npm start`, which prints the line to copy).
 */
import { Firestore } from '@google-cloud/firestore';
import { CliUsageError, oneLine, quietGoogleAuth, requireEmulatorEnv } from './lib/cli-env.js';
import { formatTrace, traceComment } from './lib/comment-trace.js';
import { withDeadline } from '../shared/runtime/deadline.js';

const USAGE = 'usage: npm run trace -- <comment id> [--json]';

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const ids = argv.filter((a) => !a.startsWith('--'));
  if (ids.length !== 1) {
    console.error(USAGE);
    return 2;
  }
  quietGoogleAuth();
  requireEmulatorEnv(['firestore']);
  const firestore = new Firestore({ projectId: process.env.GOOGLE_CLOUD_PROJECT });
  try {
    // An operator's command must not hang on an emulator that is not there.
    const trace = await withDeadline('reading the trace from Firestore', 15_000, () => traceComment(firestore, ids[0]!));
    if (json) console.log(JSON.stringify(trace));
    else for (const line of formatTrace(trace)) console.log(line);
    return trace.found ? 0 : 1;
  } finally {
    await firestore.terminate();
  }
}

main(process.argv.slice(2)).then(
  (c) => process.exit(c),
  (e) => {
    console.error(e instanceof CliUsageError ? e.message : `trace: ${oneLine(e)}`);
    process.exit(1);
  },
);
