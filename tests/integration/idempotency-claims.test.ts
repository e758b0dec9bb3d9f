import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp as createIngressApp } from '../../services/ingress/app.js';
import { signMetaBody } from '../../services/ingress/providers/meta-signature.js';
import { createApp as createWorkerApp } from '../../services/worker/app.js';
import { IdempotencyStore } from '../../shared/idempotency/idempotency-store.js';
import { ClaimInProgressError, publishOnce } from '../../shared/idempotency/publish-once.js';
import type { PushOutcome } from '../../shared/pubsub/push-handler.js';
import { TOPIC_NAMES } from '../../shared/topology/topology.js';
import { startIngressHarness, TEST_SECRETS, TEST_TIENDA, type IngressHarness } from '../helpers/ingress-harness.js';
import { fbFeedComment, pageWebhook } from '../helpers/meta-payloads.js';
import { firestoreThrough, startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { listen, sleep, waitUntil } from '../helpers/test-kit.js';
import { LIVE_POST, WORKER_TIENDA, startWorkerHarness, type WorkerHarness } from '../helpers/worker-harness.js';

const PAGE = TEST_TIENDA.meta_page_id;
const LEASE_MS = 60_000;

/**
 * A claim someone else holds is "retry later", never success (ADR 0002). Each case leaves a key `processing`
 * with nobody to finish it — the way it happens in production — then shows that deliveries within the lease
 * are not answered 200 / not acked, and that the first delivery after the lease publishes exactly once.
 * Time is moved with an injected clock (`skew`), never waited for.
 */
describe('ingress: a claim held by another request is answered 503, then taken over after its lease', () => {
  let h: IngressHarness;
  let skew = 0;
  const proxies: TcpProxy[] = [];
  /** A Firestore path of the holder's own, so its faults (and its client's retries) never reach the others. */
  const holderProxy = async () => {
    const p = await startTcpProxy(process.env.FIRESTORE_EMULATOR_HOST!);
    proxies.push(p);
    return p;
  };
  let app: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    h = await startIngressHarness();
    // The Meta retry's ingress: same Firestore, a clock we can move past the lease.
    const store = new IdempotencyStore(h.firestore, { leaseMs: LEASE_MS, now: () => Date.now() + skew });
    app = await listen(createIngressApp({ ...h.deps, idempotency: store }));
  });
  afterAll(async () => {
    await app.close();
    await Promise.all(proxies.map((p) => p.close()));
    await h.close();
  });

  const post = (url: string, body: unknown) => {
    const raw = JSON.stringify(body);
    return fetch(`${url}/webhooks/meta`, { method: 'POST', headers: { 'x-hub-signature-256': signMetaBody(raw, TEST_SECRETS.metaAppSecret) }, body: raw });
  };
  const published = (id: string) => h.comments.messages.filter((m) => m.json<{ data: { comment_id: string } }>().data.comment_id === id);

  /** Within the lease: 503 and nothing published. After it: 200, published once; then a plain duplicate. */
  async function expectRetryLaterThenOnce(id: string) {
    const body = pageWebhook(PAGE, [fbFeedComment(PAGE, id, 'quiero la roja talla M')]);
    skew = 0;
    const within = await post(app.url, body);
    expect(within.status).toBe(503);
    expect(await within.json()).toMatchObject({ code: 'in_progress' });
    await sleep(500);
    expect(published(id)).toHaveLength(0);

    skew = LEASE_MS + 1000;
    const after = await post(app.url, body);
    expect(after.status).toBe(200);
    expect(await after.json()).toMatchObject({ published: 1, duplicates: 0 });
    const again = await post(app.url, body);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ published: 0, duplicates: 1 });
    await h.comments.waitFor(1);
    await sleep(800);
    expect(published(id)).toHaveLength(1);
    skew = 0;
  }

  it('crash after claim: the holder claimed and died before publishing', async () => {
    const holder = new IdempotencyStore(h.firestore, { leaseMs: LEASE_MS });
    expect((await holder.claim('comment:crash-1', 'feed_comment')).status).toBe('claimed');
    await expectRetryLaterThenOnce('crash-1');
  });

  it("late-committed claim: the holder's create() landed after its client-side timeout (no claim object to release)", async () => {
    const proxy = await holderProxy();
    const fs = firestoreThrough(proxy, h.projectId);
    await fs.collection('warm-up').doc('x').get(); // open the channel before slowing it
    const holder = new IdempotencyStore(fs, { leaseMs: LEASE_MS, opTimeoutMs: 300 });
    const holderApp = await listen(createIngressApp({ ...h.deps, idempotency: holder }));
    proxy.delay(1500);
    const body = pageWebhook(PAGE, [fbFeedComment(PAGE, 'late-1', 'quiero la roja talla M')]);
    expect((await post(holderApp.url, body)).status).toBe(503); // its claim timed out
    await waitUntil(async () => (await h.idempotency.state('comment:late-1')) === 'processing', 10_000, 'the late create to commit');
    await holderApp.close();
    void fs.terminate().catch(() => undefined);
    await expectRetryLaterThenOnce('late-1');
  });

  it('failed publish + failed release: the holder could neither publish nor give the key back', async () => {
    const proxy = await holderProxy();
    const fs = firestoreThrough(proxy, h.projectId);
    const holder = new IdempotencyStore(fs, { leaseMs: LEASE_MS, opTimeoutMs: 500 });
    const failingPublisher = {
      ...h.deps.publisher,
      publishJson: async () => {
        proxy.down(); // the network goes: the release that follows cannot reach Firestore
        throw new Error('14 UNAVAILABLE: publish failed');
      },
    };
    const holderApp = await listen(createIngressApp({ ...h.deps, idempotency: holder, publisher: failingPublisher }));
    const body = pageWebhook(PAGE, [fbFeedComment(PAGE, 'norelease-1', 'quiero la roja talla M')]);
    expect((await post(holderApp.url, body)).status).toBe(503);
    expect(await h.idempotency.state('comment:norelease-1')).toBe('processing');
    await holderApp.close();
    void fs.terminate().catch(() => undefined); // its client keeps retrying into the cut network (it stays cut)
    await expectRetryLaterThenOnce('norelease-1');
  });

  it('a lease too short for the publish deadline: the holder does not start a publish a take-over could overlap', async () => {
    const shortLease = new IdempotencyStore(h.firestore, { leaseMs: 1000 });
    const message = { topic: TOPIC_NAMES.incomingComments, payload: { event: 'feed_comment', n: 1 }, event: 'feed_comment', key: 'comment:short-lease-1', tiendaId: null, schemaVersion: '1.0' };
    await expect(publishOnce([message], { idempotency: shortLease, publisher: h.deps.publisher })).rejects.toBeInstanceOf(ClaimInProgressError);
    expect(await h.idempotency.state('comment:short-lease-1')).toBeNull(); // handed back for the retry
    await sleep(500);
    expect(h.comments.messages.filter((m) => m.attributes.idempotency_key === 'comment:short-lease-1')).toHaveLength(0);
  });
});

describe('worker: a claim held by another delivery is retried (not acked), then taken over after its lease', () => {
  let h: WorkerHarness;
  let app: Awaited<ReturnType<typeof listen>>;
  let skew = 0;
  const outcomes: Array<{ outcome: PushOutcome; messageId: string }> = [];
  beforeAll(async () => {
    h = await startWorkerHarness();
    const store = new IdempotencyStore(h.firestore, { leaseMs: LEASE_MS, now: () => Date.now() + skew });
    app = await listen(createWorkerApp({ ...h.deps, idempotency: store, onOutcome: (outcome, m) => outcomes.push({ outcome, messageId: m.messageId }) }));
  });
  afterAll(async () => {
    await app.close();
    await h.close();
  });

  const push = (messageId: string, data: unknown) =>
    fetch(`${app.url}/pubsub/incoming-comments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        subscription: 'projects/p/subscriptions/incoming_comments-push',
        message: { messageId, data: Buffer.from(JSON.stringify(data)).toString('base64'), attributes: { event: 'feed_comment', idempotency_key: 'comment:w-crash-1', schema_version: '1.0' } },
      }),
    });

  it('crash after claim of the ai_processing key: redelivery within the lease is a scheduled retry; after it, one publish', async () => {
    const comment = {
      event: 'feed_comment',
      timestamp: '2026-11-29T22:00:00.000Z',
      data: { platform: 'facebook', source_field: 'feed', account_id: WORKER_TIENDA.meta_page_id, post_id: LIVE_POST, comment_id: 'w-crash-1', parent_id: LIVE_POST, author_id: 'u-w-crash-1', author_name: 'Fran', text: 'quiero la roja talla M', created_time: '2026-11-29T22:00:00.000Z' },
    };
    const crashed = new IdempotencyStore(h.firestore, { leaseMs: LEASE_MS });
    expect((await crashed.claim('ai_processing:w-crash-1', 'ai_processing')).status).toBe('claimed');

    expect((await push('m-1', comment)).status).toBe(204);
    expect(outcomes.find((o) => o.messageId === 'm-1')?.outcome).toBe('retry_scheduled');
    await sleep(800);
    const mine = () => h.aiMessages.messages.filter((m) => m.json<{ comment_id: string }>().comment_id === 'w-crash-1');
    expect(mine()).toHaveLength(0);

    skew = LEASE_MS + 1000;
    expect((await push('m-2', comment)).status).toBe(204);
    expect(outcomes.find((o) => o.messageId === 'm-2')?.outcome).toBe('done');
    expect((await push('m-3', comment)).status).toBe(204);
    expect(outcomes.find((o) => o.messageId === 'm-3')?.outcome).toBe('done');
    await h.aiMessages.waitFor(1);
    await sleep(1500); // the scheduled retry of m-1 reaches the harness's own endpoint meanwhile: a duplicate
    expect(mine()).toHaveLength(1);
  });
});
