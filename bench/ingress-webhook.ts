/**
 * `npm run bench:ingress` — what verifying, claiming and publishing cost on the Meta webhook path, as ratios
 * against a bare Koa route measured in the same run on the same machine (the emulators stand in for
 * Firestore and Pub/Sub, so absolute numbers say little; the ratios say where the time goes).
 *
 *   bare           Koa route answering "ok"
 *   signature-401  raw body + HMAC-SHA256 + constant-time compare, wrong signature (no I/O)
 *   duplicate      signed comment already published: one Firestore claim attempt + read
 *   publish        new signed comment each request: Firestore claim + Pub/Sub publish + complete
 *
 * CPU time per request is this process's (server and load generator together; the emulators run apart), so its
 * ratio to the bare route is what the handler adds.
 *
 * Bounded: each scenario runs for --seconds (default 5) with --connections (default 10), loopback only.
 */
import Koa from 'koa';
import autocannon from 'autocannon';
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { createApp } from '../services/ingress/app.js';
import { signMetaBody } from '../services/ingress/providers/meta-signature.js';
import { createFlowClient } from '../shared/providers/flow-client.js';
import { createMercadoPagoClient } from '../shared/providers/mercadopago-client.js';
import { createPayPalClient } from '../shared/providers/paypal-client.js';
import { createPayPalVerifier } from '../services/ingress/providers/paypal-verify.js';
import { IdempotencyStore } from '../shared/idempotency/idempotency-store.js';
import { createPublisher } from '../shared/pubsub/publisher.js';
import { EnvSecretSource } from '../shared/secrets/env-secret-source.js';
import { TiendaStore } from '../shared/tiendas/tienda-store.js';
import { TOPIC_NAMES } from '../shared/topology/topology.js';
import { benchEmulators } from './bench-emulators.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const SECONDS = arg('seconds', 5);
const CONNECTIONS = arg('connections', 10);
const SECRET = 'bench-meta-app-secret';
const PAGE = '100000000000777';

function listen(app: Koa): Promise<{ url: string; close(): void }> {
  return new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      resolve({ url: `http://127.0.0.1:${port}`, close: () => (s.closeAllConnections(), s.close()) });
    });
  });
}

function metaBody(commentId: string): string {
  return JSON.stringify({
    object: 'page',
    entry: [{ id: PAGE, time: 1764400000, changes: [{ field: 'feed', value: { from: { id: '1', name: 'Bench' }, item: 'comment', verb: 'add', comment_id: commentId, post_id: `${PAGE}_1`, parent_id: `${PAGE}_1`, created_time: 1764400000, message: 'quiero la roja talla M' } }] }],
  });
}

async function main() {
  const started = await benchEmulators();
  const projectId = `bench-${Date.now().toString(36)}`;
  const pubsub = new PubSub({ projectId });
  const firestore = new Firestore({ projectId });
  await pubsub.createTopic(TOPIC_NAMES.incomingComments);
  await pubsub.topic(TOPIC_NAMES.incomingComments).createSubscription('bench-sink');
  const publisher = createPublisher(pubsub);
  const app = createApp({
    config: { maxBodyBytes: 2 * 1024 * 1024, signatureTolerance: 300_000, mercadopagoSignatureTolerance: 86_400_000 },
    secrets: new EnvSecretSource({ env: { META_APP_SECRET: SECRET } }),
    tiendas: new TiendaStore(firestore),
    idempotency: new IdempotencyStore(firestore),
    publisher,
    mercadopago: createMercadoPagoClient(),
    flow: createFlowClient(),
    paypal: createPayPalClient(),
    paypalVerifier: createPayPalVerifier(),
  });
  const ingress = await listen(app);
  const bareApp = new Koa();
  bareApp.use((ctx) => {
    ctx.body = 'ok';
  });
  const bare = await listen(bareApp);

  const dupBody = metaBody('bench-duplicate');
  await fetch(`${ingress.url}/webhooks/meta`, { method: 'POST', headers: { 'x-hub-signature-256': signMetaBody(dupBody, SECRET) }, body: dupBody });
  let n = 0;
  const scenarios: Array<[string, Parameters<typeof autocannon>[0]]> = [
    ['bare', { url: `${bare.url}/` }],
    ['signature-401', { url: `${ingress.url}/webhooks/meta`, method: 'POST', headers: { 'x-hub-signature-256': 'sha256=' + '0'.repeat(64) }, body: dupBody }],
    ['duplicate', { url: `${ingress.url}/webhooks/meta`, method: 'POST', headers: { 'x-hub-signature-256': signMetaBody(dupBody, SECRET) }, body: dupBody }],
    [
      'publish',
      {
        url: `${ingress.url}/webhooks/meta`,
        requests: [
          {
            method: 'POST',
            setupRequest: (req) => {
              const body = metaBody(`bench-${process.pid}-${n++}`);
              return { ...req, body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(body, SECRET) } };
            },
          },
        ],
      },
    ],
  ];
  const results: Array<{ name: string; rps: number; p50: number; p99: number; non2xx: number; cpuUs: number }> = [];
  for (const [name, opts] of scenarios) {
    // CPU time of this process (the server and autocannon alike; the emulators are other processes) per request.
    const cpu0 = process.cpuUsage();
    const r = await autocannon({ ...opts, connections: CONNECTIONS, duration: SECONDS });
    const cpu = process.cpuUsage(cpu0);
    results.push({ name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, cpuUs: (cpu.user + cpu.system) / Math.max(1, r.requests.total) });
  }
  const base = results[0]!.rps;
  console.log(`ingress webhook benchmark — ${CONNECTIONS} connections, ${SECONDS} s each, loopback, emulators for Firestore/Pub/Sub`);
  console.log('scenario         req/s    p50 ms  p99 ms   non-2xx  throughput vs bare Koa  CPU µs/req (vs bare)');
  const baseCpu = results[0]!.cpuUs;
  for (const r of results) {
    console.log(
      `${r.name.padEnd(15)} ${r.rps.toFixed(0).padStart(6)}  ${String(r.p50).padStart(7)} ${String(r.p99).padStart(7)}  ${String(r.non2xx).padStart(8)}  ${(r.rps / base).toFixed(3).padStart(9)}x` +
        `              ${r.cpuUs.toFixed(0).padStart(6)} (${(r.cpuUs / baseCpu).toFixed(1)}x)`,
    );
  }
  await new Promise((r) => setTimeout(r, 500)); // let the last in-flight requests finish
  ingress.close();
  bare.close();
  await publisher.close();
  await pubsub.close();
  void firestore.terminate();
  for (const e of started) await e.stop();
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
