import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { uniqueProjectId } from '../helpers/test-kit.js';
import { startGeminiFake } from '../fakes/gemini-fake.js';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), 'lss-cli-'));
const projectId = uniqueProjectId('cli');

async function cli(script: string, args: string[], env: Record<string, string> = {}) {
  try {
    const r = await run(path.join('node_modules', '.bin', 'tsx'), [`scripts/${script}.ts`, ...args], { env: { ...process.env, GOOGLE_CLOUD_PROJECT: projectId, ...env }, timeout: 60_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('command-line tools (real processes, emulator Firestore)', () => {
  it('npm run tienda: add is idempotent, list and show read it back, bad input is explained', async () => {
    const file = path.join(dir, 'tienda.json');
    writeFileSync(file, JSON.stringify({ id: 'tienda-cli', name: 'CLI', country: 'CL', currency: 'CLP', payment_provider: 'flow', meta_page_id: '3333', instagram_account_id: null }));
    const first = await cli('tienda', ['add', file]);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).status).toBe('created');
    expect(JSON.parse((await cli('tienda', ['add', file])).stdout).status).toBe('unchanged');
    expect(JSON.parse((await cli('tienda', ['show', 'tienda-cli'])).stdout)).toMatchObject({ id: 'tienda-cli', payment_provider: 'flow', meta_page_id: '3333' });
    expect(JSON.parse((await cli('tienda', ['list'])).stdout)).toHaveLength(1);
    writeFileSync(file, JSON.stringify({ id: 'Bad Id', name: '', country: 'Chile', currency: 'CLP', payment_provider: 'cash' }));
    const bad = await cli('tienda', ['add', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/id:.*lowercase/);
    expect(bad.stderr).toMatch(/country/);
    expect(bad.stderr).toMatch(/payment_provider/);
    expect((await cli('tienda', ['show', 'nobody'])).code).toBe(1);
    expect((await cli('tienda', [])).code).toBe(2);
  });

  it('npm run live: add a live with its catalog, put it on air, feature a product', async () => {
    const file = path.join(dir, 'live.json');
    writeFileSync(file, JSON.stringify({ tienda_id: 'tienda-cli', live_id: 'live-1', platform: 'facebook', post_id: '3333_1', currency: 'CLP', featured_product: '1', products: [{ code: '1', name: 'Polera', keywords: ['polera'], price: 1000, variants: { color: ['roja'] }, stock: 3 }, { code: '2', name: 'Gorro', price: 500, stock: 1 }] }));
    expect((await cli('live', ['add', file])).code).toBe(0);
    expect((await cli('live', ['status', 'tienda-cli', 'live-1', 'live'])).code).toBe(0);
    expect((await cli('live', ['feature', 'tienda-cli', 'live-1', '2'])).code).toBe(0);
    expect((await cli('live', ['feature', 'tienda-cli', 'live-1', '99'])).code).toBe(1);
    expect(JSON.parse((await cli('live', ['show', 'tienda-cli', 'live-1'])).stdout)).toMatchObject({ status: 'live', featured_product: '2' });
  });

  it('npm run live: stock per variant, validated against the variants; the stock command shows what is left', async () => {
    const file = path.join(dir, 'live-variants.json');
    const live = (variantStock: unknown) => ({
      tienda_id: 'tienda-cli', live_id: 'live-2', platform: 'facebook', post_id: '3333_2', currency: 'CLP', featured_product: '1',
      products: [{ code: '1', name: 'Polera', price: 1000, variants: { color: ['roja', 'azul'], size: ['M'] }, variant_stock: variantStock }, { code: '2', name: 'Gorro', price: 500, stock: 4 }],
    });
    writeFileSync(file, JSON.stringify(live([{ color: 'verde', size: 'M', stock: 1 }])));
    const bad = await cli('live', ['add', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/color "verde" is not one of the product's colors \(roja, azul\)/);
    writeFileSync(file, JSON.stringify(live([{ color: 'roja', size: 'M', stock: 3 }, { color: 'azul', size: 'M', stock: 2 }])));
    expect((await cli('live', ['add', file])).code).toBe(0);
    const stock = JSON.parse((await cli('live', ['stock', 'tienda-cli', 'live-2'])).stdout) as Array<{ unit: string; available: number }>;
    expect(stock).toEqual([
      { unit: '1:roja:M', declared: 3, available: 3, waitlisted: 0 },
      { unit: '1:azul:M', declared: 2, available: 2, waitlisted: 0 },
      { unit: '2', declared: 4, available: 4, waitlisted: 0 },
    ]);
  });

  it('npm run classify: one JSON line per comment, bad lines named by number, local only without --llm', async () => {
    const input = path.join(dir, 'comments.jsonl');
    writeFileSync(input, ['{"text":"quiero la roja talla M"}', '{"text":"cuánto cuesta?"}', 'oops', '{"text":"#102 talla 40"}', '{"text":"x","featured":"999"}'].join('\n'));
    const r = await cli('classify', ['--catalog', 'data/catalog-demo.json', input]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatchObject({ text: 'quiero la roja talla M', intent: 'purchase', items: [{ product: '101', color: 'roja', size: 'M', quantity: 1 }], source: 'local' });
    expect(lines[1]).toMatchObject({ intent: 'question', items: [] });
    expect(lines[2]).toEqual({ line: 3, error: 'not valid JSON' });
    expect(lines[3]).toMatchObject({ intent: 'purchase', items: [{ product: '102', size: '40' }] });
    expect(lines[4]).toMatchObject({ line: 5, error: expect.stringMatching(/featured product 999/) });
  });

  it('npm run classify --llm sends only uncertain comments to Gemini', async () => {
    const gemini = await startGeminiFake({ apiKey: 'test-gemini-key' });
    gemini.setResponder(() => ({ kind: 'json', value: { intent: 'purchase', items: [{ product: '101', color: null, size: null, quantity: 1 }], confidence: 0.7 } }));
    const input = path.join(dir, 'llm.jsonl');
    writeFileSync(input, ['{"text":"quiero la roja talla M"}', '{"text":"quiero la verde"}'].join('\n'));
    const r = await cli('classify', ['--catalog', 'data/catalog-demo.json', '--llm', input], { GEMINI_API_KEY: 'test-gemini-key', GEMINI_API_URL: gemini.url });
    await gemini.close();
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.source)).toEqual(['local', 'gemini']);
    expect(gemini.requests).toHaveLength(1);
    const noKey = await cli('classify', ['--catalog', 'data/catalog-demo.json', '--llm', input]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/GEMINI_API_KEY/);
  });

  it('npm run provision creates the topology once and converges on re-runs; a missing URL is named', async () => {
    const env = { WORKER_URL: 'http://127.0.0.1:9/', NOTIFIER_URL: 'http://127.0.0.1:9/' };
    const first = await cli('provision', [], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/topic:incoming_comments/);
    expect(first.stdout).toMatch(/subscription:incoming_comments-worker/);
    expect(first.stdout).toMatch(/subscription:notification_delivery-dlq-hold/);
    const again = await cli('provision', [], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already up to date/);
    const bad = await cli('provision', [], { NOTIFIER_URL: 'http://127.0.0.1:9/' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/WORKER_URL: is required but not set/);
  });
});

