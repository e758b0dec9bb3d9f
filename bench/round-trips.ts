/**
 * `npm run bench:round-trips` — how many Firestore and Pub/Sub round trips one comment costs on the whole path
 * (signed webhook → ingress → worker → notifier → private reply), per service and per RPC method. Each service
 * reaches the emulators through its own counting gRPC proxy (bench/grpc-counting-proxy.ts); after a warm-up,
 * RT_COMMENTS (default 20) purchase comments are sent one per webhook, spaced so they do not share batches, and
 * the calls made until every one is answered are divided by their number. Never asserted.
 *
 * A Pub/Sub push delivery is not a client call (the emulator POSTs to the service) and is not counted; Pub/Sub
 * rows are publishes made by the services.
 *
 * Before and after in the same run: the whole measure runs twice, each on its own emulators, first with the lookup
 * caches off (`TIENDA_CACHE_TTL=0`, `LIVE_CACHE_TTL=0`: every comment reads its tienda, account index, post index and
 * live from Firestore, as before the caches existed), then with the defaults (30 s, 5 s). `RT_ONLY=after` skips the
 * first.
 */
import { createLogger, setLogger } from '../shared/logging/logger.js';
import { sleep } from '../tests/helpers/test-kit.js';
import { deliverLikeMeta, withProgress, purchaseComments, startPipeline, waitForOutcomes, type ServiceName } from '../tests/faults/pipeline-harness.js';
import { startCountingProxy, type CountingProxy } from './grpc-counting-proxy.js';

const N = Number(process.env.RT_COMMENTS ?? 20);
const CACHES_OFF = { TIENDA_CACHE_TTL: '0', LIVE_CACHE_TTL: '0' };

/** Calls per "service emulator method" over N comments, on a fresh pipeline with `cacheEnv` in ingress and worker. */
async function measure(cacheEnv: Record<string, string>): Promise<Map<string, number>> {
  const proxies: Array<{ service: ServiceName; kind: 'firestore' | 'pubsub'; proxy: CountingProxy }> = [];
  const p = await startPipeline({
    extraEnv: { ingress: { LOG_LEVEL: 'ERROR', ...cacheEnv }, worker: { LOG_LEVEL: 'WARNING', ...cacheEnv }, notifier: { LOG_LEVEL: 'ERROR' } },
    emulatorHosts: async (hosts) => {
      const routed: Partial<Record<ServiceName, { pubsub: string; firestore: string }>> = {};
      for (const service of ['ingress', 'worker', 'notifier'] as const) {
        const fs = await startCountingProxy(hosts.firestore);
        const ps = await startCountingProxy(hosts.pubsub);
        proxies.push({ service, kind: 'firestore', proxy: fs }, { service, kind: 'pubsub', proxy: ps });
        routed[service] = { firestore: fs.host, pubsub: ps.host };
      }
      return routed;
    },
  });
  try {
    // A second warm-up round, so caches (tiendas, lives, tokens) are as a live's steady state has them.
    const warm = purchaseComments('rt-warm', 3);
    for (const c of warm) await deliverLikeMeta(p.services.ingress.url, [c], Date.now() + 60_000);
    await withProgress(p, waitForOutcomes(p, warm, 120_000));
    await sleep(2000);
    for (const x of proxies) x.proxy.reset();

    const comments = purchaseComments('rt', N);
    for (const c of comments) {
      await deliverLikeMeta(p.services.ingress.url, [c], Date.now() + 60_000);
      await sleep(300);
    }
    await withProgress(p, waitForOutcomes(p, comments, 180_000));
    await sleep(3000); // completes and acks that follow the reply
    const counts = new Map<string, number>();
    for (const { service, kind, proxy } of proxies) for (const [method, n] of proxy.counts) counts.set(`${service.padEnd(9)} ${kind.padEnd(10)} ${method}`, n);
    return counts;
  } catch (e) {
    console.error(p.logs().split('\n').filter((l) => /WARNING|ERROR/.test(l)).slice(0, 10).join('\n'));
    throw e;
  } finally {
    await p.close();
    for (const x of proxies) await x.proxy.close();
  }
}

async function main() {
  setLogger(createLogger({ level: 'CRITICAL' }));
  const before = process.env.RT_ONLY === 'after' ? null : await measure(CACHES_OFF);
  const after = await measure({});
  const per = (m: Map<string, number> | null, k: string) => (m ? ((m.get(k) ?? 0) / N).toFixed(2) : '-').padStart(7);
  console.log(`round trips per comment (${N} purchase comments, one webhook each; whole path to the private reply)`);
  console.log(`${'service   emulator   method'.padEnd(88)} ${'before'.padStart(7)} ${'after'.padStart(7)}`);
  for (const k of [...new Set([...(before?.keys() ?? []), ...after.keys()])].sort()) console.log(`${k.padEnd(88)} ${per(before, k)} ${per(after, k)}`);
  const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0) / N;
  const totals = (m: Map<string, number>) => {
    const by: Record<string, number> = {};
    for (const [k, n] of m) {
      const key = k.split(/\s+/).slice(0, 2).join(' ');
      by[key] = (by[key] ?? 0) + n / N;
    }
    return Object.entries(by).map(([k, n]) => `${k} ${n.toFixed(2)}`).join(', ');
  };
  if (before) console.log(`before (lookup caches off): ${totals(before)}`);
  console.log(`after (TIENDA_CACHE_TTL 30s, LIVE_CACHE_TTL 5s): ${totals(after)}`);
  console.log(`all round trips per comment: ${before ? `before ${total(before).toFixed(2)}, ` : ''}after ${total(after).toFixed(2)}${before ? ` (${(total(after) / total(before)).toFixed(3)}× before)` : ''}`);
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
