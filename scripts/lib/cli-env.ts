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
 * Refuses to run without a project, and (unless `allowGoogle`) without the emulator hosts the command uses,
 * naming what to set — otherwise the Google clients would try production with no credentials and time out.
 */
export function requireEmulatorEnv(needs: Array<'pubsub' | 'firestore'>, env: NodeJS.ProcessEnv = process.env): void {
  const missing: string[] = [];
  if (!env.GOOGLE_CLOUD_PROJECT) missing.push('GOOGLE_CLOUD_PROJECT');
  const hosts = { pubsub: 'PUBSUB_EMULATOR_HOST', firestore: 'FIRESTORE_EMULATOR_HOST' } as const;
  const anyHost = needs.some((n) => env[hosts[n]]);
  // Against real Google (no emulator host at all, credentials present) only the project is needed.
  const againstGoogle = !anyHost && (env.GOOGLE_APPLICATION_CREDENTIALS || env.K_SERVICE);
  if (!againstGoogle) for (const n of needs) if (!env[hosts[n]]) missing.push(hosts[n]);
  if (missing.length > 0) {
    throw new CliUsageError(
      `set ${missing.join(' and ')} first — against \`npm start\`, copy the export line it prints ` +
        `(e.g. export GOOGLE_CLOUD_PROJECT=demo-livestreamsell PUBSUB_EMULATOR_HOST=127.0.0.1:8085 FIRESTORE_EMULATOR_HOST=127.0.0.1:8086); ` +
        'against Google, set GOOGLE_CLOUD_PROJECT and GOOGLE_APPLICATION_CREDENTIALS',
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
