import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

/**
 * Starts the Pub/Sub and Firestore emulators of the installed Google Cloud SDK (used by the vitest
 * globalSetup and by `npm start`). gcloud runs the emulator's java child in its own process group, so we
 * start gcloud detached and stop the whole group — killing only gcloud would orphan java on the port.
 */

export class EmulatorsMissingError extends Error {}

/** The emulator could not bind its port (someone took it between our choosing it and the emulator binding it). */
export class EmulatorBindError extends Error {}

/**
 * What a bind failure looks like in the emulators' output (java: `java.net.BindException: Address already in
 * use`, `java.io.IOException: Failed to bind to /127.0.0.1:8085`) or in Node (`EADDRINUSE`).
 */
const BIND_FAILURE = /BindException|Address already in use|Failed to bind|EADDRINUSE/i;

export function isBindFailureOutput(output: string): boolean {
  return BIND_FAILURE.test(output);
}

function isBindFailure(e: unknown): boolean {
  return e instanceof EmulatorBindError || (e as NodeJS.ErrnoException)?.code === 'EADDRINUSE';
}

/**
 * Runs `launch` on a free port; if the port was taken before it could be bound (the race between choosing a
 * free port and binding it), tries again on a fresh port, up to `attempts` times. Other failures are not
 * retried. The last bind failure names every port tried.
 */
export async function startOnFreePort<T>(
  launch: (port: number) => Promise<T>,
  options: { attempts?: number; pickPort?: () => Promise<number>; what?: string } = {},
): Promise<T> {
  const attempts = options.attempts ?? 4;
  const pickPort = options.pickPort ?? freePort;
  const tried: number[] = [];
  for (;;) {
    const port = await pickPort();
    tried.push(port);
    try {
      return await launch(port);
    } catch (e) {
      if (!isBindFailure(e)) throw e;
      if (tried.length >= attempts) {
        throw new EmulatorBindError(
          `${options.what ?? 'server'}: could not bind a port after ${attempts} attempts (ports ${tried.join(', ')} were taken ` +
            `before it could bind them): ${(e as Error).message}`,
          { cause: e },
        );
      }
    }
  }
}

export interface RunningEmulator {
  name: 'pubsub' | 'firestore';
  host: string;
  stop(): Promise<void>;
}

export function findSdkRoot(): string {
  let gcloud: string;
  try {
    gcloud = execFileSync('sh', ['-c', 'command -v gcloud'], { encoding: 'utf8' }).trim();
  } catch {
    throw new EmulatorsMissingError(
      'gcloud is not on PATH. The tests need the Google Cloud SDK with the Pub/Sub and Firestore emulators ' +
        '(google-cloud-cli, google-cloud-cli-pubsub-emulator, google-cloud-cli-firestore-emulator) and Java 17+, ' +
        'or PUBSUB_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST pointing at running emulators.',
    );
  }
  return path.resolve(path.dirname(realpathSync(gcloud)), '..');
}

export function checkEmulatorsInstalled(sdkRoot = findSdkRoot()): void {
  const missing = [
    ['pubsub-emulator', 'google-cloud-cli-pubsub-emulator'],
    ['cloud-firestore-emulator', 'google-cloud-cli-firestore-emulator'],
  ].filter(([dir]) => !existsSync(path.join(sdkRoot, 'platform', dir!)));
  if (missing.length > 0) {
    throw new EmulatorsMissingError(
      `The Cloud SDK at ${sdkRoot} lacks ${missing.map((m) => `${m[0]} (package ${m[1]})`).join(' and ')}. ` +
        'Install them, or set PUBSUB_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST to running emulators.',
    );
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(host: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // A bind failure may end the emulator or leave it running without its port: either way, it is this.
    if (isBindFailureOutput(output())) throw new EmulatorBindError(`emulator could not bind ${host}:\n${output().slice(-2000)}`);
    if (child.exitCode !== null) throw new Error(`emulator exited with code ${child.exitCode}:\n${output().slice(-2000)}`);
    try {
      const res = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`emulator at ${host} not ready after ${timeoutMs} ms:\n${output().slice(-2000)}`);
}

export interface StartEmulatorOptions {
  /** A fixed port (no retry: the caller asked for it). Default: a free port, re-chosen if it is taken meanwhile. */
  port?: number;
  projectId?: string;
  timeoutMs?: number;
  /** How many ports to try when the chosen one is taken before the emulator binds it; default 4. */
  attempts?: number;
  /** Chooses each port to try (tests). Default: a port the OS reports free. */
  pickPort?: () => Promise<number>;
}

export async function startEmulator(name: 'pubsub' | 'firestore', options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  if (options.port !== undefined) return launchEmulator(name, options.port, options);
  return startOnFreePort((port) => launchEmulator(name, port, options), {
    what: `the ${name} emulator`,
    ...(options.attempts !== undefined ? { attempts: options.attempts } : {}),
    ...(options.pickPort ? { pickPort: options.pickPort } : {}),
  });
}

async function launchEmulator(name: 'pubsub' | 'firestore', port: number, options: StartEmulatorOptions): Promise<RunningEmulator> {
  const host = `127.0.0.1:${port}`;
  const args =
    name === 'pubsub'
      ? ['beta', 'emulators', 'pubsub', 'start', `--host-port=${host}`, `--project=${options.projectId ?? 'demo'}`]
      : ['emulators', 'firestore', 'start', `--host-port=${host}`, `--project=${options.projectId ?? 'demo'}`];
  const child = spawn('gcloud', args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CLOUDSDK_CORE_DISABLE_PROMPTS: '1' },
  });
  let out = '';
  const collect = (b: Buffer) => {
    out = (out + b.toString()).slice(-8000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const stop = async () => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 5000);
    await exited;
    clearTimeout(timer);
    // The java grandchild shares the group; make sure it is gone too.
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  // Last resort: whatever way this process ends (an error, a second Ctrl-C), take the emulator with it.
  const killOnExit = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  try {
    await waitReady(host, child, () => out, options.timeoutMs ?? 60_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { name, host, stop };
}
