import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../services/ingress/app.js';
import { signMetaBody } from '../../services/ingress/providers/meta-signature.js';
import { IdempotencyStore } from '../../shared/idempotency/idempotency-store.js';
import { startIngressHarness, TEST_SECRETS, TEST_TIENDA, type IngressHarness } from '../helpers/ingress-harness.js';
import { fbFeedComment, pageWebhook } from '../helpers/meta-payloads.js';
import { listen, sleep, unreachableFirestore, unreachablePublisher } from '../helpers/test-kit.js';

const PAGE = TEST_TIENDA.meta_page_id;

describe('ingress when Firestore or Pub/Sub are down', () => {
  let h: IngressHarness;
  beforeAll(async () => {
    h = await startIngressHarness();
  });
  afterAll(() => h.close());

  const post = (url: string, body: unknown) => {
    const raw = JSON.stringify(body);
    return fetch(`${url}/webhooks/meta`, { method: 'POST', headers: { 'x-hub-signature-256': signMetaBody(raw, TEST_SECRETS.metaAppSecret) }, body: raw });
  };

  it('Pub/Sub unavailable → 503, the claim is released, and the sender\'s retry publishes once', async () => {
    const { pubsub, publisher } = unreachablePublisher();
    const broken = await listen(createApp({ ...h.deps, publisher }));
    const body = pageWebhook(PAGE, [fbFeedComment(PAGE, 'outage-ps-1', 'quiero la roja')]);
    const res = await post(broken.url, body);
    expect(res.status).toBe(503);
    expect(await h.idempotency.state('comment:outage-ps-1')).toBeNull();
    // Pub/Sub is back (the healthy app): Meta's retry goes through exactly once.
    expect((await post(h.url, body)).status).toBe(200);
    await sleep(800);
    expect(h.comments.messages.filter((m) => m.json<{ data: { comment_id: string } }>().data.comment_id === 'outage-ps-1')).toHaveLength(1);
    await broken.close();
    await pubsub.close();
  });

  it('Firestore unavailable → 503, nothing published', async () => {
    const fs = unreachableFirestore();
    const broken = await listen(createApp({ ...h.deps, idempotency: new IdempotencyStore(fs, { opTimeoutMs: 1500 }) }));
    const res = await post(broken.url, pageWebhook(PAGE, [fbFeedComment(PAGE, 'outage-fs-1', 'quiero')]));
    expect(res.status).toBe(503);
    await sleep(800);
    expect(h.comments.messages.filter((m) => m.json<{ data: { comment_id: string } }>().data.comment_id === 'outage-fs-1')).toHaveLength(0);
    await broken.close();
    // terminate() waits for the client's own retries of the pending write (up to its 60 s deadline).
    void fs.terminate().catch(() => undefined);
  });

  it('a batch where one publish fails: 503; the retry publishes only what is missing', async () => {
    let calls = 0;
    const flaky = {
      ...h.deps.publisher,
      publishJson: async (...args: Parameters<typeof h.deps.publisher.publishJson>) => {
        calls++;
        if ((args[1] as { data: { comment_id: string } }).data.comment_id === 'partial-2' && calls <= 3) throw new Error('UNAVAILABLE');
        return h.deps.publisher.publishJson(...args);
      },
    };
    const app = await listen(createApp({ ...h.deps, publisher: flaky }));
    const body = pageWebhook(PAGE, [fbFeedComment(PAGE, 'partial-1', 'a'), fbFeedComment(PAGE, 'partial-2', 'b'), fbFeedComment(PAGE, 'partial-3', 'c')]);
    expect((await post(app.url, body)).status).toBe(503);
    const retry = await post(app.url, body);
    expect(retry.status).toBe(200);
    expect(await retry.json()).toMatchObject({ published: 1, duplicates: 2 });
    await sleep(800);
    for (const id of ['partial-1', 'partial-2', 'partial-3']) {
      expect(h.comments.messages.filter((m) => m.json<{ data: { comment_id: string } }>().data.comment_id === id)).toHaveLength(1);
    }
    await app.close();
  });
});
