import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalyticsSink } from '../../shared/analytics/analytics-recorder.js';
import type { FeedCommentEvent } from '../../shared/events/event-schemas.js';
import { IdempotencyStore } from '../../shared/idempotency/idempotency-store.js';
import { createPublisher } from '../../shared/pubsub/publisher.js';
import { LiveStore, ON_AIR_TOLERANCE_MS, wasOnAirAt, type LiveInput } from '../../shared/tiendas/live-store.js';
import { TiendaStore } from '../../shared/tiendas/tienda-store.js';
import { TOPIC_NAMES } from '../../shared/topology/topology.js';
import { handleIncomingComment } from '../../services/worker/handlers/incoming-comment-handler.js';
import { CommentStore } from '../../services/worker/comments/comment-store.js';
import { collect, createPullSubscription, emulatorClients } from '../helpers/test-kit.js';

/**
 * "On air" is judged by the comment's own created_time against the live's recorded window, not by when the
 * comment is processed: a comment made during the live and retried an hour after it ended is still sold on.
 */
const run = promisify(execFile);
const TIENDA = { id: 'tienda-window', name: 'Ventana', country: 'CL', currency: 'CLP', payment_provider: 'flow' as const, meta_page_id: '7777', instagram_account_id: null };
const POST = '7777_1';
const T0 = Date.parse('2026-11-29T20:00:00.000Z');
const min = 60_000;
const liveInput = (over: Partial<LiveInput> = {}): LiveInput => ({
  tienda_id: TIENDA.id,
  live_id: 'live-w',
  platform: 'facebook',
  post_id: POST,
  currency: 'CLP',
  featured_product: '1',
  products: [{ code: '1', name: 'Polera', keywords: ['polera'], price: 1000, variants: { color: ['roja'] }, stock: 3 }],
  ...over,
});

describe('the on-air window of a live', () => {
  const { pubsub, firestore, projectId } = emulatorClients();
  let clock = T0;
  const lives = new LiveStore(firestore, { now: () => clock });
  const publisher = createPublisher(pubsub);
  const rows: Array<Record<string, unknown>> = [];
  const analytics: AnalyticsSink = { record: async (_t, _id, row) => void rows.push(row) };
  let ai: ReturnType<typeof collect>;
  const deps = () => ({ tiendas: new TiendaStore(firestore, { cacheTtlMs: 0 }), lives, idempotency: new IdempotencyStore(firestore), publisher, analytics, comments: new CommentStore(firestore), now: () => clock });
  const comment = (id: string, createdAt: number): FeedCommentEvent => ({
    event: 'feed_comment',
    timestamp: new Date(createdAt).toISOString(),
    data: { platform: 'facebook', source_field: 'feed', account_id: TIENDA.meta_page_id, post_id: POST, comment_id: id, parent_id: null, author_id: `u-${id}`, author_name: 'Fran', text: 'quiero la roja', created_time: new Date(createdAt).toISOString() },
  });

  beforeAll(async () => {
    await new TiendaStore(firestore).upsert(TIENDA);
    await createPullSubscription(pubsub, TOPIC_NAMES.aiProcessing, 'observe-ai');
    ai = collect(pubsub, 'observe-ai');
  });
  afterAll(async () => {
    await ai.close();
    await publisher.close();
    await Promise.allSettled([pubsub.close(), firestore.terminate()]);
  });

  it('is recorded when the status changes: start on going live, end on going off air, reopened on resuming', async () => {
    await lives.upsert(liveInput());
    expect(await lives.get(TIENDA.id, 'live-w')).toMatchObject({ status: 'scheduled', started_at: null, ended_at: null });
    clock = T0 + 10 * min;
    await lives.setStatus(TIENDA.id, 'live-w', 'live');
    clock = T0 + 70 * min;
    await lives.setStatus(TIENDA.id, 'live-w', 'ended');
    expect(await lives.get(TIENDA.id, 'live-w')).toMatchObject({ status: 'ended', started_at: '2026-11-29T20:10:00.000Z', ended_at: '2026-11-29T21:10:00.000Z' });
    // Re-adding the same live.json (no window in it) keeps the recorded window.
    await lives.upsert(liveInput({ status: 'ended' }));
    expect(await lives.get(TIENDA.id, 'live-w')).toMatchObject({ started_at: '2026-11-29T20:10:00.000Z', ended_at: '2026-11-29T21:10:00.000Z' });
  });

  it('a comment made on air is sold on even when processed an hour after the live ended', async () => {
    clock = T0 + 130 * min; // processed 1 h after the end (the last step of the retry schedule)
    expect(await handleIncomingComment(comment('w-during', T0 + 60 * min), deps())).toBe('forwarded');
    const [m] = await ai.waitFor(1);
    expect(m!.json<{ comment_id: string }>().comment_id).toBe('w-during');
  });

  it('a comment made before the start or after the end is not, whatever the status when processed', async () => {
    expect(await handleIncomingComment(comment('w-after', T0 + 75 * min), deps())).toBe('skipped_live_not_on_air');
    expect(await handleIncomingComment(comment('w-before', T0 + 5 * min), deps())).toBe('skipped_live_not_on_air');
    // On air again: a comment from the gap between the end and now is inside the reopened window (documented).
    clock = T0 + 140 * min;
    await lives.setStatus(TIENDA.id, 'live-w', 'live');
    expect(await lives.get(TIENDA.id, 'live-w')).toMatchObject({ status: 'live', started_at: '2026-11-29T20:10:00.000Z', ended_at: null });
    expect(await handleIncomingComment(comment('w-before-2', T0 + 5 * min), deps())).toBe('skipped_live_not_on_air');
    expect(await handleIncomingComment(comment('w-resumed', T0 + 141 * min), deps())).toBe('forwarded');
    expect(rows.map((r) => [r.comment_id, r.disposition])).toEqual([
      ['w-during', 'forwarded'],
      ['w-after', 'skipped_live_not_on_air'],
      ['w-before', 'skipped_live_not_on_air'],
      ['w-before-2', 'skipped_live_not_on_air'],
      ['w-resumed', 'forwarded'],
    ]);
  });

  it('allows Meta’s one-second stamps and clock skew at the edges, no more', () => {
    const live = { status: 'ended' as const, started_at: '2026-11-29T20:10:00.000Z', ended_at: '2026-11-29T21:10:00.000Z' };
    const start = Date.parse(live.started_at);
    const end = Date.parse(live.ended_at);
    expect(wasOnAirAt(live, start - 1000)).toBe(true);
    expect(wasOnAirAt(live, end + 1000)).toBe(true);
    expect(wasOnAirAt(live, start - ON_AIR_TOLERANCE_MS - 1)).toBe(false);
    expect(wasOnAirAt(live, end + ON_AIR_TOLERANCE_MS + 1)).toBe(false);
  });

  it('keeps live documents written before windows existed valid, judged by their status as before', async () => {
    const products = liveInput().products.map((p) => ({ ...p, variants: p.variants ?? {} }));
    for (const [id, status] of [['old-on', 'live'], ['old-off', 'ended']] as const) {
      // Exactly what the previous LiveStore wrote: no started_at / ended_at.
      await firestore.collection('tiendas').doc(TIENDA.id).collection('lives').doc(id).set({ tienda_id: TIENDA.id, live_id: id, platform: 'facebook', post_id: `7777_${id}`, status, title: null, currency: 'CLP', featured_product: null, products, updated_at: new Date() });
      await firestore.collection('live_posts').doc(`facebook_7777_${id}`).set({ tienda_id: TIENDA.id, live_id: id });
    }
    expect(await lives.get(TIENDA.id, 'old-on')).toMatchObject({ status: 'live', started_at: null, ended_at: null });
    expect((await lives.list(TIENDA.id)).length).toBeGreaterThanOrEqual(3);
    const at = (id: string) => ({ ...comment(`c-${id}`, T0), data: { ...comment(`c-${id}`, T0).data, post_id: `7777_${id}` } });
    expect(await handleIncomingComment(at('old-on'), deps())).toBe('forwarded');
    expect(await handleIncomingComment(at('old-off'), deps())).toBe('skipped_live_not_on_air');
  });

  it('npm run live -- status records the window', async () => {
    const cli = (args: string[]) =>
      run(path.join('node_modules', '.bin', 'tsx'), ['scripts/live.ts', ...args], { env: { ...process.env, GOOGLE_CLOUD_PROJECT: projectId }, timeout: 60_000 });
    await lives.upsert(liveInput({ live_id: 'live-cli', post_id: '7777_3' }));
    const on = await cli(['status', TIENDA.id, 'live-cli', 'live']);
    expect(on.stdout).toMatch(/is now live \(on air from \S+Z to now\)/);
    const started = (await lives.get(TIENDA.id, 'live-cli'))!.started_at;
    expect(started).not.toBeNull();
    await cli(['status', TIENDA.id, 'live-cli', 'ended']);
    const live = (await lives.get(TIENDA.id, 'live-cli'))!;
    expect(live.started_at).toBe(started);
    expect(Date.parse(live.ended_at!)).toBeGreaterThanOrEqual(Date.parse(started!));
  });
});
