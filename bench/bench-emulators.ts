import { createLogger, setLogger } from '../shared/logging/logger.js';
import { checkEmulatorsInstalled, startEmulator, type RunningEmulator } from '../scripts/lib/emulators.js';

/**
 * What every bench does first: quiet logs, no metadata-server probing, and the Cloud SDK emulators — the ones
 * PUBSUB_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST name, or fresh ones this bench starts (returned, to stop at the end).
 */
export async function benchEmulators(): Promise<RunningEmulator[]> {
  setLogger(createLogger({ level: 'CRITICAL' }));
  process.env.METADATA_SERVER_DETECTION = 'none';
  const started: RunningEmulator[] = [];
  if (!process.env.PUBSUB_EMULATOR_HOST || !process.env.FIRESTORE_EMULATOR_HOST) {
    checkEmulatorsInstalled();
    for (const name of ['pubsub', 'firestore'] as const) {
      const e = await startEmulator(name);
      started.push(e);
      process.env[name === 'pubsub' ? 'PUBSUB_EMULATOR_HOST' : 'FIRESTORE_EMULATOR_HOST'] = e.host;
    }
  }
  return started;
}
