import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { OAuth2Client } from 'google-auth-library';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/logging/logger.js';
import type { Catalog, IntentResult } from '../../services/worker/intent/intent-types.js';
import { createGeminiIntentClient } from '../../services/worker/intent/llm/gemini-intent-client.js';
import {
  buildIntentPrompt,
  INTENT_RESPONSE_JSON_SCHEMA,
  INTENT_RESPONSE_SCHEMA_NAME,
  parseAndResolveLlmOutput,
} from '../../services/worker/intent/llm/intent-prompt.js';
import { createLlmIntentChain, buildLlmProvidersFromOptions } from '../../services/worker/intent/llm/llm-intent-chain.js';
import type { LlmProvidersOptions } from '../../services/worker/intent/llm/llm-intent-chain.js';
import { InvalidLlmOutputError, LlmHttpError } from '../../services/worker/intent/llm/llm-errors.js';
import { createOpenAiCompatibleIntentClient } from '../../services/worker/intent/llm/openai-compatible-intent-client.js';
import { startGeminiFake } from '../fakes/gemini-fake.js';
import type { GeminiFake, LlmFakeReply } from '../fakes/gemini-fake.js';
import { startOpenAiFake } from '../fakes/openai-fake.js';
import type { OpenAiFake } from '../fakes/openai-fake.js';

const catalog = JSON.parse(readFileSync(new URL('../../data/catalog-demo.json', import.meta.url), 'utf8')) as Catalog;
const LOCAL: IntentResult = { intent: 'other', items: [], confidence: 0.42, source: 'local' };
// Large enough that a cold request on a loaded CI machine never looks like a timeout; the hang tests wait it out.
const TIMEOUT_MS = 1000;
const KEYS = { gemini: 'gemini-test-key', openai: 'sk-openai-test-key', openrouter: 'sk-or-v1-test-key' };

let gemini: GeminiFake;
let openai: OpenAiFake;
let openrouter: OpenAiFake;

beforeAll(async () => {
  [gemini, openai, openrouter] = await Promise.all([startGeminiFake(), startOpenAiFake(), startOpenAiFake()]);
});
afterAll(async () => {
  await Promise.all([gemini?.close(), openai?.close(), openrouter?.close()]);
});
beforeEach(() => {
  gemini.reset();
  openai.reset();
  openrouter.reset();
});

const purchase = (over: Record<string, unknown> = {}) => ({
  intent: 'purchase',
  items: [{ product: '101', color: 'azul', size: 'M', quantity: 1 }],
  confidence: 0.9,
  ...over,
});

function setup(over: { breaker?: LlmProvidersOptions['breaker']; openaiBaseUrl?: string } = {}) {
  const lines: string[] = [];
  const logger = createLogger({ level: 'DEBUG', write: (line) => lines.push(line) });
  const providers = buildLlmProvidersFromOptions({
    gemini: { apiKey: KEYS.gemini, baseUrl: gemini.url, timeoutMs: TIMEOUT_MS },
    openai: { apiKey: KEYS.openai, baseUrl: over.openaiBaseUrl ?? openai.openAiBaseUrl, model: 'gpt-test', timeoutMs: TIMEOUT_MS },
    openrouter: {
      apiKey: KEYS.openrouter,
      baseUrl: openrouter.openRouterBaseUrl,
      model: 'vendor/model-test',
      timeoutMs: TIMEOUT_MS,
      referer: 'https://livestreamsell.example',
      title: 'LiveStreamSell AI',
    },
    breaker: over.breaker ?? { failureThreshold: 100, coolDownMs: 1_000 },
    logger,
  });
  const chain = createLlmIntentChain({ providers, logger });
  const classify = (text = 'la azul en M', featured: string | null = '101') =>
    chain.classify({ text, catalog, featured, local: LOCAL });
  return { chain, classify, lines, logs: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('parseAndResolveLlmOutput', () => {
  const parse = (value: unknown, featured: string | null = '101') =>
    parseAndResolveLlmOutput(typeof value === 'string' ? value : JSON.stringify(value), catalog, featured);

  it('resolves colours and sizes to the catalog spelling (case, accents, gender, number)', () => {
    const result = parse({
      intent: 'purchase',
      items: [
        { product: '104', color: 'Cafe', size: 'm', quantity: null },
        { product: '#101', color: 'ROJOS', size: 'talla xl', quantity: 2 },
        { product: 102, color: null, size: 38, quantity: 1 },
        { product: '101', color: 'en blanco', size: null, quantity: 1 },
      ],
      confidence: 0.7,
    });
    expect(result).toEqual({
      intent: 'purchase',
      items: [
        { product: '104', color: 'café', size: 'M', quantity: 1 },
        { product: '101', color: 'roja', size: 'XL', quantity: 2 },
        { product: '102', color: null, size: '38', quantity: 1 },
        { product: '101', color: 'blanca', size: null, quantity: 1 },
      ],
      confidence: 0.7,
    });
  });

  it('fills in the featured product when the model names none', () => {
    expect(parse({ intent: 'purchase', items: [{ product: null, color: 'celeste', size: null, quantity: null }], confidence: 0.6 }, '103').items).toEqual([
      { product: '103', color: 'celeste', size: null, quantity: 1 },
    ]);
    expect(parse({ intent: 'purchase', items: [], confidence: 0.6 }, '104').items).toEqual([
      { product: '104', color: null, size: null, quantity: 1 },
    ]);
    // featured null → the catalog's featured product (101)
    expect(parse({ intent: 'cancel', items: [], confidence: 0.6 }, null).items).toEqual([
      { product: '101', color: null, size: null, quantity: null },
    ]);
  });

  it('applies the data conventions: cancels carry quantity null, questions and other carry no items', () => {
    expect(parse({ intent: 'cancel', items: [{ product: '105', color: null, size: null, quantity: 3 }], confidence: 0.8 }).items).toEqual([
      { product: '105', color: null, size: null, quantity: null },
    ]);
    expect(parse({ intent: 'question', items: [{ product: '101', color: 'roja', size: null, quantity: 1 }], confidence: 0.8 })).toEqual({
      intent: 'question',
      items: [],
      confidence: 0.8,
    });
    expect(parse({ intent: 'other', items: [], confidence: 0.3 }).items).toEqual([]);
  });

  it('accepts JSON wrapped in a markdown code fence', () => {
    expect(parse('```json\n{"intent":"other","items":[],"confidence":0.5}\n```').intent).toBe('other');
  });

  it.each([
    ['not JSON', 'purchase 101 azul'],
    ['unknown intent', purchase({ intent: 'buy' })],
    ['confidence out of range', purchase({ confidence: 1.5 })],
    ['missing confidence', { intent: 'other', items: [] }],
    ['unknown product code', purchase({ items: [{ product: '999', color: null, size: null, quantity: 1 }] })],
    ['colour not among the variants', purchase({ items: [{ product: '101', color: 'verde', size: null, quantity: 1 }] })],
    ['colour on a product without colours', purchase({ items: [{ product: '105', color: 'dorado', size: null, quantity: 1 }] })],
    ['size not among the variants', purchase({ items: [{ product: '104', color: null, size: 'S', quantity: 1 }] })],
    ['quantity zero', purchase({ items: [{ product: '101', color: null, size: null, quantity: 0 }] })],
  ])('rejects %s with InvalidLlmOutputError', (_label, value) => {
    expect(() => parse(value)).toThrow(InvalidLlmOutputError);
  });

  it('rejects an item without product when there is no featured product at all', () => {
    const noFeatured: Catalog = { ...catalog, featured_product: null };
    expect(() =>
      parseAndResolveLlmOutput(JSON.stringify({ intent: 'purchase', items: [], confidence: 0.5 }), noFeatured, null),
    ).toThrow(InvalidLlmOutputError);
  });
});

describe('intent prompt', () => {
  it('carries the whole catalog compactly, the featured product and the comment as a JSON string', () => {
    const prompt = buildIntentPrompt({ text: 'quiero la "roja"\nM', catalog, featured: '103' });
    for (const product of catalog.products) expect(prompt.systemInstruction).toContain(`{"code":"${product.code}"`);
    expect(prompt.systemInstruction).toContain('"colors":["negra","café"]');
    expect(prompt.userContent).toBe('Featured product: 103\nComment: "quiero la \\"roja\\"\\nM"');
  });
});

describe('Gemini client through @google/genai', () => {
  it('sends temperature 0, the response schema and the configured model to the base URL with the key header', async () => {
    gemini.enqueue({
      kind: 'json',
      value: { intent: 'purchase', items: [{ product: '106', color: 'negras', size: '41', quantity: null }], confidence: 0.83 },
      usage: { input: 321, output: 17 },
    });
    const client = createGeminiIntentClient({ apiKey: KEYS.gemini, baseUrl: gemini.url, model: 'gemini-2.5-flash-lite', timeoutMs: 2_000 });
    const out = await client.classify({ text: 'me las llevo, las negras 41', catalog, featured: '106' });

    expect(out).toEqual({
      result: { intent: 'purchase', items: [{ product: '106', color: 'negra', size: '41', quantity: 1 }], confidence: 0.83, source: 'gemini' },
      tokens: { input: 321, output: 17 },
    });
    expect(gemini.requests).toHaveLength(1);
    const req = gemini.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v1beta/models/gemini-2.5-flash-lite:generateContent');
    expect(req.headers['x-goog-api-key']).toBe(KEYS.gemini);
    expect(req.body.generationConfig).toMatchObject({
      temperature: 0,
      responseMimeType: 'application/json',
      responseJsonSchema: INTENT_RESPONSE_JSON_SCHEMA,
      thinkingConfig: { thinkingBudget: 0 },
    });
    expect(req.body.systemInstruction.parts[0].text).toContain('{"code":"106"');
    expect(req.body.contents[0].parts[0].text).toContain('Comment: "me las llevo, las negras 41"');
  });

  it('makes one attempt only: the SDK does not retry a 503 on its own', async () => {
    gemini.enqueue({ kind: 'error', status: 503 }, { kind: 'json', value: purchase() });
    const client = createGeminiIntentClient({ apiKey: KEYS.gemini, baseUrl: gemini.url, timeoutMs: 2_000 });
    const error = await client.classify({ text: 'x', catalog, featured: '101' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmHttpError);
    expect(error).toMatchObject({ status: 503, retryable: true, providerCode: 'UNAVAILABLE' });
    expect(gemini.requests).toHaveLength(1);
  });

  it('reaches the Vertex path with a Bearer token in Vertex mode', async () => {
    const authClient = new OAuth2Client();
    authClient.setCredentials({ access_token: 'fake-token', expiry_date: Date.now() + 3600e3 });
    gemini.enqueue({ kind: 'json', value: { intent: 'question', items: [], confidence: 0.9 } });
    const client = createGeminiIntentClient({
      vertex: { project: 'demo', location: 'us-central1', googleAuthOptions: { authClient } },
      baseUrl: gemini.url,
      timeoutMs: 2_000,
    });
    const out = await client.classify({ text: 'cuánto cuesta?', catalog, featured: '101' });
    expect(out.result).toEqual({ intent: 'question', items: [], confidence: 0.9, source: 'gemini' });
    const req = gemini.requests[0]!;
    expect(req.path).toBe('/v1beta1/projects/demo/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent');
    expect(req.vertex).toEqual({ project: 'demo', location: 'us-central1' });
    expect(req.headers.authorization).toBe('Bearer fake-token');
    expect(req.headers['x-goog-api-key']).toBeUndefined();
  });

  it('treats a safety-blocked answer as invalid output', async () => {
    gemini.enqueue({ kind: 'refusal' });
    const client = createGeminiIntentClient({ apiKey: KEYS.gemini, baseUrl: gemini.url, timeoutMs: 2_000 });
    await expect(client.classify({ text: 'x', catalog, featured: '101' })).rejects.toBeInstanceOf(InvalidLlmOutputError);
  });
});

describe('OpenAI-compatible client (fetch)', () => {
  it('sends model, temperature 0 and a strict json_schema response_format with the Bearer key', async () => {
    openai.enqueue({ kind: 'json', value: purchase(), usage: { input: 200, output: 30 } });
    const client = createOpenAiCompatibleIntentClient({
      name: 'openai',
      baseUrl: openai.openAiBaseUrl,
      apiKey: KEYS.openai,
      model: 'gpt-test',
      timeoutMs: 2_000,
    });
    const out = await client.classify({ text: 'la azul en M', catalog, featured: '101' });
    expect(out).toEqual({
      result: { intent: 'purchase', items: [{ product: '101', color: 'azul', size: 'M', quantity: 1 }], confidence: 0.9, source: 'openai' },
      tokens: { input: 200, output: 30 },
    });
    const req = openai.requests[0]!;
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe(`Bearer ${KEYS.openai}`);
    expect(req.body).toMatchObject({
      model: 'gpt-test',
      temperature: 0,
      response_format: {
        type: 'json_schema',
        json_schema: { name: INTENT_RESPONSE_SCHEMA_NAME, strict: true, schema: INTENT_RESPONSE_JSON_SCHEMA },
      },
    });
    expect(req.body.messages.map((m: { role: string }) => m.role)).toEqual(['system', 'user']);
    expect(req.body.messages[1].content).toContain('Comment: "la azul en M"');
    expect(req.body.provider).toBeUndefined();
  });

  it('talks to OpenRouter on /api/v1 with its attribution headers and parameter-honouring routing', async () => {
    openrouter.enqueue({ kind: 'json', value: { intent: 'other', items: [], confidence: 0.7 } });
    const client = createOpenAiCompatibleIntentClient({
      name: 'openrouter',
      baseUrl: openrouter.openRouterBaseUrl,
      apiKey: KEYS.openrouter,
      model: 'vendor/model-test',
      timeoutMs: 2_000,
      extraHeaders: { 'HTTP-Referer': 'https://livestreamsell.example', 'X-Title': 'LiveStreamSell AI' },
    });
    const out = await client.classify({ text: 'jajaja', catalog, featured: '101' });
    expect(out.result.source).toBe('openrouter');
    const req = openrouter.requests[0]!;
    expect(req.path).toBe('/api/v1/chat/completions');
    expect(req.headers['http-referer']).toBe('https://livestreamsell.example');
    expect(req.headers['x-title']).toBe('LiveStreamSell AI');
    expect(req.body.provider).toEqual({ require_parameters: true });
  });

  it('turns a refusal into invalid output', async () => {
    openai.enqueue({ kind: 'refusal' });
    const client = createOpenAiCompatibleIntentClient({ name: 'openai', baseUrl: openai.openAiBaseUrl, apiKey: 'k', model: 'm', timeoutMs: 2_000 });
    const error = await client.classify({ text: 'x', catalog, featured: '101' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidLlmOutputError);
    expect((error as InvalidLlmOutputError).reason).toMatch(/refused/);
  });
});

describe('LLM intent chain', () => {
  const failures: Array<[string, LlmFakeReply, 'invalid_output' | 'http_error' | 'timeout', number | undefined]> = [
    ['malformed output', { kind: 'text', text: '{"intent": "purchase", "items": [' }, 'invalid_output', undefined],
    ['HTTP 500', { kind: 'error', status: 500 }, 'http_error', 500],
    ['HTTP 429', { kind: 'error', status: 429 }, 'http_error', 429],
    ['timeout', { kind: 'hang' }, 'timeout', undefined],
  ];

  it.each(failures)('falls through gemini → openai → openrouter on %s', async (_label, failure, outcome, status) => {
    const { classify } = setup();
    gemini.enqueue(failure);
    openai.enqueue(failure);
    openrouter.enqueue({ kind: 'json', value: purchase(), usage: { input: 11, output: 7 } });

    const out = await classify();

    expect(out.attempts.map(({ latencyMs: _, ...a }) => a)).toEqual([
      { provider: 'gemini', outcome, ...(status ? { status } : {}) },
      { provider: 'openai', outcome, ...(status ? { status } : {}) },
      { provider: 'openrouter', outcome: 'ok' },
    ]);
    expect([gemini.requests.length, openai.requests.length, openrouter.requests.length]).toEqual([1, 1, 1]);
    expect(out.result).toEqual({
      intent: 'purchase',
      items: [{ product: '101', color: 'azul', size: 'M', quantity: 1 }],
      confidence: 0.9,
      source: 'openrouter',
    });
    expect(out.tokens).toEqual({ input: 11, output: 7 });
    expect(out.fellBackToLocal).toBe(false);
  });

  it('stops at the first provider that answers', async () => {
    const { classify } = setup();
    gemini.enqueue({ kind: 'json', value: purchase() });
    const out = await classify();
    expect(out.attempts.map((a) => [a.provider, a.outcome])).toEqual([['gemini', 'ok']]);
    expect(out.result.source).toBe('gemini');
    expect([gemini.requests.length, openai.requests.length, openrouter.requests.length]).toEqual([1, 0, 0]);
  });

  it('falls through on a catalog-invalid answer (unknown product code)', async () => {
    const { classify } = setup();
    gemini.enqueue({ kind: 'json', value: purchase({ items: [{ product: '999', color: null, size: null, quantity: 1 }] }) });
    openai.enqueue({ kind: 'json', value: purchase() });
    const out = await classify();
    expect(out.attempts.map((a) => [a.provider, a.outcome])).toEqual([
      ['gemini', 'invalid_output'],
      ['openai', 'ok'],
    ]);
    expect(out.result.source).toBe('openai');
  });

  it('keeps the local result when every provider fails', async () => {
    const { classify, logs } = setup();
    gemini.enqueue({ kind: 'error', status: 503 });
    openai.enqueue({ kind: 'hang' });
    openrouter.enqueue({ kind: 'text', text: 'Sure! The intent is purchase.' });

    const out = await classify();

    expect(out.fellBackToLocal).toBe(true);
    expect(out.result).toEqual({ ...LOCAL, source: 'local' });
    expect(out.tokens).toBeNull();
    expect(out.attempts.map(({ latencyMs: _, ...a }) => a)).toEqual([
      { provider: 'gemini', outcome: 'http_error', status: 503 },
      { provider: 'openai', outcome: 'timeout' },
      { provider: 'openrouter', outcome: 'invalid_output' },
    ]);
    expect(logs().some((l) => l.severity === 'WARNING' && String(l.message).includes('keeping the local classification'))).toBe(true);
  });

  it('falls through on 4xx and logs it as a configuration problem without leaking keys', async () => {
    const { classify, logs, lines } = setup();
    gemini.enqueue({ kind: 'error', status: 400, message: 'API key not valid. Please pass a valid API key.' });
    openai.enqueue({ kind: 'error', status: 401 });
    openrouter.enqueue({ kind: 'json', value: purchase() });

    const out = await classify();

    expect(out.attempts.map(({ latencyMs: _, ...a }) => a)).toEqual([
      { provider: 'gemini', outcome: 'http_error', status: 400 },
      { provider: 'openai', outcome: 'http_error', status: 401 },
      { provider: 'openrouter', outcome: 'ok' },
    ]);
    const configErrors = logs().filter((l) => l.severity === 'ERROR' && String(l.message).includes('configuration problem'));
    expect(configErrors.map((l) => [l.provider, l.status])).toEqual([
      ['gemini', 400],
      ['openai', 401],
    ]);
    const all = lines.join('\n');
    for (const key of Object.values(KEYS)) expect(all).not.toContain(key);
    expect(all).not.toContain('sk-fake'); // OpenAI echoes a masked key in its 401 message
  });

  it('falls through when a provider cannot be reached at all', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const { classify } = setup({ openaiBaseUrl: `http://127.0.0.1:${port}/v1` });
    gemini.enqueue({ kind: 'error', status: 500 });
    openrouter.enqueue({ kind: 'json', value: purchase() });
    const out = await classify();
    expect(out.attempts.map(({ latencyMs: _, ...a }) => a)).toEqual([
      { provider: 'gemini', outcome: 'http_error', status: 500 },
      { provider: 'openai', outcome: 'http_error' },
      { provider: 'openrouter', outcome: 'ok' },
    ]);
  });

  it('opens a provider circuit after the threshold, half-opens after the cool-down and closes on success', async () => {
    const clock = { t: 0 };
    const { classify, logs } = setup({ breaker: { failureThreshold: 2, coolDownMs: 10_000, now: () => clock.t } });
    gemini.setResponder(() => ({ kind: 'error', status: 500 }));
    openai.setResponder(() => ({ kind: 'json', value: purchase() }));

    await classify();
    await classify();
    expect(gemini.requests).toHaveLength(2);

    const whileOpen = await classify();
    expect(whileOpen.attempts.map((a) => [a.provider, a.outcome])).toEqual([
      ['gemini', 'circuit_open'],
      ['openai', 'ok'],
    ]);
    expect(gemini.requests).toHaveLength(2); // not called while open
    expect(logs().some((l) => l.provider === 'gemini' && l.to === 'open')).toBe(true);

    clock.t += 9_999;
    await classify();
    expect(gemini.requests).toHaveLength(2);

    clock.t += 1; // cool-down over: the next call is the half-open trial
    gemini.setResponder(() => ({ kind: 'json', value: purchase() }));
    const trial = await classify();
    expect(trial.attempts.map((a) => [a.provider, a.outcome])).toEqual([['gemini', 'ok']]);
    expect(gemini.requests).toHaveLength(3);

    // Closed again: the count starts over, so one more failure does not re-open it.
    gemini.setResponder(() => ({ kind: 'error', status: 500 }));
    await classify();
    await classify();
    expect(gemini.requests).toHaveLength(5);
    const reopened = await classify();
    expect(reopened.attempts[0]).toMatchObject({ provider: 'gemini', outcome: 'circuit_open' });
  });

  it('re-opens the circuit when the half-open trial fails', async () => {
    const clock = { t: 0 };
    const { classify } = setup({ breaker: { failureThreshold: 1, coolDownMs: 5_000, now: () => clock.t } });
    gemini.setResponder(() => ({ kind: 'error', status: 503 }));
    openai.setResponder(() => ({ kind: 'json', value: purchase() }));

    await classify(); // opens
    clock.t += 5_000;
    const trial = await classify(); // trial fails
    expect(trial.attempts[0]).toMatchObject({ provider: 'gemini', outcome: 'http_error', status: 503 });
    expect(gemini.requests).toHaveLength(2);

    clock.t += 4_999;
    const skipped = await classify();
    expect(skipped.attempts[0]).toMatchObject({ provider: 'gemini', outcome: 'circuit_open' });
    expect(gemini.requests).toHaveLength(2);
  });

  it('answers with the fakes’ default heuristic when nothing is scripted (demo mode)', async () => {
    const { classify } = setup();
    const out = await classify('yo quiero la azul talla M', '101');
    expect(out.result).toEqual({
      intent: 'purchase',
      items: [{ product: '101', color: 'azul', size: 'M', quantity: 1 }],
      confidence: 0.6,
      source: 'gemini',
    });
  });
});

describe('buildLlmProvidersFromOptions', () => {
  const silent = createLogger({ write: () => {} });
  it('keeps only providers with credentials, in the order gemini → openai → openrouter', () => {
    const names = (options: Omit<LlmProvidersOptions, 'breaker' | 'logger'>) =>
      buildLlmProvidersFromOptions({ ...options, breaker: {}, logger: silent }).map((p) => p.name);
    expect(
      names({
        openrouter: { apiKey: 'or', timeoutMs: 1_000 },
        openai: { apiKey: '', timeoutMs: 1_000 },
        gemini: { apiKey: 'g', timeoutMs: 1_000 },
      }),
    ).toEqual(['gemini', 'openrouter']);
    expect(names({ gemini: { timeoutMs: 1_000 }, openai: { apiKey: 'o', timeoutMs: 1_000 } })).toEqual(['openai']);
    expect(names({ gemini: { vertex: { project: 'p', location: 'us-central1' }, timeoutMs: 1_000 } })).toEqual(['gemini']);
    expect(names({})).toEqual([]);
  });

  it('with no providers the chain returns the local result', async () => {
    const chain = createLlmIntentChain({ providers: [], logger: silent });
    const out = await chain.classify({ text: 'hola', catalog, featured: '101', local: LOCAL });
    expect(out).toEqual({ result: LOCAL, tokens: null, attempts: [], fellBackToLocal: true });
  });
});
