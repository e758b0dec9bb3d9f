import { ApiError, GoogleGenAI } from '@google/genai';
import type { GenerateContentResponse, GoogleGenAIOptions } from '@google/genai';
import type { GoogleAuthOptions } from 'google-auth-library';
import { buildIntentPrompt, INTENT_RESPONSE_JSON_SCHEMA, parseAndResolveLlmOutput } from './intent-prompt.js';
import type { LlmClassification, LlmClassifyInput, LlmIntentClient, TokenUsage } from './llm-client-types.js';
import {
  InvalidLlmOutputError,
  isAbortError,
  LlmHttpError,
  LlmNetworkError,
  LlmTimeoutError,
} from './llm-errors.js';

export const DEFAULT_GEMINI_MODEL = 'gemini-2.5-flash';

export interface GeminiIntentClientOptions {
  /** Gemini API (AI Studio) key. Ignored when `vertex` is set. */
  apiKey?: string;
  /** Vertex AI mode: auth through google-auth-library (ADC on Cloud Run, or the given auth options). */
  vertex?: { project: string; location: string; googleAuthOptions?: GoogleAuthOptions };
  model?: string;
  /** Override of the service root (e.g. a local fake); the SDK appends `/v1beta/models/...`. */
  baseUrl?: string;
  /** Deadline of the whole call, auth included. */
  timeoutMs: number;
  /**
   * Thinking budget sent as `thinkingConfig.thinkingBudget`. Defaults to 0 on the gemini-2.5-flash family:
   * classifying one comment gains nothing from thinking and it multiplies latency and output tokens. Left unsent
   * on other models (2.5 Pro rejects 0; 3.x uses thinking levels) unless set here.
   */
  thinkingBudget?: number;
}

/** Lets the chain and the logs tell Vertex from the Gemini API without seeing credentials. */
export interface GeminiIntentClient extends LlmIntentClient {
  readonly model: string;
  readonly mode: 'gemini-api' | 'vertex';
}

const PROVIDER = 'gemini';

export function createGeminiIntentClient(options: GeminiIntentClientOptions): GeminiIntentClient {
  const model = options.model ?? DEFAULT_GEMINI_MODEL;
  const thinkingBudget = options.thinkingBudget ?? (/^gemini-2\.5-flash/.test(model) ? 0 : undefined);
  // The chain owns retry policy: one attempt here, then the next provider. retryOptions is unset by default in
  // @google/genai 2.32 (no retries), but `attempts: 1` pins that against a future default change.
  const httpOptions = {
    timeout: options.timeoutMs,
    retryOptions: { attempts: 1 },
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
  };
  const sdkOptions: GoogleGenAIOptions = options.vertex
    ? {
        vertexai: true,
        project: options.vertex.project,
        location: options.vertex.location,
        httpOptions,
        ...(options.vertex.googleAuthOptions ? { googleAuthOptions: options.vertex.googleAuthOptions } : {}),
      }
    : { apiKey: options.apiKey ?? '', httpOptions };
  const ai = new GoogleGenAI(sdkOptions);

  async function callModel(input: LlmClassifyInput, signal: AbortSignal): Promise<GenerateContentResponse> {
    const prompt = buildIntentPrompt(input);
    return ai.models.generateContent({
      model,
      contents: [{ role: 'user', parts: [{ text: prompt.userContent }] }],
      config: {
        systemInstruction: prompt.systemInstruction,
        temperature: 0,
        responseMimeType: 'application/json',
        responseJsonSchema: INTENT_RESPONSE_JSON_SCHEMA,
        ...(thinkingBudget !== undefined ? { thinkingConfig: { thinkingBudget } } : {}),
        abortSignal: signal,
      },
    });
  }

  return {
    model,
    mode: options.vertex ? 'vertex' : 'gemini-api',
    async classify(input: LlmClassifyInput): Promise<LlmClassification> {
      const controller = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      // httpOptions.timeout bounds the fetch; this outer deadline also covers the Vertex token fetch that runs
      // before it (ADC/metadata server), which takes no signal. Aborting releases the socket of a hung call.
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new LlmTimeoutError(PROVIDER, options.timeoutMs));
        }, options.timeoutMs);
      });
      let response: GenerateContentResponse;
      try {
        response = await Promise.race([callModel(input, controller.signal), deadline]);
      } catch (error) {
        throw toTypedError(error, options.timeoutMs);
      } finally {
        clearTimeout(timer);
      }
      return readResponse(response, input);
    },
  };
}

function readResponse(response: GenerateContentResponse, input: LlmClassifyInput): LlmClassification {
  const tokens = readUsage(response);
  const fail = (reason: string, cause?: unknown): never => {
    const error = cause instanceof InvalidLlmOutputError ? cause : new InvalidLlmOutputError(reason, { cause });
    error.provider = PROVIDER;
    error.usage = tokens;
    throw error;
  };
  const blockReason = response.promptFeedback?.blockReason;
  if (blockReason) fail(`prompt blocked (${blockReason})`);
  const candidate = response.candidates?.[0];
  if (!candidate) fail('no candidates in response');
  const finishReason = candidate?.finishReason;
  // MAX_TOKENS means truncated JSON; SAFETY/RECITATION/etc. mean no usable answer. Only STOP is a real answer.
  if (finishReason && finishReason !== 'STOP') fail(`generation stopped with ${finishReason}`);
  const text = response.text;
  if (text === undefined || text.trim() === '') fail('empty response text');
  try {
    const resolved = parseAndResolveLlmOutput(text ?? '', input.catalog, input.featured);
    return { result: { ...resolved, source: 'gemini' }, tokens };
  } catch (error) {
    return fail('unparseable response', error);
  }
}

function readUsage(response: GenerateContentResponse): TokenUsage | null {
  const usage = response.usageMetadata;
  if (!usage || usage.promptTokenCount === undefined) return null;
  // Thinking tokens are billed as output, so they belong in the output count.
  return { input: usage.promptTokenCount, output: (usage.candidatesTokenCount ?? 0) + (usage.thoughtsTokenCount ?? 0) };
}

function toTypedError(error: unknown, timeoutMs: number): Error {
  if (error instanceof LlmTimeoutError) return error;
  if (error instanceof ApiError) {
    const { code, detail } = parseGoogleErrorMessage(error.message);
    return new LlmHttpError(PROVIDER, error.status, code, detail, { cause: error });
  }
  if (isAbortError(error)) return new LlmTimeoutError(PROVIDER, timeoutMs, { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new LlmNetworkError(PROVIDER, message, { cause: error });
}

/** ApiError.message is the JSON error body: `{"error":{"code":429,"message":"...","status":"RESOURCE_EXHAUSTED"}}`. */
function parseGoogleErrorMessage(message: string): { code: string | null; detail: string } {
  try {
    const body = JSON.parse(message) as { error?: { message?: unknown; status?: unknown } };
    const code = typeof body.error?.status === 'string' ? body.error.status : null;
    const detail = typeof body.error?.message === 'string' ? body.error.message : message;
    return { code, detail: detail.slice(0, 300) };
  } catch {
    return { code: null, detail: message.slice(0, 300) };
  }
}
