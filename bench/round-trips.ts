/**
 * `npm run bench:round-trips` — how many Firestore and Pub/Sub round trips one comment costs on the whole path
 * (signed webhook → ingress → worker → notifier → private reply), per service and per RPC method. Each service
 * reaches the emulators through its own counting gRPC proxy (bench/grpc-counting-proxy.ts); after a warm-up,
 * RT_COMMENTS (default 20) purchase comments are sent one per webhook, spaced so they do not share batches, and
 * the calls made until every one is answered are divided by their number. Never asserted.
 *
 * A Pub/Sub push delivery is not a client call (the emulator POSTs to the service) and is not counted; Pub/Sub
 * rows are publishes made by the services.
 */
import { createLogger, setLogger } from '../shared/logging/logger.js';
import { sleep } from '../tests/helpers/test-kit.js';
import { deliverLikeMeta, withProgress, purchaseComments, startPipeline, waitForOutcomes, type ServiceName } from '../tests/faults/pipeline-harness.js';
import { startCountingProxy, type CountingProxy } from './grpc-counting-proxy.js';

const N = Number(process.env.RT_COMMENTS ?? 20);

async function main() {
  setLogger(createLogger({ level: 'CRITICAL' }));
  const proxies: Array<{ service: ServiceName; kind: 'firestore' | 'pubsub'; proxy: CountingProxy }> = [];
  const p = await startPipeline({
    extraEnv: { ingress: { LOG_LEVEL: 'ERROR' }, worker: { LOG_LEVEL: 'WARNING' }, notifier: { LOG_LEVEL: 'ERROR' } },
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

    console.log(`round trips per comment (${N} purchase comments, one webhook each; whole path to the private reply)`);
    console.log('service   emulator   method                                                    per comment');
    const totals: Record<string, number> = {};
    for (const { service, kind, proxy } of proxies) {
      for (const [method, n] of [...proxy.counts].sort()) {
        console.log(`${service.padEnd(9)} ${kind.padEnd(10)} ${method.padEnd(57)} ${(n / N).toFixed(2).padStart(6)}`);
        totals[`${service} ${kind}`] = (totals[`${service} ${kind}`] ?? 0) + n;
      }
    }
    console.log('totals:', Object.entries(totals).map(([k, n]) => `${k} ${(n / N).toFixed(2)}`).join(', '));
    const all = Object.values(totals).reduce((a, b) => a + b, 0);
    console.log(`all round trips per comment: ${(all / N).toFixed(2)}`);
  } catch (e) {
    console.error(p.logs().split('\n').filter((l) => /WARNING|ERROR/.test(l)).slice(0, 10).join('\n'));
    throw e;
  } finally {
    await p.close();
    for (const x of proxies) await x.proxy.close();
  }
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
