import { Timestamp, type DocumentReference, type Firestore } from '@google-cloud/firestore';
import type { AiProcessingV1 } from '../../../shared/events/event-schemas.js';
import { addLogContext } from '../../../shared/logging/log-context.js';
import { getLogger } from '../../../shared/logging/logger.js';
import type { IdempotencyStore } from '../../../shared/idempotency/idempotency-store.js';
import { PermanentError, TransientError } from '../../../shared/pubsub/handler-errors.js';
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
  /** Claims `intent:<comment_id>` so one comment is classified (the LLM paid) at most once. */
  idempotency: IdempotencyStore;
  analytics: AnalyticsSink;
  /** The order step ([4/8]) plugs in here; until then the stored intent is the hand-off. */
  onIntent?: (intent: StoredIntent, live: Live) => Promise<void>;
  now?: () => number;
  /** How long a concurrent duplicate waits for the holder's stored decision before retrying later. */
  decisionWaitMs?: number;
}

/** Key of the claim taken before classifying a comment. */
export const intentClaimKey = (commentId: string) => `intent:${commentId}`;

export function liveCatalog(live: Live): Catalog {
  return { tienda_id: live.tienda_id, live_id: live.live_id, currency: live.currency, featured_product: live.featured_product, products: live.products };
}

/**
 * `ai_processing` v1.0 → intent. The decision is stored in Firestore (`comment_intents/{comment_id}`)
 * before anything else, so a retry (BigQuery down, order step failing) never pays for a second LLM call
 * and never changes its mind. Concurrent deliveries of one comment (Pub/Sub at-least-once, a re-published
 * duplicate) are serialised by an idempotency claim taken before classifying: one classifies, the others
 * wait briefly for its stored decision or retry later.
 */
export async function handleAiProcessing(msg: AiProcessingV1, deps: AiProcessingDeps): Promise<StoredIntent> {
  addLogContext({ tienda_id: msg.context.tienda_id, live_id: msg.context.live_id, comment_id: msg.comment_id });
  const live = await deps.lives.get(msg.context.tienda_id, msg.context.live_id);
  if (!live) throw new PermanentError(`live ${msg.context.tienda_id}/${msg.context.live_id} does not exist`, 'live_not_found');

  const ref = deps.firestore.collection('comment_intents').doc(msg.comment_id);
  const stored = (await storedDecision(ref)) ?? (await classifyOnce(msg, live, ref, deps));
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

type IntentDoc = DocumentReference;

async function storedDecision(ref: IntentDoc): Promise<StoredIntent | null> {
  const snap = await ref.get();
  return snap.exists ? (snap.get('decision') as StoredIntent) : null;
}

/**
 * Classifies under the claim `intent:<comment_id>`. The claim's lease (the worker's idempotency lease, 60 s)
 * outlasts the LLM chain's worst case (3 providers × `LLM_TIMEOUT`), so a take-over only follows a holder
 * that crashed; the decision is stored with `create()`, so even then the first stored answer stands.
 */
async function classifyOnce(msg: AiProcessingV1, live: Live, ref: IntentDoc, deps: AiProcessingDeps): Promise<StoredIntent> {
  const claim = await deps.idempotency.claim(intentClaimKey(msg.comment_id), 'intent');
  if (claim.status !== 'claimed') {
    // Another delivery is classifying (or has): wait a little for its decision rather than paying again.
    const deadline = Date.now() + (deps.decisionWaitMs ?? 2000);
    for (;;) {
      const found = await storedDecision(ref);
      if (found) return found;
      if (Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new TransientError(`comment ${msg.comment_id} is being classified by another delivery`, 'intent_in_progress');
  }
  let stored: StoredIntent;
  try {
    const decision = await deps.intents.classify(msg.text, liveCatalog(live), live.featured_product);
    stored = { ...decision, comment_id: msg.comment_id, tienda_id: live.tienda_id, live_id: live.live_id };
    // create(): if a holder whose lease ran out stored first, keep its decision (one answer per comment).
    try {
      // JSON round trip: Firestore refuses undefined fields (optional attempt details).
      await ref.create({ decision: JSON.parse(JSON.stringify(stored)) as StoredIntent, created_at: Timestamp.fromMillis((deps.now ?? Date.now)()) });
    } catch (e) {
      if ((e as { code?: number }).code !== 6) throw e;
      stored = (await storedDecision(ref))!;
    }
  } catch (e) {
    // Nothing stored: give the key back so the retry classifies without waiting for the lease.
    await deps.idempotency.release(claim.claim);
    throw e;
  }
  // The stored decision is what counts from now on; marking the claim done only spares later readers a wait.
  await deps.idempotency.complete(claim.claim).catch((e) => getLogger().warn('intent stored but its claim not marked done', { error: e }));
  return stored;
}
