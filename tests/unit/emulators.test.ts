import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  checkEmulatorsInstalled,
  EmulatorBindError,
  EmulatorsMissingError,
  freePort,
  isBindFailureOutput,
  startEmulator,
  startOnFreePort,
} from '../../scripts/lib/emulators.js';
import setup, { TestSetupError } from '../global-setup.js';

describe('emulator start-up', () => {
  it('fails with a message naming the missing emulator packages', () => {
    expect(() => checkEmulatorsInstalled('/nonexistent/google-cloud-sdk')).toThrow(EmulatorsMissingError);
    expect(() => checkEmulatorsInstalled('/nonexistent/google-cloud-sdk')).toThrow(/google-cloud-cli-pubsub-emulator.*google-cloud-cli-firestore-emulator/s);
  });
});

/** Occupies a port the way another process would between our choosing it and the emulator binding it. */
async function occupy(): Promise<{ port: number; server: Server }> {
  // Hangs up on whoever connects (the readiness probe), so closing it never waits on a connection.
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as { port: number }).port, server };
}
const release = (s: Server) => new Promise((r) => s.close(r));

/**
 * A stand-in for `gcloud … emulators … start --host-port=H:P`: binds P and answers GET / with 200 like the
 * emulators do; when P is taken it prints what the Java emulators print and exits (or, FAKE_GCLOUD_HANG=1,
 * stays up without its port, as an emulator whose listener died can). Only this stand-in is started here:
 * the real emulators are shared and never started by a test.
 */
function fakeSdk(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'fake-sdk-'));
  mkdirSync(path.join(root, 'bin'));
  for (const d of ['pubsub-emulator', 'cloud-firestore-emulator']) mkdirSync(path.join(root, 'platform', d), { recursive: true });
  const gcloud = path.join(root, 'bin', 'gcloud');
  writeFileSync(
    gcloud,
    `#!/usr/bin/env node
const hostPort = process.argv.find((a) => a.startsWith('--host-port=')).split('=')[1];
const [host, port] = hostPort.split(':');
if (process.env.FAKE_GCLOUD_FAIL === '1') {
  console.error('ERROR: (gcloud.emulators) Java is not installed');
  process.exit(3);
}
const server = require('node:http').createServer((req, res) => res.end('Ok'));
server.on('error', (e) => {
  console.error('Exception in thread "main" java.io.IOException: Failed to bind to /' + hostPort);
  console.error('Caused by: java.net.BindException: Address already in use (' + e.code + ')');
  if (process.env.FAKE_GCLOUD_HANG !== '1') process.exit(1);
  setInterval(() => {}, 1000);
});
server.listen(Number(port), host, () => console.log('[emulator] Server started, listening on ' + port));
`,
  );
  chmodSync(gcloud, 0o755);
  return root;
}

describe('starting an emulator does not race for its port', () => {
  const sdk = fakeSdk();
  const savedPath = process.env.PATH;
  beforeAll(() => {
    process.env.PATH = `${path.join(sdk, 'bin')}${path.delimiter}${savedPath}`;
    // Only the stand-in may answer to "gcloud" here: a test never starts the real emulators.
    expect(execFileSync('sh', ['-c', 'command -v gcloud'], { encoding: 'utf8' }).trim()).toBe(path.join(sdk, 'bin', 'gcloud'));
  });
  afterAll(() => {
    process.env.PATH = savedPath;
    rmSync(sdk, { recursive: true, force: true });
  });
  afterEach(() => {
    delete process.env.FAKE_GCLOUD_HANG;
  });

  it('recognises the bind failures the emulators print', () => {
    expect(isBindFailureOutput('Exception in thread "main" java.net.BindException: Address already in use')).toBe(true);
    expect(isBindFailureOutput('java.io.IOException: Failed to bind to /127.0.0.1:8682')).toBe(true);
    expect(isBindFailureOutput('[pubsub] INFO: Server started, listening on 8085')).toBe(false);
  });

  it('when the port chosen first is taken before the emulator binds it, starts on a fresh one', async () => {
    const taken = await occupy();
    const chosen: number[] = [];
    const pickPort = async () => {
      const p = chosen.length === 0 ? taken.port : await freePort();
      chosen.push(p);
      return p;
    };
    const emulator = await startEmulator('firestore', { pickPort, timeoutMs: 20_000 });
    try {
      expect(chosen).toHaveLength(2);
      expect(emulator.host).toBe(`127.0.0.1:${chosen[1]}`);
      expect((await fetch(`http://${emulator.host}/`)).status).toBe(200);
    } finally {
      await emulator.stop();
      await release(taken.server);
    }
  });

  it('also when the emulator stays up without its port (detected from its output, not by timing out)', async () => {
    process.env.FAKE_GCLOUD_HANG = '1';
    const taken = await occupy();
    let picks = 0;
    const pickPort = async () => (picks++ === 0 ? taken.port : freePort());
    // FAKE_GCLOUD_HANG applies to both runs, but the second port is free, so the second run binds it. The
    // default readiness timeout is 60 s and the test's 60 s too: only the output check can make this pass.
    const emulator = await startEmulator('pubsub', { pickPort });
    expect(picks).toBe(2);
    await emulator.stop();
    await release(taken.server);
  });

  it('gives up after a few attempts with an error that says what happened', async () => {
    const taken = await occupy();
    const err = await startEmulator('firestore', { pickPort: async () => taken.port, attempts: 3, timeoutMs: 20_000 }).catch((e: unknown) => e);
    await release(taken.server);
    expect(err).toBeInstanceOf(EmulatorBindError);
    expect((err as Error).message).toMatch(new RegExp(`the firestore emulator: could not bind a port after 3 attempts \\(ports ${taken.port}, ${taken.port}, ${taken.port}`));
    expect((err as Error).message).toMatch(/BindException/);
  });

  it('does not retry a failure that is not about the port', async () => {
    let calls = 0;
    const err = await startOnFreePort(async () => {
      calls++;
      throw new Error('java not found');
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('java not found');
    expect(calls).toBe(1);
  });

  it('the test setup reports a failed start as a setup failure, not as missing tests', async () => {
    const saved = { pubsub: process.env.PUBSUB_EMULATOR_HOST, firestore: process.env.FIRESTORE_EMULATOR_HOST };
    const provided: Record<string, string> = {};
    const project = { provide: (k: string, v: string) => void (provided[k] = v) } as never;
    try {
      delete process.env.PUBSUB_EMULATOR_HOST;
      delete process.env.FIRESTORE_EMULATOR_HOST;
      const teardown = await setup(project);
      expect(provided.firestoreEmulatorHost).toMatch(/^127\.0\.0\.1:\d+$/);
      expect((await fetch(`http://${provided.pubsubEmulatorHost}/`)).status).toBe(200);
      await teardown();

      // An emulator that cannot start at all (here: it exits at once, as without Java): a setup failure.
      process.env.FAKE_GCLOUD_FAIL = '1';
      delete process.env.PUBSUB_EMULATOR_HOST;
      delete process.env.FIRESTORE_EMULATOR_HOST;
      const err = await setup(project).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TestSetupError);
      expect((err as Error).message).toMatch(/^Test setup failed, no test was run: could not start the emulators\. emulator exited with code 3/);
    } finally {
      delete process.env.FAKE_GCLOUD_FAIL;
      process.env.PUBSUB_EMULATOR_HOST = saved.pubsub;
      process.env.FIRESTORE_EMULATOR_HOST = saved.firestore;
    }
  });
});
