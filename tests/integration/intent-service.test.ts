import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntentService } from '../../services/worker/intent/intent-service.js';
import type { Catalog } from '../../services/worker/intent/intent-types.js';
import { buildLlmProvidersFromOptions, createLlmIntentChain } from '../../services/worker/intent/llm/llm-intent-chain.js';
import { classifyLocal } from '../../services/worker/intent/local-classifier.js';
import { startGeminiFake, type GeminiFake } from '../fakes/gemini-fake.js';
import { startOpenAiFake } from '../fakes/openai-fake.js';

/** Green is not in the catalog: the local classifier is designed to be unsure of it. */
const UNSURE = 'quiero la verde';
const catalog = JSON.parse(readFileSync('data/catalog-demo.json', 'utf8')) as Catalog;

/** Local first, LLM only when unsure — through the real @google/genai client and the wire-level fakes. */
describe('intent service: local first pass, then the LLM chain', () => {
  let gemini: GeminiFake;
  let openai: Awaited<ReturnType<typeof startOpenAiFake>>;
  let service: IntentService;
  beforeAll(async () => {
    gemini = await startGeminiFake({ apiKey: 'test-gemini-key' });
    openai = await startOpenAiFake();
    const providers = buildLlmProvidersFromOptions({
      gemini: { apiKey: 'test-gemini-key', baseUrl: gemini.url, timeoutMs: 2000 },
      openai: { apiKey: 'test-openai-key', baseUrl: openai.openAiBaseUrl, timeoutMs: 2000 },
      breaker: { failureThreshold: 3, coolDownMs: 60_000 },
    });
    service = new IntentService(createLlmIntentChain({ providers }));
  });
  afterAll(async () => {
    await gemini.close();
    await openai.close();
  });

  it('a confident local decision costs no LLM call', async () => {
    gemini.reset();
    const d = await service.classify('quiero la roja talla M', catalog, '101');
    expect(d.result).toMatchObject({ intent: 'purchase', source: 'local' });
    expect(d.fallbackReason).toBe('local_confident');
    expect(gemini.requests).toHaveLength(0);
  });

  it('an uncertain comment goes to Gemini, whose structured answer is used', async () => {
    const text = UNSURE;
    expect(classifyLocal(text, catalog, { featured: '101' }).confident).toBe(false);
    gemini.reset();
    gemini.enqueue({ kind: 'json', value: { intent: 'purchase', items: [{ product: '101', color: null, size: null, quantity: 1 }], confidence: 0.8 }, usage: { input: 420, output: 30 } });
    const d = await service.classify(text, catalog, '101');
    expect(gemini.requests).toHaveLength(1);
    expect(d.result).toMatchObject({ intent: 'purchase', source: 'gemini', items: [{ product: '101', color: null, size: null, quantity: 1 }] });
    expect(d.tokens).toEqual({ input: 420, output: 30 });
    expect(d.fallbackReason).toBeNull();
  });

  it('Gemini failing falls through to OpenAI; everything failing keeps the local result, marked', async () => {
    const text = UNSURE;
    gemini.reset();
    gemini.enqueue({ kind: 'error', status: 503 });
    openai.reset();
    openai.enqueue({ kind: 'json', value: { intent: 'question', items: [], confidence: 0.7 } });
    const viaOpenAi = await service.classify(text, catalog, '101');
    expect(viaOpenAi.result).toMatchObject({ intent: 'question', source: 'openai' });
    expect(viaOpenAi.attempts.map((a) => [a.provider, a.outcome])).toEqual([['gemini', 'http_error'], ['openai', 'ok']]);

    gemini.enqueue({ kind: 'text', text: 'not json at all' });
    openai.enqueue({ kind: 'error', status: 429 });
    const none = await service.classify(text, catalog, '101');
    expect(none.result.source).toBe('local');
    expect(none.fallbackReason).toBe('all_llm_failed');
  });

  it('with no LLM configured the local classifier decides alone (offline default)', async () => {
    const offline = new IntentService(null);
    const d = await offline.classify(UNSURE, catalog, '101');
    expect(d.result.source).toBe('local');
    expect(d.fallbackReason).toBe('llm_off');
  });
});
