import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aiProcessingV1Schema } from '../../shared/events/event-schemas.js';
import { ATTR, TOPIC_NAMES } from '../../shared/topology/topology.js';
import { LIVE_POST, OFF_AIR_POST, WORKER_TIENDA, DEMO_CATALOG, startWorkerHarness, type WorkerHarness } from '../helpers/worker-harness.js';
import { sleep, waitUntil } from '../helpers/test-kit.js';

function feedComment(commentId: string, text: string, over: Record<string, unknown> = {}) {
  return {
    event: 'feed_comment',
    timestamp: '2026-11-29T22:00:00.000Z',
    data: {
      platform: 'facebook',
      source_field: 'feed',
      account_id: WORKER_TIENDA.meta_page_id,
      post_id: LIVE_POST,
      comment_id: commentId,
      parent_id: LIVE_POST,
      author_id: `u-${commentId}`,
      author_name: 'Fran',
      text,
      created_time: '2026-11-29T22:00:00.000Z',
      ...over,
    },
  };
}

describe('worker: incoming_comments → ai_processing → intent, on the emulators', () => {
  let h: WorkerHarness;
  beforeAll(async () => {
    h = await startWorkerHarness();
  });
  afterAll(() => h.close());

  const publishComment = (body: ReturnType<typeof feedComment>) =>
    h.publisher.publishJson(TOPIC_NAMES.incomingComments, body, { event: 'feed_comment', idempotencyKey: `comment:${body.data.comment_id}`, schemaVersion: '1.0' });
  const commentRow = (id: string) => h.bq.rows('comments').find((r) => r.comment_id === id);

  it('a comment on a live on air becomes exactly one ai_processing v1.0 message, then an intent', async () => {
    await publishComment(feedComment('w-on-1', 'quiero la roja talla M'));
    await h.aiMessages.waitFor(1);
    await sleep(1500);
    const mine = h.aiMessages.messages.filter((m) => m.json<{ comment_id: string }>().comment_id === 'w-on-1');
    expect(mine).toHaveLength(1);
    const body = mine[0]!.json();
    expect(body).toEqual({ comment_id: 'w-on-1', text: 'quiero la roja talla M', context: { tienda_id: WORKER_TIENDA.id, live_id: DEMO_CATALOG.live_id }, schema_version: '1.0' });
    expect(aiProcessingV1Schema.safeParse(body).success).toBe(true);
    expect(mine[0]!.attributes).toMatchObject({ [ATTR.event]: 'ai_processing', [ATTR.tiendaId]: WORKER_TIENDA.id, [ATTR.schemaVersion]: '1.0' });
    expect(commentRow('w-on-1')).toMatchObject({ disposition: 'forwarded', tienda_id: WORKER_TIENDA.id, live_id: DEMO_CATALOG.live_id });

    await waitUntil(() => h.bq.rows('intents').some((r) => r.comment_id === 'w-on-1'), 15_000, 'the intent row');
    const intent = h.bq.rows('intents').find((r) => r.comment_id === 'w-on-1')!;
    expect(intent).toMatchObject({ intent: 'purchase', source: 'local', items: [{ product: '101', color: 'roja', size: 'M', quantity: 1 }] });
    const stored = await h.firestore.collection('comment_intents').doc('w-on-1').get();
    expect(stored.get('decision.result.intent')).toBe('purchase');
  });

  it('a redelivered comment does not publish a second ai_processing message', async () => {
    await publishComment(feedComment('w-dup-1', 'mía la negra L'));
    await publishComment(feedComment('w-dup-1', 'mía la negra L'));
    await sleep(2500);
    expect(h.aiMessages.messages.filter((m) => m.json<{ comment_id: string }>().comment_id === 'w-dup-1')).toHaveLength(1);
  });

  it.each([
    ['an unknown page', 'w-unknown-1', { account_id: '9999999999', post_id: '9999999999_1' }, 'skipped_unknown_account'],
    ['a live off air', 'w-off-1', { post_id: OFF_AIR_POST }, 'skipped_live_not_on_air'],
    ['a post that is not a live', 'w-nolive-1', { post_id: `${WORKER_TIENDA.meta_page_id}_777` }, 'skipped_no_live'],
    ["the page's own reply", 'w-own-1', { author_id: WORKER_TIENDA.meta_page_id }, 'skipped_own_comment'],
    ['an empty comment', 'w-empty-1', { text: '   ' }, 'skipped_empty'],
  ])('%s becomes no ai_processing message and is recorded', async (_name, id, over, disposition) => {
    await publishComment(feedComment(id, 'quiero la roja', over));
    await waitUntil(() => commentRow(id) !== undefined, 15_000, `the comments row of ${id}`);
    await sleep(1000);
    expect(commentRow(id)).toMatchObject({ disposition });
    expect(h.aiMessages.messages.filter((m) => m.json<{ comment_id: string }>().comment_id === id)).toHaveLength(0);
  });

  it('an ai_processing message with an unknown schema_version is dead-lettered, not processed', async () => {
    await h.publisher.publishJson(TOPIC_NAMES.aiProcessing, { comment_id: 'w-v2', text: 'quiero', context: { tienda_id: WORKER_TIENDA.id, live_id: DEMO_CATALOG.live_id }, schema_version: '2.0' }, { event: 'ai_processing', idempotencyKey: 'ai_processing:w-v2', schemaVersion: '2.0' });
    await waitUntil(() => h.bq.rows('dead_letters').some((r) => String(r.reason).startsWith('schema_invalid')), 15_000, 'the dead letter row');
    expect(h.bq.rows('intents').some((r) => r.comment_id === 'w-v2')).toBe(false);
  });
});
