/**
 * What every operator CLI needs before it touches an emulator or Google: the settings it lacks named in one
 * line (not a gRPC stack), and no `MetadataLookupWarning` from google-auth-library probing a metadata server
 * that a laptop does not have.
 */
import { createServer } from 'node:net';

/**
 * Against the emulators there are no credentials to discover: turning metadata detection off silences the
 * warning. In production (no emulator host set) detection stays on, since Cloud Run's metadata server is real.
 */
export function quietGoogleAuth(env: NodeJS.ProcessEnv = process.env): void {
  if ((env.PUBSUB_EMULATOR_HOST || env.FIRESTORE_EMULATOR_HOST) && !env.METADATA_SERVER_DETECTION) env.METADATA_SERVER_DETECTION = 'none';
}

export class CliUsageError extends Error {}

/**
 * Refuses to start a command that could only hang or dump a stack: no project at all (then the emulator hosts the
 * command uses are named too — against `npm start` they are what is missing), or one emulator host set but not
 * the other one this command needs. A project with no emulator host means Google itself (ADC credentials).
 */
export function requireEmulatorEnv(needs: Array<'pubsub' | 'firestore'>, env: NodeJS.ProcessEnv = process.env): void {
  const hosts = { pubsub: 'PUBSUB_EMULATOR_HOST', firestore: 'FIRESTORE_EMULATOR_HOST' } as const;
  const anyEmulator = Boolean(env.PUBSUB_EMULATOR_HOST || env.FIRESTORE_EMULATOR_HOST);
  const missing: string[] = [];
  if (!env.GOOGLE_CLOUD_PROJECT) missing.push('GOOGLE_CLOUD_PROJECT');
  if (!env.GOOGLE_CLOUD_PROJECT || anyEmulator) for (const n of needs) if (!env[hosts[n]]) missing.push(hosts[n]);
  if (missing.length > 0) {
    throw new CliUsageError(
      `set ${missing.join(' and ')} first — against \`npm start\`, copy the export line it prints ` +
        '(export GOOGLE_CLOUD_PROJECT=… PUBSUB_EMULATOR_HOST=… FIRESTORE_EMULATOR_HOST=…); against Google, set GOOGLE_CLOUD_PROJECT',
    );
  }
}

/** gRPC / Google client errors reduced to one line (code name and message), for operators. */
export function oneLine(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    const first = e.message.split('\n')[0] ?? '';
    if (code === 14 || /ECONNREFUSED|UNAVAILABLE/.test(e.message)) return `cannot reach the emulator or Google (${first}): is it running, and are the *_EMULATOR_HOST settings right?`;
    if (code === 4 || /DEADLINE_EXCEEDED|timed out/i.test(e.message)) return `no answer in time (${first})`;
    return first;
  }
  return String(e);
}

/** Resolves when `port` can be bound on 127.0.0.1, else rejects with a message naming the setting that moves it. */
export async function assertPortFree(port: number, setting: string, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (e: NodeJS.ErrnoException) =>
      reject(new CliUsageError(e.code === 'EADDRINUSE' ? `port ${port} (${what}) is taken by another program: set ${setting}=<free port> to move it (e.g. ${setting}=${port + 100} npm start)` : `port ${port} (${what}): ${e.message}`)),
    );
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()));
  });
}
