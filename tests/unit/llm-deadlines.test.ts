import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGeminiIntentClient } from '../../services/worker/intent/llm/gemini-intent-client.js';
import { LlmTimeoutError } from '../../services/worker/intent/llm/llm-errors.js';
import { createOpenAiCompatibleIntentClient } from '../../services/worker/intent/llm/openai-compatible-intent-client.js';
import type { Catalog } from '../../services/worker/intent/intent-types.js';

const catalog = JSON.parse(readFileSync(new URL('../../data/catalog-demo.json', import.meta.url), 'utf8')) as Catalog;
const input = { text: 'quiero la verde', catalog, featured: null };

/**
 * The LLM clients' timeouts are enforced, also against a server that answers the headers and then stalls the body
 * (the case a connect/headers-only timeout misses). The "never answers at all" case is in llm-intent-chain.test.ts.
 */
describe('LLM clients: deadlines are enforced on a stalled body', () => {
  let server: http.Server;
  let url: string;
  const sockets = new Set<import('node:net').Socket>();
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"candidates": [{"content": {"parts": [{"text": "{\\"intent\\": \\"pur');
      // ...and nothing more, ever.
    });
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  /** Fails the test (instead of hanging it) when a client ignores its own deadline. */
  const within = <T>(p: Promise<T>, ms: number) =>
    Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms))]);

  it('gemini', async () => {
    const client = createGeminiIntentClient({ apiKey: 'k', baseUrl: url, timeoutMs: 300 });
    await expect(within(client.classify(input), 5000)).rejects.toBeInstanceOf(LlmTimeoutError);
  });

  it.each(['openai', 'openrouter'] as const)('%s', async (name) => {
    const client = createOpenAiCompatibleIntentClient({ name, baseUrl: url, apiKey: 'k', model: 'm', timeoutMs: 300 });
    await expect(within(client.classify(input), 5000)).rejects.toBeInstanceOf(LlmTimeoutError);
  });
});
