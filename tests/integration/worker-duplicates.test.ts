import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLlmProvidersFromOptions, createLlmIntentChain } from '../../services/worker/intent/llm/llm-intent-chain.js';
import { TOPIC_NAMES } from '../../shared/topology/topology.js';
import { startGeminiFake, type GeminiFake } from '../fakes/gemini-fake.js';
import { sleep, waitUntil } from '../helpers/test-kit.js';
import { DEMO_CATALOG, LIVE_POST, WORKER_TIENDA, startWorkerHarness, type WorkerHarness } from '../helpers/worker-harness.js';

/** Green is not in the demo catalog: the local classifier is unsure and the comment goes to Gemini. */
const UNSURE = 'quiero la verde';
const GEMINI_ANSWER = { intent: 'purchase', items: [{ product: '101', color: null, size: null, quantity: 1 }], confidence: 0.8 };

/**
 * Duplicates reach the worker: Pub/Sub delivers at least once, and the ingress re-publishes a comment when a
 * publish timed out on the client after Pub/Sub had accepted it. Each comment is forwarded once, classified
 * once (the LLM paid once) and has one stored decision.
 */
describe('worker: duplicate deliveries are absorbed; the LLM is paid once per comment', () => {
  let h: WorkerHarness;
  let gemini: GeminiFake;
  beforeAll(async () => {
    gemini = await startGeminiFake({ apiKey: 'test-gemini-key' });
    // Slow enough that concurrent deliveries overlap the first classification.
    gemini.setResponder(() => ({ kind: 'delay', ms: 700, then: { kind: 'json', value: GEMINI_ANSWER } }));
    const providers = buildLlmProvidersFromOptions({
      gemini: { apiKey: 'test-gemini-key', baseUrl: gemini.url, timeoutMs: 5000 },
      breaker: { failureThreshold: 5, coolDownMs: 60_000 },
    });
    h = await startWorkerHarness({ chain: createLlmIntentChain({ providers }) });
  });
  afterAll(async () => {
    await h.close();
    await gemini.close();
  });

  const aiMessage = (commentId: string) => ({ comment_id: commentId, text: UNSURE, context: { tienda_id: WORKER_TIENDA.id, live_id: DEMO_CATALOG.live_id }, schema_version: '1.0' });
  const decisions = async (commentId: string) => (await h.firestore.collection('comment_intents').where('decision.comment_id', '==', commentId).get()).size;

  it('two concurrent deliveries of one ai_processing message: one classify call, one stored decision', async () => {
    gemini.reset();
    gemini.setResponder(() => ({ kind: 'delay', ms: 700, then: { kind: 'json', value: GEMINI_ANSWER } }));
    const envelope = JSON.stringify({
      subscription: 'projects/p/subscriptions/ai_processing-push',
      message: { messageId: 'ai-dup-1', data: Buffer.from(JSON.stringify(aiMessage('d-ai-1'))).toString('base64'), attributes: { event: 'ai_processing', idempotency_key: 'ai_processing:d-ai-1', schema_version: '1.0' } },
    });
    const deliver = () => fetch(`${h.url}/pubsub/ai-processing`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: envelope });
    const answers = await Promise.all([deliver(), deliver()]);
    expect(answers.map((a) => a.status)).toEqual([204, 204]);
    await waitUntil(async () => (await decisions('d-ai-1')) === 1, 15_000, 'the stored decision');
    await sleep(1500); // any retry the second delivery scheduled has run by now
    expect(gemini.requests).toHaveLength(1);
    expect(await decisions('d-ai-1')).toBe(1);
    const stored = await h.firestore.collection('comment_intents').doc('d-ai-1').get();
    expect(stored.get('decision.result')).toMatchObject({ intent: 'purchase', source: 'gemini' });
  });

  it('one comment published twice as two Pub/Sub messages to incoming_comments: one ai_processing publish, one classify, one decision', async () => {
    gemini.reset();
    gemini.setResponder(() => ({ kind: 'delay', ms: 700, then: { kind: 'json', value: GEMINI_ANSWER } }));
    const comment = {
      event: 'feed_comment',
      timestamp: '2026-11-29T22:00:00.000Z',
      data: { platform: 'facebook', source_field: 'feed', account_id: WORKER_TIENDA.meta_page_id, post_id: LIVE_POST, comment_id: 'd-in-1', parent_id: LIVE_POST, author_id: 'u-d-in-1', author_name: 'Fran', text: UNSURE, created_time: '2026-11-29T22:00:00.000Z' },
    };
    const publish = () => h.publisher.publishJson(TOPIC_NAMES.incomingComments, comment, { event: 'feed_comment', idempotencyKey: 'comment:d-in-1', schemaVersion: '1.0' });
    const ids = await Promise.all([publish(), publish()]);
    expect(new Set(ids).size).toBe(2); // two distinct messages, as after a client-side publish timeout
    await waitUntil(async () => (await decisions('d-in-1')) === 1, 20_000, 'the stored decision');
    await sleep(2500);
    expect(h.aiMessages.messages.filter((m) => m.json<{ comment_id: string }>().comment_id === 'd-in-1')).toHaveLength(1);
    expect(gemini.requests).toHaveLength(1);
    expect(await decisions('d-in-1')).toBe(1);
  });

  it('one ai_processing message published twice as two Pub/Sub messages: one classify, one decision', async () => {
    gemini.reset();
    gemini.setResponder(() => ({ kind: 'delay', ms: 700, then: { kind: 'json', value: GEMINI_ANSWER } }));
    const publish = () => h.publisher.publishJson(TOPIC_NAMES.aiProcessing, aiMessage('d-ai-2'), { event: 'ai_processing', idempotencyKey: 'ai_processing:d-ai-2', schemaVersion: '1.0', tiendaId: WORKER_TIENDA.id });
    await Promise.all([publish(), publish()]);
    await waitUntil(async () => (await decisions('d-ai-2')) === 1, 20_000, 'the stored decision');
    await sleep(2500);
    expect(gemini.requests).toHaveLength(1);
    expect(await decisions('d-ai-2')).toBe(1);
    expect(h.bq.rows('intents').filter((r) => r.comment_id === 'd-ai-2').length).toBeGreaterThanOrEqual(1);
  });
});
