/**
 * `npm run bench` — every benchmark, one after the other (each starts its own emulators and prints its figures
 * against a baseline measured in the same run; nothing is asserted). See BENCHMARKS.md for the last figures.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';

const benches = ['bench/ingress-webhook.ts', 'bench/round-trips.ts', 'bench/order-burst.ts', 'bench/end-to-end.ts'];
console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}\n`);
let failed = 0;
for (const b of benches) {
  console.log(`=== ${b}`);
  // Each bench owns its emulators: do not hand it anyone else's.
  const env = { ...process.env };
  delete env.PUBSUB_EMULATOR_HOST;
  delete env.FIRESTORE_EMULATOR_HOST;
  const r = spawnSync(process.execPath, ['--import', 'tsx', b], { stdio: 'inherit', env });
  if (r.status !== 0) failed++;
  console.log();
}
process.exit(failed ? 1 : 0);
