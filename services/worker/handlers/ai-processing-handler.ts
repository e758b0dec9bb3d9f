import { Timestamp, type Firestore } from '@google-cloud/firestore';
import type { AiProcessingV1 } from '../../../shared/events/event-schemas.js';
import { addLogContext } from '../../../shared/logging/log-context.js';
import { getLogger } from '../../../shared/logging/logger.js';
import { PermanentError } from '../../../shared/pubsub/handler-errors.js';
import type { Live, LiveStore } from '../../../shared/tiendas/live-store.js';
import type { AnalyticsSink } from '../../../shared/analytics/analytics-recorder.js';
import type { IntentDecision, IntentService } from '../intent/intent-service.js';
import type { Catalog } from '../intent/intent-types.js';

export interface StoredIntent extends IntentDecision {
  comment_id: string;
  tienda_id: string;
  live_id: string;
}

export interface AiProcessingDeps {
  lives: LiveStore;
  firestore: Firestore;
  intents: IntentService;
  analytics: AnalyticsSink;
  /** The order step ([4/8]) plugs in here; until then the stored intent is the hand-off. */
  onIntent?: (intent: StoredIntent, live: Live) => Promise<void>;
  now?: () => number;
}

export function liveCatalog(live: Live): Catalog {
  return { tienda_id: live.tienda_id, live_id: live.live_id, currency: live.currency, featured_product: live.featured_product, products: live.products };
}

/**
 * `ai_processing` v1.0 → intent. The decision is stored in Firestore (`comment_intents/{comment_id}`)
 * before anything else, so a retry (BigQuery down, order step failing) never pays for a second LLM call
 * and never changes its mind.
 */
export async function handleAiProcessing(msg: AiProcessingV1, deps: AiProcessingDeps): Promise<StoredIntent> {
  addLogContext({ tienda_id: msg.context.tienda_id, live_id: msg.context.live_id, comment_id: msg.comment_id });
  const live = await deps.lives.get(msg.context.tienda_id, msg.context.live_id);
  if (!live) throw new PermanentError(`live ${msg.context.tienda_id}/${msg.context.live_id} does not exist`, 'live_not_found');

  const ref = deps.firestore.collection('comment_intents').doc(msg.comment_id);
  const existing = await ref.get();
  let stored: StoredIntent;
  if (existing.exists) {
    stored = existing.get('decision') as StoredIntent;
  } else {
    const decision = await deps.intents.classify(msg.text, liveCatalog(live), live.featured_product);
    stored = { ...decision, comment_id: msg.comment_id, tienda_id: live.tienda_id, live_id: live.live_id };
    // create(): if a concurrent duplicate stored first, keep its decision (one answer per comment).
    try {
      // JSON round trip: Firestore refuses undefined fields (optional attempt details).
      await ref.create({ decision: JSON.parse(JSON.stringify(stored)) as StoredIntent, created_at: Timestamp.fromMillis((deps.now ?? Date.now)()) });
    } catch (e) {
      if ((e as { code?: number }).code !== 6) throw e;
      stored = (await ref.get()).get('decision') as StoredIntent;
    }
  }
  getLogger().info('intent', { intent: stored.result.intent, source: stored.result.source, confidence: stored.result.confidence, items: stored.result.items.length });

  await deps.analytics.record('intents', `intent:${msg.comment_id}`, {
    comment_id: msg.comment_id,
    tienda_id: live.tienda_id,
    live_id: live.live_id,
    intent: stored.result.intent,
    items: stored.result.items.map((i) => ({ product: i.product, color: i.color, size: i.size, quantity: i.quantity })),
    confidence: stored.result.confidence,
    source: stored.result.source,
    latency_ms: stored.latencyMs,
    input_tokens: stored.tokens?.input ?? null,
    output_tokens: stored.tokens?.output ?? null,
    fallback_reason: stored.fallbackReason,
    created_at: new Date((deps.now ?? Date.now)()).toISOString(),
  });
  await deps.onIntent?.(stored, live);
  return stored;
}
