import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/emulators.js';
import { uniqueProjectId } from '../helpers/test-kit.js';

const run = promisify(execFile);

describe('npm start (the README quick start)', () => {
  it('runs the pipeline on the emulators and stand-ins and reports the replayed live', async () => {
    const [ingress, worker, notifier] = await Promise.all([freePort(), freePort(), freePort()]);
    const { stdout } = await run(path.join('node_modules', '.bin', 'tsx'), ['scripts/start-local.ts', '--once'], {
      env: { ...process.env, GOOGLE_CLOUD_PROJECT: uniqueProjectId('start'), INGRESS_PORT: String(ingress), WORKER_PORT: String(worker), NOTIFIER_PORT: String(notifier) },
      timeout: 120_000,
    });
    expect(stdout).toMatch(/POST \/webhooks\/meta \(14 comments\) → 200 .*"published":14/);
    expect(stdout).toMatch(/quiero la roja talla M\s+→ purchase 101 roja M x1\s+\(local/);
    expect(stdout).toMatch(/cuánto cuesta la polera\?\s+→ question/);
    expect(stdout).not.toContain('not classified yet');
    expect(stdout).toMatch(/private replies sent through the Meta Graph stand-in: 1/);
    expect(stdout).toMatch(/payment_events: payment_success 20000/);
    expect(stdout).toMatch(/BigQuery stand-in rows: comments 14, intents 14/);
  });
});
