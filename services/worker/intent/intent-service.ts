import { getLogger } from '../../../shared/logging/logger.js';
import type { Catalog, IntentResult } from './intent-types.js';
import type { LlmIntentChain, ChainAttempt } from './llm/llm-intent-chain.js';
import { classifyLocal } from './local-classifier.js';

export interface IntentDecision {
  result: IntentResult;
  /** Why the LLM did not decide: `local_confident`, `llm_off`, `all_llm_failed`, or null when it did. */
  fallbackReason: string | null;
  tokens: { input: number; output: number } | null;
  attempts: ChainAttempt[];
  latencyMs: number;
}

/**
 * Purchase intent for one comment: the local Spanish classifier first (free, no network); only the comments
 * it is unsure of go to the LLM chain (Gemini → OpenAI → OpenRouter). With no LLM configured, or when all
 * providers fail, the local result stands and says so.
 */
export class IntentService {
  constructor(private readonly chain: LlmIntentChain | null) {}

  get llmEnabled(): boolean {
    return this.chain !== null;
  }

  async classify(text: string, catalog: Catalog, featured: string | null): Promise<IntentDecision> {
    const started = performance.now();
    const local = classifyLocal(text, catalog, { featured });
    const { confident, signals: _signals, ...localResult } = local;
    if (confident || !this.chain) {
      return {
        result: localResult,
        fallbackReason: confident ? 'local_confident' : 'llm_off',
        tokens: null,
        attempts: [],
        latencyMs: Math.round(performance.now() - started),
      };
    }
    const outcome = await this.chain.classify({ text, catalog, featured, local: localResult });
    if (outcome.fellBackToLocal) getLogger().warn('every LLM provider failed; the local result stands', { attempts: outcome.attempts });
    return {
      result: outcome.result,
      fallbackReason: outcome.fellBackToLocal ? 'all_llm_failed' : null,
      tokens: outcome.tokens,
      attempts: outcome.attempts,
      latencyMs: Math.round(performance.now() - started),
    };
  }
}
