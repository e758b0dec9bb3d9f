import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { consumerFor, TOPIC_NAMES } from '../../shared/topology/topology.js';
import { waitUntil } from '../helpers/test-kit.js';
import { fbFeedComment, pageWebhook } from '../helpers/meta-payloads.js';

/**
 * Point 12: a service started with GOOGLE_CLOUD_PROJECT but no emulator hosts and no credentials (no ADC, no
 * metadata server) answers 503 to every request that needs Firestore or Pub/Sub, and keeps serving. As it landed,
 * the ingress answered the first webhook 503 and then died of an unhandled "Could not load the default credentials"
 * rejection left behind by the Google clients.
 */
interface Service {
  child: ChildProcess;
  url: string;
  output: () => string;
}

const META_APP_SECRET = 'dep-failure-app-secret';

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['PUBSUB_EMULATOR_HOST', 'FIRESTORE_EMULATOR_HOST', 'GOOGLE_APPLICATION_CREDENTIALS', 'BIGQUERY_EMULATOR_HOST']) delete env[k];
  return { ...env, METADATA_SERVER_DETECTION: 'none', GOOGLE_CLOUD_PROJECT: 'no-emulators-here', PORT: '0', LOG_LEVEL: 'INFO', SECRETS_SOURCE: 'env', ...extra };
}

async function start(entry: string, extra: Record<string, string>): Promise<Service> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { env: childEnv(extra), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString('utf8')));
  let port: number | undefined;
  await waitUntil(
    () => {
      if (child.exitCode !== null) throw new Error(`${entry} exited ${child.exitCode}:\n${out}`);
      const line = out.split('\n').find((l) => l.includes('listening'));
      if (line) port = (JSON.parse(line) as { port: number }).port;
      return port !== undefined;
    },
    60_000,
    `${entry} listening`,
  );
  return { child, url: `http://127.0.0.1:${port}`, output: () => out };
}

const alive = (s: Service) => s.child.exitCode === null && s.child.signalCode === null;

describe('a dependency failure never kills a process', () => {
  const services: Service[] = [];
  afterAll(() => {
    for (const s of services) if (alive(s)) s.child.kill('SIGTERM');
  });

  it('ingress without emulators or credentials: two signed webhooks both get 503, and the process is still alive', async () => {
    const ingress = await start('services/ingress/main.ts', { META_APP_SECRET, META_VERIFY_TOKEN: 'dep-failure-verify' });
    services.push(ingress);
    const body = JSON.stringify(pageWebhook('100000000000001', [fbFeedComment('100000000000001', '100000000000001_900_dep1', 'quiero la negra talla S')]));
    const signature = `sha256=${createHmac('sha256', META_APP_SECRET).update(body).digest('hex')}`;
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${ingress.url}/webhooks/meta`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, body });
      expect(res.status, ingress.output()).toBe(503);
    }
    // Give a floating rejection time to surface.
    await new Promise((r) => setTimeout(r, 1500));
    expect(alive(ingress), ingress.output()).toBe(true);
    expect((await fetch(`${ingress.url}/healthz`)).status).toBe(200);
    // Root cause fixed, not just caught: no unhandled rejection at all.
    expect(ingress.output()).not.toMatch(/unhandled promise rejection|Could not load the default credentials[\s\S]*triggerUncaughtException/);
  }, 120_000);

  it('worker without emulators or credentials: a push gets 503 (Pub/Sub redelivers), and the process is still alive', async () => {
    const worker = await start('services/worker/main.ts', { PUSH_AUTH_ENABLED: 'false', INTENT_LLM: 'off', BIGQUERY_API_URL: 'http://127.0.0.1:9' });
    services.push(worker);
    const consumer = consumerFor(TOPIC_NAMES.incomingComments);
    const event = {
      event: 'feed_comment',
      timestamp: '2026-11-29T22:00:00.000Z',
      data: { platform: 'facebook', source_field: 'feed', account_id: '2222222222', post_id: '2222222222_1', comment_id: 'dep-w-1', parent_id: null, author_id: 'u-1', author_name: 'Ana', text: 'quiero la roja', created_time: '2026-11-29T22:00:00.000Z' },
    };
    const push = JSON.stringify({ subscription: 's', message: { data: Buffer.from(JSON.stringify(event)).toString('base64'), attributes: { event: 'feed_comment' }, messageId: 'dep-m-1' } });
    const res = await fetch(`${worker.url}${consumer.path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: push, signal: AbortSignal.timeout(consumer.ackDeadlineSeconds * 1000) });
    expect(res.status, worker.output()).toBe(503);
    await new Promise((r) => setTimeout(r, 1500));
    expect(alive(worker), worker.output()).toBe(true);
    expect((await fetch(`${worker.url}/healthz`)).status).toBe(200);
    expect(worker.output()).not.toMatch(/unhandled promise rejection/);
  }, 120_000);
});
