import type http from 'node:http';
import { randomBytes } from 'node:crypto';
import { headerValue, sendJson, startFakeHttpServer } from './fake-http.js';
import { estimateTokens, heuristicClassification, llmFakeScript } from './gemini-fake.js';
import type { LlmFakeReply, LlmFakeResponder, RecordedLlmRequest } from './gemini-fake.js';

export type { LlmFakeReply } from './gemini-fake.js';

/**
 * Local stand-in for OpenAI's Chat Completions API and OpenRouter's copy of it, speaking the real wire format.
 *
 *   POST /v1/chat/completions       (OpenAI; base URL `${fake.url}/v1`)
 *   POST /api/v1/chat/completions   (OpenRouter; base URL `${fake.url}/api/v1`)
 *
 * Success: `{id, object:'chat.completion', created, model, choices:[{index:0, message:{role:'assistant', content,
 * refusal:null}, finish_reason:'stop'}], usage:{prompt_tokens, completion_tokens, total_tokens}}`.
 * Errors: OpenAI's `{error:{message,type,param,code}}`; with the OpenRouter flavour, OpenRouter's
 * `{error:{code:<status>,message,metadata}}`. The flavour follows the path (`/api/v1` → openrouter) unless fixed
 * in the options.
 *
 * Scripting is the same as the Gemini fake: queue, then responder, then the keyword heuristic over the
 * system + user messages (see gemini-fake.ts).
 */

export interface OpenAiFakeRequest extends RecordedLlmRequest {
  flavor: 'openai' | 'openrouter';
  /** System and user message contents joined by a blank line (what the heuristic reads). */
  promptText: string;
}

export interface OpenAiFakeOptions {
  port?: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`, else 401 invalid_api_key. */
  apiKey?: string;
  flavor?: 'openai' | 'openrouter';
  respond?: LlmFakeResponder<OpenAiFakeRequest>;
}

export interface OpenAiFake {
  /** Server root; append `/v1` (OpenAI) or `/api/v1` (OpenRouter) for the client's base URL. */
  url: string;
  /** `${url}/v1` */
  openAiBaseUrl: string;
  /** `${url}/api/v1` */
  openRouterBaseUrl: string;
  requests: OpenAiFakeRequest[];
  enqueue(...replies: LlmFakeReply[]): void;
  setResponder(responder: LlmFakeResponder<OpenAiFakeRequest> | null): void;
  reset(): void;
  close(): Promise<void>;
}

const CHAT_PATH = /^(\/api)?\/v1\/chat\/completions$/;

const OPENAI_ERRORS: Record<number, { message: string; type: string; param: string | null; code: string | null }> = {
  400: { message: "Invalid schema for response_format 'comment_intent'.", type: 'invalid_request_error', param: 'response_format', code: null },
  401: {
    message: 'Incorrect API key provided: sk-fake***************. You can find your API key at https://platform.openai.com/account/api-keys.',
    type: 'invalid_request_error',
    param: null,
    code: 'invalid_api_key',
  },
  403: { message: 'Project does not have access to this model.', type: 'invalid_request_error', param: null, code: 'model_not_found' },
  404: { message: 'The model does not exist or you do not have access to it.', type: 'invalid_request_error', param: null, code: 'model_not_found' },
  429: {
    message: 'Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.',
    type: 'requests',
    param: null,
    code: 'rate_limit_exceeded',
  },
  500: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: null },
  503: { message: 'The engine is currently overloaded, please try again later.', type: 'server_error', param: null, code: null },
};

export async function startOpenAiFake(options: OpenAiFakeOptions = {}): Promise<OpenAiFake> {
  const script = llmFakeScript<OpenAiFakeRequest>(options.respond ?? null);

  const server = await startFakeHttpServer(options.port ?? 0, async (recorded, res, exchange) => {
    const match = CHAT_PATH.exec(recorded.path);
    const flavor = options.flavor ?? (match?.[1] ? 'openrouter' : 'openai');
    const request: OpenAiFakeRequest = {
      ...recorded,
      model: typeof recorded.body?.model === 'string' ? recorded.body.model : null,
      flavor,
      promptText: chatPromptText(recorded.body),
    };
    script.controls.requests.push(request);

    if (recorded.method !== 'POST' || !match) {
      return sendError(res, flavor, 404, `Invalid URL (${recorded.method} ${recorded.path})`, null);
    }
    if (options.apiKey !== undefined && headerValue(recorded.headers.authorization) !== `Bearer ${options.apiKey}`) {
      return sendError(res, flavor, 401);
    }
    if (recorded.body === null) {
      return sendError(res, flavor, 400, 'We could not parse the JSON body of your request.', null);
    }

    await exchange.play(await script.next(request), (final) => {
      switch (final.kind) {
        case 'json':
          return sendCompletion(res, request, JSON.stringify(final.value), null, final.usage);
        case 'text':
          return sendCompletion(res, request, final.text, null);
        case 'heuristic':
          return sendCompletion(res, request, JSON.stringify(heuristicClassification(request.promptText)), null);
        case 'refusal':
          return sendCompletion(res, request, null, final.message ?? "I'm sorry, I can't assist with that request.");
        case 'error':
          return sendError(res, flavor, final.status, final.message, final.code);
      }
    });
  });

  return {
    url: server.url,
    openAiBaseUrl: `${server.url}/v1`,
    openRouterBaseUrl: `${server.url}/api/v1`,
    ...script.controls,
    close: () => server.close(),
  };
}

function chatPromptText(body: any): string {
  if (!Array.isArray(body?.messages)) return '';
  return body.messages
    .map((m: any) => (typeof m?.content === 'string' ? m.content : ''))
    .filter(Boolean)
    .join('\n\n');
}

function sendCompletion(
  res: http.ServerResponse,
  request: OpenAiFakeRequest,
  content: string | null,
  refusal: string | null,
  usage?: { input?: number; output?: number },
): void {
  const prompt_tokens = usage?.input ?? estimateTokens(request.promptText);
  const completion_tokens = usage?.output ?? estimateTokens(content ?? refusal ?? '');
  const openRouter = request.flavor === 'openrouter';
  const message = { role: 'assistant', content, refusal, ...(openRouter ? { reasoning: null } : {}) };
  sendJson(
    res,
    200,
    {
      id: openRouter ? `gen-${Date.now()}-${randomBytes(10).toString('hex')}` : `chatcmpl-${randomBytes(15).toString('base64url')}`,
      ...(openRouter ? { provider: 'OpenAI' } : {}),
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: request.model ?? 'unknown',
      choices: [
        {
          index: 0,
          message,
          logprobs: null,
          finish_reason: 'stop',
          ...(openRouter ? { native_finish_reason: 'stop' } : {}),
        },
      ],
      usage: { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens },
      ...(openRouter ? {} : { system_fingerprint: 'fp_fake' }),
    },
    { 'x-request-id': `req_${randomBytes(16).toString('hex')}` },
  );
}

function sendError(
  res: http.ServerResponse,
  flavor: 'openai' | 'openrouter',
  status: number,
  message?: string,
  code?: string | null,
): void {
  const known = OPENAI_ERRORS[status];
  if (flavor === 'openrouter') {
    // OpenRouter puts the HTTP status in error.code.
    sendJson(res, status, { error: { code: status, message: message ?? known?.message ?? 'Provider returned error', metadata: {} } });
    return;
  }
  sendJson(res, status, {
    error: {
      message: message ?? known?.message ?? 'Unknown error',
      type: known?.type ?? (status >= 500 ? 'server_error' : 'invalid_request_error'),
      param: known?.param ?? null,
      code: code !== undefined ? code : (known?.code ?? null),
    },
  });
}
