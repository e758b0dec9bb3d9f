import type { Catalog, IntentResult } from '../intent-types.js';

/** What every provider client needs to classify one comment. */
export interface LlmClassifyInput {
  text: string;
  catalog: Catalog;
  /** Product on screen when the comment was written; falls back to `catalog.featured_product` when null. */
  featured: string | null;
}

export interface TokenUsage {
  input: number;
  output: number;
}

export interface LlmClassification {
  result: IntentResult;
  /** null when the provider did not report usage. */
  tokens: TokenUsage | null;
}

/**
 * One provider behind the chain. Implementations throw only the typed errors of `llm-errors.ts`
 * (LlmTimeoutError, LlmHttpError, LlmNetworkError, InvalidLlmOutputError).
 */
export interface LlmIntentClient {
  classify(input: LlmClassifyInput): Promise<LlmClassification>;
}
