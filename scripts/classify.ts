/**
 * `npm run classify -- --catalog <catalog.json> [--llm] <comments.jsonl>`
 *
 * Reads one `{"text", "featured"?}` per line and writes one JSON line per comment to stdout:
 * `{"text","intent","items","confidence","source"}`. Without `--llm` only the local classifier runs (no
 * network); with it, uncertain comments go to Gemini → OpenAI → OpenRouter, configured like the worker
 * (GEMINI_API_KEY / OPENAI_API_KEY / OPENROUTER_API_KEY, *_API_URL, *_MODEL). A bad line prints
 * `{"line": N, "error": "..."}` in its place and the rest go on; the exit code is then 1.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../shared/config/define-config.js';
import { createLogger, setLogger } from '../shared/logging/logger.js';
import { catalogProductSchema } from '../shared/tiendas/live-store.js';
import { workerConfig } from '../services/worker/config.js';
import { IntentService } from '../services/worker/intent/intent-service.js';
import type { Catalog } from '../services/worker/intent/intent-types.js';
import { buildLlmProvidersFromOptions, createLlmIntentChain } from '../services/worker/intent/llm/llm-intent-chain.js';

const USAGE = 'usage: npm run classify -- --catalog <catalog.json> [--llm] <comments.jsonl>';

const catalogFileSchema = z.object({
  tienda_id: z.string().default('cli'),
  live_id: z.string().default('cli'),
  currency: z.string().default('CLP'),
  featured_product: z.string().nullable().default(null),
  products: z.array(catalogProductSchema).min(1),
});
const lineSchema = z.object({ text: z.string(), featured: z.string().nullable().optional() });

function parseArgs(argv: string[]): { catalog: string; llm: boolean; input: string } | null {
  let catalog: string | undefined;
  let llm = false;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--catalog') catalog = argv[++i];
    else if (a === '--llm') llm = true;
    else if (a.startsWith('--')) return null;
    else rest.push(a);
  }
  if (!catalog || rest.length !== 1) return null;
  return { catalog, llm, input: rest[0]! };
}

function buildChain(env: Record<string, string | undefined>) {
  const config = workerConfig.load({ GOOGLE_CLOUD_PROJECT: 'cli', ...env });
  const providers = buildLlmProvidersFromOptions({
    gemini: { apiKey: env.GEMINI_API_KEY, model: config.geminiModel, baseUrl: config.geminiApiUrl, timeoutMs: config.llmTimeout },
    openai: { apiKey: env.OPENAI_API_KEY, model: config.openaiModel, baseUrl: config.openaiApiUrl, timeoutMs: config.llmTimeout },
    openrouter: { apiKey: env.OPENROUTER_API_KEY, model: config.openrouterModel, baseUrl: config.openrouterApiUrl, timeoutMs: config.llmTimeout },
    breaker: { failureThreshold: config.llmBreakerThreshold, coolDownMs: config.llmBreakerCooldown },
  });
  return providers.length > 0 ? createLlmIntentChain({ providers }) : null;
}

async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  // Logs go to stderr so stdout stays one JSON line per comment.
  setLogger(createLogger({ level: 'WARNING', write: (l) => process.stderr.write(l + '\n') }));
  const args = parseArgs(argv);
  if (!args) {
    console.error(USAGE);
    return 2;
  }
  let catalog: Catalog;
  try {
    catalog = catalogFileSchema.parse(JSON.parse(readFileSync(args.catalog, 'utf8'))) as Catalog;
  } catch (e) {
    console.error(`cannot use catalog ${args.catalog}: ${e instanceof z.ZodError ? e.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : (e as Error).message}`);
    return 2;
  }
  let input: string;
  try {
    input = readFileSync(args.input, 'utf8');
  } catch (e) {
    console.error(`cannot read ${args.input}: ${(e as Error).message}`);
    return 2;
  }
  const chain = args.llm ? buildChain(env) : null;
  if (args.llm && !chain) {
    console.error('--llm needs at least one of GEMINI_API_KEY, OPENAI_API_KEY, OPENROUTER_API_KEY');
    return 2;
  }
  const service = new IntentService(chain);
  let bad = 0;
  const lines = input.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (!raw) continue;
    let parsed: z.infer<typeof lineSchema>;
    try {
      parsed = lineSchema.parse(JSON.parse(raw));
    } catch (e) {
      bad++;
      const why = e instanceof z.ZodError ? e.issues.map((x) => `${x.path.join('.') || '(line)'}: ${x.message}`).join('; ') : 'not valid JSON';
      process.stdout.write(JSON.stringify({ line: i + 1, error: why }) + '\n');
      continue;
    }
    const featured = parsed.featured !== undefined ? parsed.featured : catalog.featured_product;
    if (featured !== null && !catalog.products.some((p) => p.code === featured)) {
      bad++;
      process.stdout.write(JSON.stringify({ line: i + 1, error: `featured product ${featured} is not in the catalog` }) + '\n');
      continue;
    }
    const { result } = await service.classify(parsed.text, catalog, featured);
    process.stdout.write(JSON.stringify({ text: parsed.text, intent: result.intent, items: result.items, confidence: result.confidence, source: result.source }) + '\n');
  }
  return bad > 0 ? 1 : 0;
}

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof ConfigError ? e.message : e);
    process.exit(1);
  },
);
