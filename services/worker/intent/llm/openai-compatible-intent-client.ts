import {
  buildIntentPrompt,
  INTENT_RESPONSE_JSON_SCHEMA,
  INTENT_RESPONSE_SCHEMA_NAME,
  parseAndResolveLlmOutput,
} from './intent-prompt.js';
import type { LlmClassification, LlmClassifyInput, LlmIntentClient, TokenUsage } from './llm-client-types.js';
import {
  InvalidLlmOutputError,
  isAbortError,
  LlmHttpError,
  LlmNetworkError,
  LlmTimeoutError,
} from './llm-errors.js';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';
export const OPENROUTER_DEFAULT_BASE_URL = 'https://openrouter.ai/api/v1';

export interface OpenAiCompatibleIntentClientOptions {
  name: 'openai' | 'openrouter';
  /** Defaults per `name`: OPENAI_DEFAULT_BASE_URL or OPENROUTER_DEFAULT_BASE_URL. */
  baseUrl?: string;
  apiKey: string;
  model: string;
  timeoutMs: number;
  /** OpenRouter attribution headers (`HTTP-Referer`, `X-Title`) or any other fixed header. */
  extraHeaders?: Record<string, string>;
}

export interface OpenAiCompatibleIntentClient extends LlmIntentClient {
  readonly name: 'openai' | 'openrouter';
  readonly model: string;
}

/** The parts of a chat.completion (OpenAI or OpenRouter) this client reads. */
interface ChatCompletionBody {
  choices?: Array<{
    message?: { content?: string | null; refusal?: string | null };
    finish_reason?: string | null;
  }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number };
  /** OpenRouter can report an upstream failure inside a 200 body. */
  error?: { code?: unknown; message?: unknown; type?: unknown };
}

export function createOpenAiCompatibleIntentClient(
  options: OpenAiCompatibleIntentClientOptions,
): OpenAiCompatibleIntentClient {
  const provider = options.name;
  const baseUrl = (options.baseUrl ?? (provider === 'openai' ? OPENAI_DEFAULT_BASE_URL : OPENROUTER_DEFAULT_BASE_URL))
    .replace(/\/+$/, '');
  const url = `${baseUrl}/chat/completions`;

  return {
    name: provider,
    model: options.model,
    async classify(input: LlmClassifyInput): Promise<LlmClassification> {
      const prompt = buildIntentPrompt(input);
      const body: Record<string, unknown> = {
        model: options.model,
        temperature: 0,
        messages: [
          { role: 'system', content: prompt.systemInstruction },
          { role: 'user', content: prompt.userContent },
        ],
        response_format: {
          type: 'json_schema',
          json_schema: { name: INTENT_RESPONSE_SCHEMA_NAME, strict: true, schema: INTENT_RESPONSE_JSON_SCHEMA },
        },
      };
      // Without this OpenRouter may route to an upstream that silently ignores response_format.
      if (provider === 'openrouter') body.provider = { require_parameters: true };

      const controller = new AbortController();
      // One deadline for connect + headers + body: a server that sends headers and then stalls is still a timeout.
      const timer = setTimeout(() => controller.abort(), options.timeoutMs);
      let status: number;
      let text: string;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            ...options.extraHeaders,
            'content-type': 'application/json',
            authorization: `Bearer ${options.apiKey}`,
          },
          body: JSON.stringify(body),
          signal: controller.signal,
        });
        status = response.status;
        text = await response.text();
      } catch (error) {
        if (isAbortError(error)) throw new LlmTimeoutError(provider, options.timeoutMs, { cause: error });
        const detail = error instanceof Error ? describeFetchError(error) : String(error);
        throw new LlmNetworkError(provider, detail, { cause: error });
      } finally {
        clearTimeout(timer);
      }

      if (status < 200 || status > 299) {
        const { code, detail } = parseErrorBody(text);
        throw new LlmHttpError(provider, status, code, scrubKey(detail, options.apiKey));
      }
      return readCompletion(provider, text, input);
    },
  };
}

function readCompletion(provider: 'openai' | 'openrouter', text: string, input: LlmClassifyInput): LlmClassification {
  let completion: ChatCompletionBody;
  try {
    completion = JSON.parse(text) as ChatCompletionBody;
  } catch (error) {
    throw withProvider(new InvalidLlmOutputError('HTTP 200 body is not JSON', { cause: error }), provider, null);
  }
  if (completion.error && !completion.choices?.length) {
    // OpenRouter's "200 with an error object": treat it like the upstream status it carries (502 when none).
    const status = typeof completion.error.code === 'number' ? completion.error.code : 502;
    const detail = typeof completion.error.message === 'string' ? completion.error.message : 'error in 200 body';
    throw new LlmHttpError(provider, status, null, detail);
  }
  const tokens = readUsage(completion);
  const choice = completion.choices?.[0];
  const message = choice?.message;
  if (!message) throw withProvider(new InvalidLlmOutputError('no choices in response'), provider, tokens);
  if (typeof message.refusal === 'string' && message.refusal.length > 0) {
    throw withProvider(new InvalidLlmOutputError(`model refused: ${message.refusal.slice(0, 200)}`), provider, tokens);
  }
  if (choice?.finish_reason === 'length') {
    throw withProvider(new InvalidLlmOutputError('response truncated (finish_reason length)'), provider, tokens);
  }
  if (typeof message.content !== 'string' || message.content.trim() === '') {
    throw withProvider(new InvalidLlmOutputError('empty message content'), provider, tokens);
  }
  try {
    const resolved = parseAndResolveLlmOutput(message.content, input.catalog, input.featured);
    return { result: { ...resolved, source: provider }, tokens };
  } catch (error) {
    if (error instanceof InvalidLlmOutputError) throw withProvider(error, provider, tokens);
    throw error;
  }
}

function withProvider(error: InvalidLlmOutputError, provider: string, usage: TokenUsage | null): InvalidLlmOutputError {
  error.provider = provider;
  error.usage = usage;
  return error;
}

function readUsage(completion: ChatCompletionBody): TokenUsage | null {
  const usage = completion.usage;
  if (!usage || typeof usage.prompt_tokens !== 'number') return null;
  return { input: usage.prompt_tokens, output: usage.completion_tokens ?? 0 };
}

/**
 * OpenAI: `{"error":{"message","type","param","code"}}` (code is a string or null).
 * OpenRouter: `{"error":{"code":<http status>,"message","metadata"}}`.
 */
function parseErrorBody(text: string): { code: string | null; detail: string } {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown; type?: unknown; code?: unknown } };
    const err = body.error;
    const code = typeof err?.code === 'string' ? err.code : typeof err?.type === 'string' ? err.type : null;
    const detail = typeof err?.message === 'string' ? err.message : text;
    return { code, detail: detail.slice(0, 300) };
  } catch {
    return { code: null, detail: text.slice(0, 300) };
  }
}

/**
 * OpenAI echoes a masked key in 401 messages ("Incorrect API key provided: sk-abc***...wxyz"); error messages end
 * up in logs, so drop anything key-shaped.
 */
function scrubKey(detail: string, apiKey: string): string {
  const withoutKey = apiKey ? detail.split(apiKey).join('[REDACTED]') : detail;
  return withoutKey.replace(/\bsk-[\w*.-]{4,}/g, '[REDACTED]');
}

/** undici hides the useful part ("ECONNREFUSED 127.0.0.1:1234") in `cause`. */
function describeFetchError(error: Error): string {
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.message} (${code})` : `${error.message} (${cause.message})`;
  }
  return error.message;
}
