import { z } from 'zod';
import { analyticsSettings, commonSettings, pushConsumerSettings, tiendaLookupSettings } from '../../shared/config/common-settings.js';
import { MAX_LIVE_CACHE_TTL_MS } from '../../shared/tiendas/live-store.js';
import { paymentLinkSettings } from '../../shared/payments/payment-settings.js';
import { bool, defineConfig, duration, int, port, str, urlWithDefault, type ConfigOf } from '../../shared/config/define-config.js';

/** The worker's one configuration schema, validated at start (`npm run start:worker`). */
export const workerConfig = defineConfig('worker', {
  port: { env: 'PORT', doc: 'HTTP port (Cloud Run sets it).', schema: port(8081) },
  ...commonSettings,
  ...pushConsumerSettings,
  ...tiendaLookupSettings,
  liveCacheTtl: {
    env: 'LIVE_CACHE_TTL',
    doc: `How long a live (catalog, status, featured product) and the post index are served from memory. Viewers see the stream seconds late, so a few seconds of staleness changes nothing they can tell; a comment a cached copy would skip as off air is checked again on a fresh read. At most ${MAX_LIVE_CACHE_TTL_MS / 1000}s (the on-air tolerance); \`0\` reads Firestore every time.`,
    schema: duration('5s').refine((ms) => ms <= MAX_LIVE_CACHE_TTL_MS, { message: `must be at most ${MAX_LIVE_CACHE_TTL_MS / 1000}s: a live cached longer than the on-air tolerance could sell on comments made after it ended` }),
  },
  intentLlm: {
    env: 'INTENT_LLM',
    doc: '`auto`: uncertain comments go to the LLM chain when a key is configured; `off`: the local classifier decides alone.',
    schema: z.enum(['auto', 'off']).default('auto'),
  },
  geminiApiUrl: { env: 'GEMINI_API_URL', doc: 'Gemini API base URL (a local stand-in in tests and `npm start`).', schema: urlWithDefault('https://generativelanguage.googleapis.com') },
  geminiModel: { env: 'GEMINI_MODEL', doc: 'Gemini model.', schema: str().default('gemini-2.5-flash') },
  geminiUseVertex: {
    env: 'GEMINI_USE_VERTEX',
    doc: 'Call Gemini through Vertex AI with the service account instead of an API key (`gemini-api-key`).',
    schema: bool(false),
  },
  vertexLocation: { env: 'GOOGLE_CLOUD_LOCATION', doc: 'Vertex AI location.', schema: str().default('global') },
  openaiApiUrl: { env: 'OPENAI_API_URL', doc: 'OpenAI API base URL.', schema: urlWithDefault('https://api.openai.com/v1') },
  openaiModel: { env: 'OPENAI_MODEL', doc: 'OpenAI model (must accept temperature 0 and json_schema output).', schema: str().default('gpt-4.1-mini') },
  openrouterApiUrl: { env: 'OPENROUTER_API_URL', doc: 'OpenRouter API base URL.', schema: urlWithDefault('https://openrouter.ai/api/v1') },
  openrouterModel: { env: 'OPENROUTER_MODEL', doc: 'OpenRouter model.', schema: str().default('google/gemini-2.5-flash') },
  llmTimeout: { env: 'LLM_TIMEOUT', doc: 'Timeout of one LLM call before falling through to the next provider.', schema: duration('6s') },
  llmBreakerThreshold: { env: 'LLM_BREAKER_THRESHOLD', doc: 'Consecutive failures that open a provider\'s circuit breaker.', schema: int(5, 1, 1000) },
  llmBreakerCooldown: { env: 'LLM_BREAKER_COOLDOWN', doc: 'How long an open breaker skips its provider before one trial call.', schema: duration('30s') },
  ...analyticsSettings,
  ...paymentLinkSettings,
  reservationTtl: { env: 'RESERVATION_TTL', doc: 'How long a reserved item waits for its payment before it is released (and offered to the waitlist).', schema: duration('30m') },
  allocationWait: {
    env: 'ALLOCATION_WAIT',
    doc: 'How long a purchase comment waits for the stock allocator before its message is retried later (below the ai_processing ack deadline).',
    schema: duration('20s'),
  },
  metaGraphUrl: {
    env: 'META_GRAPH_URL',
    doc: 'Meta Graph API base URL, version included. The live-metrics job reads on-air lives\' `live_videos` through it.',
    schema: urlWithDefault('https://graph.facebook.com/v21.0'),
  },
  metaTimeout: { env: 'META_TIMEOUT', doc: 'Timeout of one Graph API read of the live-metrics job.', schema: duration('8s') },
  allocationGather: {
    env: 'ALLOCATION_GATHER',
    doc: 'How long the allocator lets near-simultaneous purchase comments gather so it serves them in Meta\'s comment order.',
    schema: duration('300ms'),
  },
});
export type WorkerConfig = ConfigOf<typeof workerConfig.specs>;
