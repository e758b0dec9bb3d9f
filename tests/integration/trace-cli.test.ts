import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { idempotencyDocId } from '../../shared/idempotency/idempotency-store.js';
import { emulatorClients } from '../helpers/test-kit.js';

const run = promisify(execFile);

/** `npm run trace` reads what the stores hold about one comment; the full path is covered by npm-start.test.ts. */
describe('npm run trace', () => {
  const { firestore, projectId } = emulatorClients();
  afterAll(async () => {
    await firestore.terminate();
  });
  const trace = (args: string[], env: NodeJS.ProcessEnv = { ...process.env, GOOGLE_CLOUD_PROJECT: projectId }) =>
    run(path.join('node_modules', '.bin', 'tsx'), ['scripts/trace.ts', ...args], { env, timeout: 30_000 }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );

  it('prints the steps the stores hold, in time order, with times relative to the webhook', async () => {
    const id = '100000000000001_900000000000001_trace1';
    await firestore.collection('idempotency_keys').doc(idempotencyDocId(`comment:${id}`)).set({ key: `comment:${id}`, state: 'done', claimed_at: new Date('2026-11-29T10:00:00.000Z') });
    await firestore.collection('comments').doc(id).set({ comment_id: id, tienda_id: 'tienda-demo', live_id: 'live-demo', platform: 'facebook', account_id: '100000000000001', author_name: 'Ana', created_time: '2026-11-29T09:59:59.000Z', received_at: '2026-11-29T10:00:00.400Z' });
    await firestore.collection('comment_intents').doc(id).set({ decision: { result: { intent: 'question', items: [], confidence: 0.93, source: 'local' }, latencyMs: 2 }, created_at: new Date('2026-11-29T10:00:00.650Z') });
    const out = await trace([id]);
    expect(out.code).toBe(0);
    const lines = out.stdout.trim().split('\n');
    expect(lines[0]).toBe(`comment ${id}`);
    expect(lines[1]).toMatch(/\+0\.00s\s+webhook/);
    expect(lines[2]).toMatch(/\+0\.40s\s+comment\s+from Ana on facebook live tienda-demo\/live-demo/);
    expect(lines[3]).toMatch(/\+0\.65s\s+intent\s+question \(local, 0\.93, 2 ms\)/);
    const json = JSON.parse((await trace([id, '--json'])).stdout) as { steps: Array<{ step: string }> };
    expect(json.steps.map((s) => s.step)).toEqual(['webhook', 'comment', 'intent']);
  });

  it('an unknown comment is one line and exit 1; missing settings are named', async () => {
    const unknown = await trace(['no-such-comment']);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout.trim()).toMatch(/^comment no-such-comment: nothing recorded/);
    const { FIRESTORE_EMULATOR_HOST: _f, PUBSUB_EMULATOR_HOST: _p, GOOGLE_CLOUD_PROJECT: _g, ...bare } = process.env;
    const missing = await trace(['x'], bare);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toMatch(/^set GOOGLE_CLOUD_PROJECT and FIRESTORE_EMULATOR_HOST first/);
    expect(missing.stderr).not.toMatch(/MetadataLookupWarning/);
  });
});
