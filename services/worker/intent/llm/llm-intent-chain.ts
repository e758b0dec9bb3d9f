import { getLogger } from '../../../../shared/logging/logger.js';
import type { Logger } from '../../../../shared/logging/logger.js';
import type { Catalog, IntentResult, IntentSource } from '../intent-types.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { CircuitBreakerOptions } from './circuit-breaker.js';
import { createGeminiIntentClient } from './gemini-intent-client.js';
import type { GeminiIntentClientOptions } from './gemini-intent-client.js';
import type { LlmIntentClient, TokenUsage } from './llm-client-types.js';
import { InvalidLlmOutputError, LlmHttpError, LlmNetworkError, LlmTimeoutError } from './llm-errors.js';
import { createOpenAiCompatibleIntentClient } from './openai-compatible-intent-client.js';

/**
 * The fallback chain for comments the local classifier is unsure about: providers in order (Gemini → OpenAI →
 * OpenRouter), one attempt each, skipping any whose circuit is open. Every failure — timeout, 5xx, 429, network,
 * invalid output, and 4xx too (logged as a configuration problem) — moves on to the next provider; when none
 * answers usefully the local result stands. classify() never throws for provider trouble: a live comment must
 * always end up with a classification.
 */

export type AttemptOutcome = 'ok' | 'timeout' | 'http_error' | 'invalid_output' | 'circuit_open';

export interface ChainAttempt {
  provider: IntentSource;
  outcome: AttemptOutcome;
  /** HTTP status for http_error (absent when no HTTP answer arrived, e.g. connection refused). */
  status?: number;
  latencyMs: number;
}

export interface ChainOutcome {
  result: IntentResult;
  /** Usage of the provider whose answer was used; null when the local result stands or usage was not reported. */
  tokens: TokenUsage | null;
  attempts: ChainAttempt[];
  fellBackToLocal: boolean;
}

export interface ChainInput {
  text: string;
  catalog: Catalog;
  featured: string | null;
  /** The local classifier's answer: what stands if every provider fails. */
  local: IntentResult;
}

/** What the chain needs from a breaker; CircuitBreaker satisfies it. */
export interface ProviderBreaker {
  tryAcquire(): boolean;
  recordSuccess(): void;
  recordFailure(): void;
}

export interface LlmProvider {
  name: IntentSource;
  client: LlmIntentClient;
  breaker: ProviderBreaker;
}

export interface LlmIntentChain {
  readonly providers: readonly LlmProvider[];
  classify(input: ChainInput): Promise<ChainOutcome>;
}

export function createLlmIntentChain(options: { providers: LlmProvider[]; logger?: Logger }): LlmIntentChain {
  const providers = [...options.providers];
  // Resolved per call so a logger configured after construction (main.ts) is used.
  const log = () => options.logger ?? getLogger();

  return {
    providers,
    async classify({ text, catalog, featured, local }: ChainInput): Promise<ChainOutcome> {
      const attempts: ChainAttempt[] = [];
      for (const provider of providers) {
        if (!provider.breaker.tryAcquire()) {
          attempts.push({ provider: provider.name, outcome: 'circuit_open', latencyMs: 0 });
          continue;
        }
        const started = performance.now();
        try {
          const { result, tokens } = await provider.client.classify({ text, catalog, featured });
          const latencyMs = elapsed(started);
          provider.breaker.recordSuccess();
          attempts.push({ provider: provider.name, outcome: 'ok', latencyMs });
          return { result: { ...result, source: provider.name }, tokens, attempts, fellBackToLocal: false };
        } catch (error) {
          const latencyMs = elapsed(started);
          provider.breaker.recordFailure();
          const attempt = describeFailure(provider.name, error, latencyMs);
          attempts.push(attempt);
          logFailure(log(), attempt, error);
        }
      }
      if (providers.length > 0) {
        log().warn('all LLM providers failed or were skipped; keeping the local classification', {
          attempts,
          localIntent: local.intent,
        });
      }
      return { result: { ...local, source: 'local' }, tokens: null, attempts, fellBackToLocal: true };
    },
  };
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}

function describeFailure(provider: IntentSource, error: unknown, latencyMs: number): ChainAttempt {
  if (error instanceof LlmTimeoutError) return { provider, outcome: 'timeout', latencyMs };
  if (error instanceof InvalidLlmOutputError) return { provider, outcome: 'invalid_output', latencyMs };
  if (error instanceof LlmHttpError) return { provider, outcome: 'http_error', status: error.status, latencyMs };
  // Network failures, and anything unexpected a client let escape: no HTTP status to report.
  return { provider, outcome: 'http_error', latencyMs };
}

function logFailure(logger: Logger, attempt: ChainAttempt, error: unknown): void {
  const fields: Record<string, unknown> = {
    provider: attempt.provider,
    outcome: attempt.outcome,
    latencyMs: attempt.latencyMs,
    ...(attempt.status !== undefined ? { status: attempt.status } : {}),
    detail: error instanceof Error ? error.message : String(error),
  };
  if (error instanceof LlmHttpError) {
    fields.providerCode = error.providerCode;
    if (error.isConfigurationProblem) {
      // 400/401/403/404 will fail the same way on every comment: someone has to fix a key, model or base URL.
      logger.error('LLM provider rejected the request: configuration problem (key, model, base URL or schema)', fields);
      return;
    }
  }
  if (error instanceof InvalidLlmOutputError) {
    fields.reason = error.reason;
    // Named "usage" on purpose: the logger redacts any field whose name contains "token".
    if (error.usage) fields.usage = error.usage;
  }
  const expected =
    error instanceof LlmTimeoutError ||
    error instanceof LlmHttpError ||
    error instanceof LlmNetworkError ||
    error instanceof InvalidLlmOutputError;
  if (!expected) {
    logger.error('LLM provider failed with an unexpected error; trying the next one', fields);
    return;
  }
  logger.warn('LLM provider failed; trying the next one', fields);
}

// ---------------------------------------------------------------------------------------------------------------
// Building the provider list from configuration

export const DEFAULT_OPENAI_MODEL = 'gpt-4.1-mini';
/** Routed through OpenRouter's own key and quota, so it still answers when our direct Gemini quota is spent. */
export const DEFAULT_OPENROUTER_MODEL = 'google/gemini-2.5-flash';

export interface LlmProvidersOptions {
  /** Included when `apiKey` is non-empty or `vertex` is set. */
  gemini?: Omit<GeminiIntentClientOptions, 'apiKey'> & { apiKey?: string | undefined };
  /** Included when `apiKey` is non-empty. */
  openai?: { apiKey?: string | undefined; model?: string; baseUrl?: string; timeoutMs: number };
  /** Included when `apiKey` is non-empty. `referer`/`title` become the HTTP-Referer / X-Title headers. */
  openrouter?: {
    apiKey?: string | undefined;
    model?: string;
    baseUrl?: string;
    timeoutMs: number;
    referer?: string;
    title?: string;
  };
  /** One breaker per provider, all with these settings. */
  breaker: Omit<CircuitBreakerOptions, 'onStateChange'>;
  logger?: Logger;
}

/** The configured providers in chain order (gemini → openai → openrouter); a provider without credentials is left out. */
export function buildLlmProvidersFromOptions(options: LlmProvidersOptions): LlmProvider[] {
  const log = () => options.logger ?? getLogger();
  const breakerFor = (name: IntentSource) =>
    new CircuitBreaker({
      ...options.breaker,
      onStateChange: ({ from, to, consecutiveFailures }) => {
        const fields = { provider: name, from, to, consecutiveFailures };
        if (to === 'open') log().warn('LLM provider circuit opened; skipping it until the cool-down ends', fields);
        else log().info('LLM provider circuit changed state', fields);
      },
    });

  const providers: LlmProvider[] = [];
  const { gemini, openai, openrouter } = options;
  if (gemini && (gemini.vertex || nonEmpty(gemini.apiKey))) {
    const { apiKey, ...rest } = gemini;
    const client = createGeminiIntentClient({ ...rest, ...(nonEmpty(apiKey) ? { apiKey } : {}) });
    providers.push({ name: 'gemini', client, breaker: breakerFor('gemini') });
  }
  if (openai && nonEmpty(openai.apiKey)) {
    const client = createOpenAiCompatibleIntentClient({
      name: 'openai',
      apiKey: openai.apiKey,
      model: openai.model ?? DEFAULT_OPENAI_MODEL,
      timeoutMs: openai.timeoutMs,
      ...(openai.baseUrl ? { baseUrl: openai.baseUrl } : {}),
    });
    providers.push({ name: 'openai', client, breaker: breakerFor('openai') });
  }
  if (openrouter && nonEmpty(openrouter.apiKey)) {
    const extraHeaders: Record<string, string> = {};
    if (openrouter.referer) extraHeaders['HTTP-Referer'] = openrouter.referer;
    if (openrouter.title) extraHeaders['X-Title'] = openrouter.title;
    const client = createOpenAiCompatibleIntentClient({
      name: 'openrouter',
      apiKey: openrouter.apiKey,
      model: openrouter.model ?? DEFAULT_OPENROUTER_MODEL,
      timeoutMs: openrouter.timeoutMs,
      extraHeaders,
      ...(openrouter.baseUrl ? { baseUrl: openrouter.baseUrl } : {}),
    });
    providers.push({ name: 'openrouter', client, breaker: breakerFor('openrouter') });
  }
  log().info('LLM intent providers configured', {
    providers: providers.map((p) => p.name),
    ...(providers.some((p) => p.name === 'gemini') ? { geminiMode: gemini?.vertex ? 'vertex' : 'gemini-api' } : {}),
  });
  return providers;
}

function nonEmpty(value: string | undefined): value is string {
  return typeof value === 'string' && value.trim().length > 0;
}
