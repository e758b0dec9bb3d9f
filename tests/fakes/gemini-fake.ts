import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import { headerValue, sendJson, startFakeHttpServer } from './fake-http.js';
import type { RecordedHttpRequest } from './fake-http.js';

/**
 * Local stand-in for the Gemini API (and Vertex AI's Gemini endpoint) speaking the real wire format, for tests
 * and demos. Point `@google/genai` at it with `httpOptions.baseUrl = fake.url`.
 *
 *   POST /v1beta/models/{model}:generateContent                                              (Gemini API)
 *   POST /v1beta1/projects/{p}/locations/{l}/publishers/google/models/{model}:generateContent (Vertex AI)
 *
 * Answers `{candidates:[{content:{role:'model',parts:[{text}]},finishReason:'STOP',index:0}],usageMetadata,
 * modelVersion,responseId}` and Google's error body `{error:{code,message,status}}`. Every request is recorded.
 *
 * What it answers, first match wins: the queue (`enqueue`), then the responder (`setResponder` / options), then
 * the default: a small keyword heuristic over the prompt (finds the comment, featured product and catalog lines
 * the worker's intent prompt contains) that gives a plausible classification, or `other` when it finds nothing —
 * good enough for a demo, not a model.
 *
 * This file also exports what the OpenAI fake reuses (reply type, heuristic, token estimate); the HTTP server
 * itself is fake-http.ts's.
 */

/** A scripted answer. Providers render each kind in their own wire format. */
export type LlmFakeReply =
  /** A normal answer whose text is JSON.stringify(value). */
  | { kind: 'json'; value: unknown; usage?: { input?: number; output?: number } }
  /** A normal answer with this exact text (use it for malformed output). */
  | { kind: 'text'; text: string }
  /** The provider's error body for this HTTP status; `message`/`code` override the realistic defaults. */
  | { kind: 'error'; status: number; message?: string; code?: string }
  /** Never answer (until the client gives up or the fake closes). */
  | { kind: 'hang' }
  /** Wait, then give `then`. */
  | { kind: 'delay'; ms: number; then: LlmFakeReply }
  /** Gemini: finishReason SAFETY with no content. OpenAI: a `refusal` message. */
  | { kind: 'refusal'; message?: string }
  /** Close the connection without an answer (a network error for the client). */
  | { kind: 'drop' }
  /** The default heuristic classification. */
  | { kind: 'heuristic' };

export interface RecordedLlmRequest extends RecordedHttpRequest {
  model: string | null;
}

export interface GeminiFakeRequest extends RecordedLlmRequest {
  /** Set for the Vertex path. */
  vertex: { project: string; location: string } | null;
  /** systemInstruction text, then contents text, joined by a blank line (what the heuristic reads). */
  promptText: string;
}

export type LlmFakeResponder<R> = (request: R) => LlmFakeReply | Promise<LlmFakeReply>;

export interface GeminiFakeOptions {
  port?: number;
  /** When set, Gemini API calls must carry this key (x-goog-api-key or ?key=), else 400 API_KEY_INVALID. */
  apiKey?: string;
  /** When set, Vertex calls must carry `Authorization: Bearer <accessToken>`, else 401 UNAUTHENTICATED. */
  accessToken?: string;
  respond?: LlmFakeResponder<GeminiFakeRequest>;
  /** Reported as modelVersion; defaults to the model in the path. */
  modelVersion?: string;
}

export interface GeminiFake {
  /** Base URL for the SDK (no trailing slash, no API version). */
  url: string;
  requests: GeminiFakeRequest[];
  enqueue(...replies: LlmFakeReply[]): void;
  setResponder(responder: LlmFakeResponder<GeminiFakeRequest> | null): void;
  /** Forget requests, queue and responder. */
  reset(): void;
  close(): Promise<void>;
}

const GOOGLE_STATUS: Record<number, { status: string; message: string }> = {
  400: { status: 'INVALID_ARGUMENT', message: 'Request contains an invalid argument.' },
  401: {
    status: 'UNAUTHENTICATED',
    message:
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
  },
  403: { status: 'PERMISSION_DENIED', message: 'Method doesn\'t allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.' },
  404: { status: 'NOT_FOUND', message: 'Requested entity was not found.' },
  429: {
    status: 'RESOURCE_EXHAUSTED',
    message: 'You exceeded your current quota, please check your plan and billing details.',
  },
  500: {
    status: 'INTERNAL',
    message: 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  },
  503: { status: 'UNAVAILABLE', message: 'The model is overloaded. Please try again later.' },
  504: { status: 'DEADLINE_EXCEEDED', message: 'The request timed out. Please try again.' },
};

const GEMINI_PATH = /^\/(v1beta|v1alpha|v1)\/models\/([^/:]+):generateContent$/;
const VERTEX_PATH = /^\/(v1beta1|v1)\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/google\/models\/([^/:]+):generateContent$/;

export async function startGeminiFake(options: GeminiFakeOptions = {}): Promise<GeminiFake> {
  const script = llmFakeScript<GeminiFakeRequest>(options.respond ?? null);

  const server = await startFakeHttpServer(options.port ?? 0, async (recorded, res, exchange) => {
    const gemini = GEMINI_PATH.exec(recorded.path);
    const vertex = VERTEX_PATH.exec(recorded.path);
    const model = gemini?.[2] ?? vertex?.[4] ?? null;
    const request: GeminiFakeRequest = {
      ...recorded,
      model,
      vertex: vertex ? { project: vertex[2] ?? '', location: vertex[3] ?? '' } : null,
      promptText: geminiPromptText(recorded.body),
    };
    script.controls.requests.push(request);

    if (recorded.method !== 'POST' || model === null) {
      return sendGoogleError(res, 404, `Requested entity was not found: ${recorded.method} ${recorded.path}`);
    }
    if (gemini && options.apiKey !== undefined) {
      const key = headerValue(recorded.headers['x-goog-api-key']) ?? recorded.query.key;
      if (key !== options.apiKey) return sendGoogleError(res, 400, 'API key not valid. Please pass a valid API key.');
    }
    if (vertex && options.accessToken !== undefined) {
      if (headerValue(recorded.headers.authorization) !== `Bearer ${options.accessToken}`) return sendGoogleError(res, 401);
    }
    if (recorded.body === null) return sendGoogleError(res, 400, 'Invalid JSON payload received.');

    await exchange.play(await script.next(request), (final) => {
      switch (final.kind) {
        case 'json':
          return sendGeminiText(res, request, JSON.stringify(final.value), options.modelVersion, final.usage);
        case 'text':
          return sendGeminiText(res, request, final.text, options.modelVersion);
        case 'heuristic':
          return sendGeminiText(res, request, JSON.stringify(heuristicClassification(request.promptText)), options.modelVersion);
        case 'error':
          return sendGoogleError(res, final.status, final.message, final.code);
        case 'refusal':
          return sendJson(res, 200, {
            candidates: [{ finishReason: 'SAFETY', index: 0, safetyRatings: [] }],
            usageMetadata: { promptTokenCount: estimateTokens(request.promptText), totalTokenCount: estimateTokens(request.promptText) },
            modelVersion: options.modelVersion ?? request.model,
            responseId: randomUUID().replace(/-/g, '').slice(0, 22),
          });
      }
    });
  });

  return { url: server.url, ...script.controls, close: () => server.close() };
}

function geminiPromptText(body: any): string {
  const texts = (parts: unknown): string[] =>
    Array.isArray(parts) ? parts.map((p: any) => (typeof p?.text === 'string' ? p.text : '')).filter(Boolean) : [];
  const system = texts(body?.systemInstruction?.parts);
  const contents = Array.isArray(body?.contents) ? body.contents.flatMap((c: any) => texts(c?.parts)) : [];
  return [...system, ...contents].join('\n\n');
}

function sendGeminiText(
  res: http.ServerResponse,
  request: GeminiFakeRequest,
  text: string,
  modelVersion: string | undefined,
  usage?: { input?: number; output?: number },
): void {
  const promptTokenCount = usage?.input ?? estimateTokens(request.promptText);
  const candidatesTokenCount = usage?.output ?? estimateTokens(text);
  sendJson(res, 200, {
    candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount, candidatesTokenCount, totalTokenCount: promptTokenCount + candidatesTokenCount },
    modelVersion: modelVersion ?? request.model,
    responseId: randomUUID().replace(/-/g, '').slice(0, 22),
  });
}

function sendGoogleError(res: http.ServerResponse, status: number, message?: string, code?: string): void {
  const known = GOOGLE_STATUS[status];
  sendJson(res, status, {
    error: {
      code: status,
      message: message ?? known?.message ?? 'Unknown error.',
      status: code ?? known?.status ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION'),
    },
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Also used by openai-fake.ts

/** The scripting both LLM fakes expose: every request recorded, and each reply from the queue, the responder or the heuristic. */
export interface LlmFakeScript<R> {
  /** The fake's public scripting methods, as its `start…Fake` returns them. */
  controls: {
    requests: R[];
    enqueue(...replies: LlmFakeReply[]): void;
    setResponder(responder: LlmFakeResponder<R> | null): void;
    /** Forget requests, queue and responder (back to the one given at start). */
    reset(): void;
  };
  /** The reply to `request`: the next queued one, else the responder's, else the heuristic. */
  next(request: R): Promise<LlmFakeReply>;
}

export function llmFakeScript<R>(initialResponder: LlmFakeResponder<R> | null): LlmFakeScript<R> {
  const requests: R[] = [];
  const queue: LlmFakeReply[] = [];
  let responder = initialResponder;
  return {
    controls: {
      requests,
      enqueue: (...replies) => void queue.push(...replies),
      setResponder: (next) => {
        responder = next;
      },
      reset: () => {
        requests.length = 0;
        queue.length = 0;
        responder = initialResponder;
      },
    },
    next: async (request) => queue.shift() ?? (responder ? await responder(request) : { kind: 'heuristic' }),
  };
}

/** Roughly 4 characters per token, as the providers' own rules of thumb say. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

// ---------------------------------------------------------------------------------------------------------------
// Default answer: a tiny keyword heuristic, so a demo without real keys still gets plausible classifications.

interface PromptProduct {
  code: string;
  name: string;
  keywords: string[];
  colors: string[];
  sizes: string[];
}

const fold = (s: string) => s.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();
const stem = (s: string) => fold(s).replace(/(es|s)$/, '').replace(/[ao]$/, '');
const NUMBER_WORDS: Record<string, number> = { un: 1, una: 1, uno: 1, dos: 2, tres: 3, cuatro: 4, cinco: 5 };

/**
 * Reads the prompt the worker builds: catalog lines (`{"code":...}` JSON, one per line), `Featured product: X`
 * and `Comment: "<json string>"`. Anything it cannot read yields `other`.
 */
export function heuristicClassification(promptText: string): {
  intent: 'purchase' | 'question' | 'cancel' | 'other';
  items: Array<{ product: string | null; color: string | null; size: string | null; quantity: number | null }>;
  confidence: number;
} {
  const products: PromptProduct[] = [];
  for (const line of promptText.split('\n')) {
    if (!line.startsWith('{"code":')) continue;
    try {
      products.push(JSON.parse(line) as PromptProduct);
    } catch {
      // not a catalog line after all
    }
  }
  const featured = /^Featured product: (\S+)$/m.exec(promptText)?.[1] ?? null;
  let comment = '';
  const quoted = /^Comment: (".*")$/m.exec(promptText)?.[1];
  try {
    comment = quoted ? (JSON.parse(quoted) as string) : '';
  } catch {
    comment = '';
  }
  const text = fold(comment);
  const words = text.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  const other = { intent: 'other' as const, items: [], confidence: 0.5 };
  if (!text) return other;

  const mentioned =
    products.find((p) => words.includes(p.code)) ??
    products.find((p) => p.keywords.some((k) => words.some((w) => stem(w) === stem(k))));
  const product = mentioned ?? products.find((p) => p.code === featured);

  const color = product?.colors.find((c) => words.some((w) => stem(w) === stem(c))) ?? null;
  const size = product?.sizes.find((s) => words.some((w) => w.toUpperCase() === s.toUpperCase())) ?? null;
  if (/\b(cancel|anul|ya no (la|lo|las|los) ?quiero|me arrepenti)/.test(text)) {
    return { intent: 'cancel', items: product ? [{ product: product.code, color, size, quantity: null }] : [], confidence: 0.6 };
  }
  const claims = /\b(quiero|mia|mio|llevo|aparta|apartame|aparto|separa|separame|separado|sold|yo|para mi)\b/.test(text);
  if (!claims && (text.includes('?') || /^(cuanto|precio|hay|tienen|viene|hacen|aceptan|que|como|donde)\b/.test(text))) {
    return { intent: 'question', items: [], confidence: 0.6 };
  }
  if (product && (claims || color !== null || size !== null || mentioned)) {
    const numeric = words.find((w) => /^\d{1,2}$/.test(w) && w !== product.code && !product.sizes.includes(w));
    const spelled = words.find((w) => NUMBER_WORDS[w] !== undefined);
    const quantity = numeric ? Number(numeric) : spelled ? (NUMBER_WORDS[spelled] ?? 1) : 1;
    return { intent: 'purchase', items: [{ product: product.code, color, size, quantity }], confidence: 0.6 };
  }
  return other;
}
