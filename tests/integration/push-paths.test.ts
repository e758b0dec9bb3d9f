import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher } from '../../shared/pubsub/publisher.js';
import { CONSUMERS, type ConsumerDefinition } from '../../shared/topology/topology.js';
import { consumerApps } from '../helpers/consumer-apps.js';
import { emulatorClients, listen } from '../helpers/test-kit.js';

/**
 * Every push subscription of the topology (and so of Terraform, which tests/unit/terraform.test.ts holds equal
 * to it) pushes to a route its service really serves. A push to a missing route is answered 404 on every
 * delivery: Pub/Sub then dead-letters it natively, without a reason, and the hold subscription drops it after
 * 7 days. Each service's real app is built with createApp and asked: a POST of an empty body to the path must
 * reach a handler: 400 (not a push envelope), never 404 / 405.
 */
describe('every push path of the topology is a route of the service it targets', () => {
  const { pubsub, firestore } = emulatorClients();
  const publisher = createPublisher(pubsub);
  const apps = consumerApps({ firestore, publisher, pushAuth: () => ({ enabled: false, allowedServiceAccounts: [] }) });
  const servers: Partial<Record<ConsumerDefinition['service'], Awaited<ReturnType<typeof listen>>>> = {};

  beforeAll(async () => {
    for (const service of Object.keys(apps) as Array<ConsumerDefinition['service']>) servers[service] = await listen(apps[service]);
  });
  afterAll(async () => {
    await Promise.all(Object.values(servers).map((s) => s?.close()));
    await publisher.close();
    await Promise.allSettled([pubsub.close(), firestore.terminate()]);
  });

  it('knows an app for every service a consumer targets', () => {
    for (const c of CONSUMERS) expect(Object.keys(apps), c.subscription).toContain(c.service);
  });

  it.each(CONSUMERS.map((c) => [c.subscription, c] as const))('%s (and its retry subscription) pushes to a served route', async (_name, c) => {
    const res = await fetch(`${servers[c.service]!.url}${c.path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' });
    expect(res.status, `${c.service} ${c.path}`).not.toBe(404);
    expect(res.status, `${c.service} ${c.path}`).not.toBe(405);
    // The route is the push handler itself: it refuses what is not a push envelope.
    expect(res.status, `${c.service} ${c.path}`).toBe(400);
  });

  it('an unknown path is 404 on these apps (the check above can fail)', async () => {
    const res = await fetch(`${servers.worker!.url}/pubsub/no-such-consumer`, { method: 'POST', body: '' });
    expect(res.status).toBe(404);
  });
});
