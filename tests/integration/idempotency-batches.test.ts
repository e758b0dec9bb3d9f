import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../services/ingress/app.js';
import { signMetaBody } from '../../services/ingress/providers/meta-signature.js';
import { idempotencyDocId } from '../../shared/idempotency/idempotency-store.js';
import { startIngressHarness, TEST_SECRETS, TEST_TIENDA, type IngressHarness } from '../helpers/ingress-harness.js';
import { fbFeedComment, pageWebhook } from '../helpers/meta-payloads.js';
import { listen, sleep } from '../helpers/test-kit.js';

const PAGE = TEST_TIENDA.meta_page_id;

/** Big signed Meta batches: each comment published once, or the whole batch refused before any claim. */
describe('ingress: big Meta batches', () => {
  let h: IngressHarness;
  let app: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    h = await startIngressHarness();
    // The production body limit (2 MiB); the harness's own is small.
    app = await listen(createApp({ ...h.deps, config: { ...h.deps.config, maxBodyBytes: 2 * 1024 * 1024 } }));
  });
  afterAll(async () => {
    await app.close();
    await h.close();
  });

  const post = (body: unknown) => {
    const raw = JSON.stringify(body);
    return fetch(`${app.url}/webhooks/meta`, { method: 'POST', headers: { 'x-hub-signature-256': signMetaBody(raw, TEST_SECRETS.metaAppSecret) }, body: raw });
  };
  const batch = (prefix: string, n: number) => pageWebhook(PAGE, Array.from({ length: n }, (_, i) => fbFeedComment(PAGE, `${prefix}-${i}`, `quiero la roja talla M ${i}`)));
  const publishedWith = (prefix: string) => h.comments.messages.filter((m) => m.json<{ data: { comment_id: string } }>().data.comment_id.startsWith(`${prefix}-`));

  it("Meta's maximum batch (1,000 changes) is answered 200 and publishes each comment exactly once; its redelivery publishes nothing", async () => {
    const body = batch('big', 1000);
    const res = await post(body);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ published: 1000, duplicates: 0 });
    const again = await post(body);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ published: 0, duplicates: 1000 });
    await h.comments.waitFor(1000, 60_000);
    await sleep(1500);
    const got = publishedWith('big');
    expect(got).toHaveLength(1000);
    expect(new Set(got.map((m) => m.json<{ data: { comment_id: string } }>().data.comment_id)).size).toBe(1000);
  });

  it('a batch over the limit is refused (413) before anything is claimed or published', async () => {
    const body = batch('over', 1001);
    const res = await post(body);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'too_many_changes' });
    const snaps = await h.firestore.getAll(...Array.from({ length: 1001 }, (_, i) => h.firestore.collection('idempotency_keys').doc(idempotencyDocId(`comment:over-${i}`))));
    expect(snaps.filter((s) => s.exists)).toHaveLength(0);
    await sleep(800);
    expect(publishedWith('over')).toHaveLength(0);
  });

  it('the limit is configurable (META_MAX_BATCH_CHANGES)', async () => {
    const small = await listen(createApp({ ...h.deps, config: { ...h.deps.config, metaMaxBatchChanges: 2 } }));
    const raw = JSON.stringify(batch('cap', 3));
    const res = await fetch(`${small.url}/webhooks/meta`, { method: 'POST', headers: { 'x-hub-signature-256': signMetaBody(raw, TEST_SECRETS.metaAppSecret) }, body: raw });
    expect(res.status).toBe(413);
    expect(await h.idempotency.state('comment:cap-0')).toBeNull();
    await small.close();
  });

  it('a batch naming one comment twice publishes it once and answers 200 (it does not wait on its own claim)', async () => {
    const c = fbFeedComment(PAGE, 'twice-0', 'quiero la negra');
    const res = await post(pageWebhook(PAGE, [c, c]));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ published: 1, duplicates: 1 });
    await sleep(800);
    expect(publishedWith('twice')).toHaveLength(1);
  });
});
