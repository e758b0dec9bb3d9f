import type { TestProject } from 'vitest/node';
import { checkEmulatorsInstalled, startEmulator, type RunningEmulator } from '../scripts/lib/emulators.js';

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
    checkEmulatorsInstalled();
    const [ps, fs] = await Promise.all([
      need.pubsub ? startEmulator('pubsub') : Promise.resolve(null),
      need.firestore ? startEmulator('firestore') : Promise.resolve(null),
    ]);
    if (ps) {
      started.push(ps);
      process.env.PUBSUB_EMULATOR_HOST = ps.host;
    }
    if (fs) {
      started.push(fs);
      process.env.FIRESTORE_EMULATOR_HOST = fs.host;
    }
  }
  process.env.METADATA_SERVER_DETECTION = 'none';
  project.provide('pubsubEmulatorHost', process.env.PUBSUB_EMULATOR_HOST!);
  project.provide('firestoreEmulatorHost', process.env.FIRESTORE_EMULATOR_HOST!);
  return async () => {
    await Promise.all(started.map((e) => e.stop()));
  };
}
