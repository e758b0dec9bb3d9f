import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalyticsSink } from '../../shared/analytics/analytics-recorder.js';
import type { FeedCommentEvent } from '../../shared/events/event-schemas.js';
import { IdempotencyStore } from '../../shared/idempotency/idempotency-store.js';
import { createPublisher } from '../../shared/pubsub/publisher.js';
import { LookupCache } from '../../shared/tiendas/lookup-cache.js';
import { LiveStore, MAX_LIVE_CACHE_TTL_MS, type LiveInput } from '../../shared/tiendas/live-store.js';
import { TiendaStore } from '../../shared/tiendas/tienda-store.js';
import { handleIncomingComment } from '../../services/worker/handlers/incoming-comment-handler.js';
import { CommentStore } from '../../services/worker/comments/comment-store.js';
import { workerConfig } from '../../services/worker/config.js';
import { TOPIC_NAMES } from '../../shared/topology/topology.js';
import { createPullSubscription, emulatorClients } from '../helpers/test-kit.js';

/**
 * The worker serves tiendas, lives and their indexes from short-TTL caches (TIENDA_CACHE_TTL, LIVE_CACHE_TTL): they
 * are read for every comment and change rarely. What a cache must never do: skip a comment because its copy of the
 * live predates the live going on air, hide a live or an account registered after a miss, or keep a failed read.
 */
describe('lookup caches', () => {
  it('shares one load among concurrent misses, keeps misses only when asked, never keeps a failure, and is off at TTL 0', async () => {
    let loads = 0;
    const slow = async (v: string | null) => {
      loads++;
      await new Promise((r) => setTimeout(r, 20));
      return v;
    };
    const cache = new LookupCache<string>({ ttlMs: 60_000, max: 10 });
    expect(await Promise.all(Array.from({ length: 50 }, () => cache.get('k', () => slow('v'))))).toEqual(Array(50).fill('v'));
    expect(loads).toBe(1);

    loads = 0;
    await cache.get('missing', () => slow(null));
    await cache.get('missing', () => slow(null));
    expect(loads).toBe(2); // a miss is read again (it may be registered by now)
    const negative = new LookupCache<string>({ ttlMs: 60_000, max: 10, cacheMisses: true });
    loads = 0;
    await negative.get('missing', () => slow(null));
    await negative.get('missing', () => slow(null));
    expect(loads).toBe(1);

    await expect(cache.get('flaky', async () => Promise.reject(new Error('firestore down')))).rejects.toThrow('firestore down');
    expect(await cache.get('flaky', async () => 'back')).toBe('back');

    const off = new LookupCache<string>({ ttlMs: 0, max: 10 });
    loads = 0;
    await off.get('k', () => slow('v'));
    await off.get('k', () => slow('v'));
    expect(loads).toBe(2);
    expect(off.size).toBe(0);
  });

  it('LIVE_CACHE_TTL is refused above the on-air tolerance', () => {
    const base = { GOOGLE_CLOUD_PROJECT: 'p', SECRETS_SOURCE: 'env' };
    expect(workerConfig.load({ ...base }).liveCacheTtl).toBe(5000);
    expect(workerConfig.load({ ...base, LIVE_CACHE_TTL: '0' }).liveCacheTtl).toBe(0);
    expect(() => workerConfig.load({ ...base, LIVE_CACHE_TTL: `${MAX_LIVE_CACHE_TTL_MS / 1000 + 1}s` })).toThrow(/LIVE_CACHE_TTL.*at most 10s/s);
  });

  describe('in the worker', () => {
    const { pubsub, firestore } = emulatorClients();
    const TIENDA = { id: 'tienda-cache', name: 'Caché', country: 'CL', currency: 'CLP', payment_provider: 'flow' as const, meta_page_id: '8888', instagram_account_id: null };
    const live = (over: Partial<LiveInput> = {}): LiveInput => ({
      tienda_id: TIENDA.id,
      live_id: 'live-c',
      platform: 'facebook',
      post_id: '8888_1',
      currency: 'CLP',
      featured_product: '1',
      products: [{ code: '1', name: 'Polera', keywords: ['polera'], price: 1000, variants: { color: ['roja'] }, stock: 3 }],
      ...over,
    });
    const publisher = createPublisher(pubsub);
    const analytics: AnalyticsSink = { record: async () => undefined };
    // The worker's stores, with caches far longer than any step of this test; the CLI's stores (no cache) write.
    const workerLives = new LiveStore(firestore, { cacheTtlMs: MAX_LIVE_CACHE_TTL_MS });
    const workerTiendas = new TiendaStore(firestore, { cacheTtlMs: 60_000 });
    const cli = { lives: new LiveStore(firestore), tiendas: new TiendaStore(firestore, { cacheTtlMs: 0 }) };
    const deps = { tiendas: workerTiendas, lives: workerLives, idempotency: new IdempotencyStore(firestore), publisher, analytics, comments: new CommentStore(firestore) };
    const comment = (id: string, account = TIENDA.meta_page_id, post = '8888_1'): FeedCommentEvent => {
      const at = new Date().toISOString();
      return {
        event: 'feed_comment',
        timestamp: at,
        data: { platform: 'facebook', source_field: 'feed', account_id: account, post_id: post, comment_id: `${post}_${id}`, parent_id: null, author_id: `u-${id}`, author_name: 'Fran', text: 'quiero la roja', created_time: at },
      };
    };

    beforeAll(async () => {
      await createPullSubscription(pubsub, TOPIC_NAMES.aiProcessing, 'observe-ai-cache'); // the topic the worker publishes to
      await cli.tiendas.upsert(TIENDA);
    });
    afterAll(async () => {
      await publisher.close();
      await Promise.allSettled([pubsub.close(), firestore.terminate()]);
    });

    it('a live cached before it went on air does not skip the first comments on air', async () => {
      await cli.lives.upsert(live({ status: 'scheduled' }));
      expect(await handleIncomingComment(comment('early'), deps)).toBe('skipped_live_not_on_air'); // caches the scheduled live
      expect((await workerLives.get(TIENDA.id, 'live-c'))?.status).toBe('scheduled');
      await cli.lives.setStatus(TIENDA.id, 'live-c', 'live'); // another process: the worker's cache still says scheduled
      expect((await workerLives.get(TIENDA.id, 'live-c'))?.status).toBe('scheduled');
      expect(await handleIncomingComment(comment('first'), deps)).toBe('forwarded');
      // The fresh read replaced the cached copy.
      expect((await workerLives.get(TIENDA.id, 'live-c'))?.status).toBe('live');
    });

    it('a live or an account registered after a miss is found at once', async () => {
      expect(await handleIncomingComment(comment('x', TIENDA.meta_page_id, '8888_2'), deps)).toBe('skipped_no_live');
      await cli.lives.upsert(live({ live_id: 'live-c2', post_id: '8888_2', status: 'live' }));
      expect(await handleIncomingComment(comment('y', TIENDA.meta_page_id, '8888_2'), deps)).toBe('forwarded');

      expect(await handleIncomingComment(comment('z', '8889', '8889_1'), deps)).toBe('skipped_unknown_account');
      await cli.tiendas.upsert({ ...TIENDA, id: 'tienda-cache-2', meta_page_id: '8889' });
      await cli.lives.upsert(live({ tienda_id: 'tienda-cache-2', live_id: 'live-c3', post_id: '8889_1', status: 'live' }));
      expect(await handleIncomingComment(comment('w', '8889', '8889_1'), deps)).toBe('forwarded');
    });

    it('this process sees its own changes at once', async () => {
      const store = new LiveStore(firestore, { cacheTtlMs: MAX_LIVE_CACHE_TTL_MS });
      expect((await store.get(TIENDA.id, 'live-c'))?.featured_product).toBe('1');
      await cli.lives.upsert(live({ status: 'live', products: [...live().products, { code: '2', name: 'Gorro', keywords: ['gorro'], price: 500, variants: {}, stock: 1 }] }));
      await store.setFeatured(TIENDA.id, 'live-c', '2');
      expect((await store.get(TIENDA.id, 'live-c'))?.featured_product).toBe('2');
    });
  });
});
