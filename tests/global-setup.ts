import type { TestProject } from 'vitest/node';
import { checkEmulatorsInstalled, startEmulator, type RunningEmulator } from '../scripts/lib/emulators.js';

/** The emulators could not be started: no test ran. */
export class TestSetupError extends Error {
  constructor(cause: unknown) {
    super(`Test setup failed, no test was run: could not start the emulators. ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'TestSetupError';
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    pubsubEmulatorHost: string;
    firestoreEmulatorHost: string;
  }
}

/**
 * Starts the Cloud SDK's Pub/Sub and Firestore emulators unless PUBSUB_EMULATOR_HOST /
 * FIRESTORE_EMULATOR_HOST already point at running ones, and stops exactly what it started.
 * Tests isolate themselves by project id (one per test file), so resource names stay the real ones.
 */
export default async function setup(project: TestProject) {
  const started: RunningEmulator[] = [];
  const need = {
    pubsub: !process.env.PUBSUB_EMULATOR_HOST,
    firestore: !process.env.FIRESTORE_EMULATOR_HOST,
  };
  if (need.pubsub || need.firestore) {
    try {
      checkEmulatorsInstalled();
      // Each on a free port, chosen again if another process takes it before the emulator binds it.
      const results = await Promise.allSettled([
        need.pubsub ? startEmulator('pubsub') : Promise.resolve(null),
        need.firestore ? startEmulator('firestore') : Promise.resolve(null),
      ]);
      for (const r of results) if (r.status === 'fulfilled' && r.value) started.push(r.value);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      const [ps, fs] = results.map((r) => (r.status === 'fulfilled' ? r.value : null));
      if (ps) process.env.PUBSUB_EMULATOR_HOST = ps.host;
      if (fs) process.env.FIRESTORE_EMULATOR_HOST = fs.host;
    } catch (e) {
      // Stop what did start, and say plainly that the setup failed (not the tests, and not "no test files").
      await Promise.allSettled(started.map((x) => x.stop()));
      const failure = new TestSetupError(e);
      console.error(`\n${failure.message}\n`);
      throw failure;
    }
  }
  process.env.METADATA_SERVER_DETECTION = 'none';
  project.provide('pubsubEmulatorHost', process.env.PUBSUB_EMULATOR_HOST!);
  project.provide('firestoreEmulatorHost', process.env.FIRESTORE_EMULATOR_HOST!);
  return async () => {
    await Promise.all(started.map((e) => e.stop()));
  };
}
