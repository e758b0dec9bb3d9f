import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen, parseJson, readBody, scriptQueue, sendJson, sendText } from './fake-http.js';

/**
 * A local Meta Graph API for private replies (the Send API with `recipient.comment_id`), speaking Meta's wire
 * format:
 *
 * - `POST /vNN.N/{page-id | ig-user-id}/messages` (also without the version prefix), JSON body
 *   `{"recipient":{"comment_id"}, "message":{"text"}}`; the token as `Authorization: Bearer`, `?access_token=`
 *   or a body field, as the Graph API accepts all three. Success: `{"recipient_id","message_id":"m_…"}`.
 * - One reply per comment, as Meta enforces it: a second reply to the same comment gets
 *   `(#10900) Activity already replied to`.
 * - Tokens are registered per Page / IG account (`addPageToken`); anything else gets error 190.
 * - Scriptable failures with Meta's real bodies (`failNext`): Graph error codes, bare HTTP statuses, a hung
 *   request (timeout) or a dropped connection.
 *
 * Self-contained (no test-runner imports): `npm start` can use it as Meta's stand-in.
 */

export interface MetaGraphFakeOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Graph version in {@link MetaGraphFake.url}. Default `v21.0`. Requests with any version are accepted. */
  version?: string;
  /** Tokens to start with: account id (Page or IG user id) → Page access token. */
  pageTokens?: Record<string, string>;
}

export interface MetaGraphFakeReply {
  accountId: string;
  commentId: string;
  text: string;
  /** The token the reply was sent with. */
  token: string;
  recipientId: string;
  messageId: string;
  /** Version prefix of the request path (`v21.0`), or null when there was none. */
  version: string | null;
  at: string;
}

export interface MetaGraphFakeRequest {
  method: string;
  /** Path without the query string (never contains the token). */
  path: string;
  accountId: string | null;
  version: string | null;
  /** How the token came: header, query, body, or not at all. */
  tokenVia: 'header' | 'query' | 'body' | null;
  token: string | null;
  body: unknown;
  /** Status answered; null when the request was dropped or left hanging. */
  status: number | null;
  /** Graph error code answered, if any. */
  errorCode: number | null;
}

/**
 * A scripted failure:
 * - a number that is a Graph error code of the Send API table (1, 2, 4, 10, 17, 32, 100, 190, 200, 230, 341, 368,
 *   551, 613, 2022, 10900, 10903, 10904, 80001) → that error with Meta's body and status;
 * - any other number in 400–599 → that HTTP status (5xx/429 with Meta's generic transient body);
 * - `{ code, subcode?, httpStatus?, message? }` → a Graph error of your own;
 * - `{ httpStatus, html: true }` → an HTML error page (what Meta's edge sends on a 502);
 * - `'timeout'` → the request is held without an answer (until `close()`); `{ timeout: true, deliver: true }`
 *   also stores the reply first, like a send whose answer got lost;
 * - `'reset'` → the connection is destroyed without an answer.
 */
export type MetaGraphFailure =
  | number
  | { code: number; subcode?: number; httpStatus?: number; message?: string; type?: string }
  | { httpStatus: number; html?: boolean }
  | 'timeout'
  | { timeout: true; deliver?: boolean }
  | 'reset';

export interface MetaGraphFake {
  /** Base URL with the version, ready for META_GRAPH_URL: `http://127.0.0.1:PORT/v21.0`. */
  url: string;
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  port: number;
  /** Replies Meta accepted, in order. */
  readonly replies: MetaGraphFakeReply[];
  /** Every request received, in order. */
  readonly requests: MetaGraphFakeRequest[];
  /** Registers (or replaces: a rotation) the Page access token of a Page or IG account. */
  addPageToken(accountId: string, token: string): void;
  /** The next `count` Send API requests fail this way (before any token or duplicate check). */
  failNext(failure: MetaGraphFailure, count?: number): void;
  /** Forgets replies, requests and scripted failures (tokens stay). */
  reset(): void;
  close(): Promise<void>;
}

interface GraphError {
  httpStatus: number;
  code: number;
  subcode?: number;
  type: string;
  message: string;
}

/**
 * Meta's bodies for the codes of the Send API error table (graph-api/guides/error-handling and
 * reference/page/messages). Graph answers most errors with 400, token errors with 400 plus `WWW-Authenticate`,
 * throttling with 400/403 (not 429), and its own failures with 500/503.
 */
const KNOWN_ERRORS: Record<number, GraphError> = {
  1: { httpStatus: 500, code: 1, type: 'OAuthException', message: 'An unknown error occurred' },
  2: { httpStatus: 503, code: 2, type: 'OAuthException', message: 'An unexpected error has occurred. Please retry your request later.' },
  4: { httpStatus: 403, code: 4, type: 'OAuthException', message: '(#4) Application request limit reached' },
  10: { httpStatus: 403, code: 10, type: 'OAuthException', message: '(#10) This message is sent outside of allowed window.' },
  17: { httpStatus: 403, code: 17, type: 'OAuthException', message: '(#17) User request limit reached' },
  32: { httpStatus: 403, code: 32, type: 'OAuthException', message: '(#32) Page request limit reached' },
  100: { httpStatus: 400, code: 100, type: 'OAuthException', message: '(#100) Invalid parameter' },
  190: { httpStatus: 400, code: 190, subcode: 463, type: 'OAuthException', message: 'Error validating access token: Session has expired.' },
  200: { httpStatus: 403, code: 200, type: 'OAuthException', message: '(#200) Permissions error' },
  230: { httpStatus: 403, code: 230, type: 'OAuthException', message: '(#230) Requires pages_messaging permission to manage the object' },
  341: { httpStatus: 400, code: 341, type: 'OAuthException', message: '(#341) Application limit reached' },
  368: { httpStatus: 400, code: 368, type: 'OAuthException', message: '(#368) The action attempted has been deemed abusive or is otherwise disallowed' },
  551: { httpStatus: 400, code: 551, subcode: 1545041, type: 'OAuthException', message: "(#551) This person isn't available right now." },
  613: { httpStatus: 400, code: 613, type: 'OAuthException', message: '(#613) Calls to this api have exceeded the rate limit.' },
  2022: { httpStatus: 400, code: 2022, type: 'OAuthException', message: '(#2022) The ability to send commerce messages has been temporarily disabled for this application.' },
  10900: { httpStatus: 400, code: 10900, type: 'OAuthException', message: '(#10900) Activity already replied to' },
  10903: { httpStatus: 400, code: 10903, type: 'OAuthException', message: '(#10903) This user cant reply to this activity' },
  10904: { httpStatus: 400, code: 10904, type: 'OAuthException', message: '(#10904) The page has messages disabled in the settings' },
  80001: { httpStatus: 400, code: 80001, type: 'OAuthException', message: 'There have been too many calls to this Page account. Wait a bit and try again.' },
};

const PATH = /^(?:\/(v\d+\.\d+))?\/([^/]+)\/messages\/?$/;

const fbtraceId = () => randomBytes(8).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 11).padEnd(11, 'A');

function graphErrorBody(e: GraphError) {
  return {
    error: {
      message: e.message,
      type: e.type,
      code: e.code,
      ...(e.subcode !== undefined ? { error_subcode: e.subcode } : {}),
      fbtrace_id: fbtraceId(),
    },
  };
}

function sendGraphError(res: ServerResponse, e: GraphError) {
  // Meta adds WWW-Authenticate on token errors, like any OAuth 2.0 resource server.
  const headers: Record<string, string> =
    e.code === 190 ? { 'www-authenticate': `OAuth "Facebook Platform" "invalid_token" "${e.message.replace(/"/g, "'")}"` } : {};
  sendJson(res, e.httpStatus, graphErrorBody(e), headers);
}

/** What a scripted failure becomes. */
function resolveFailure(f: MetaGraphFailure): { kind: 'error'; error: GraphError } | { kind: 'status'; status: number; html: boolean } | { kind: 'timeout'; deliver: boolean } | { kind: 'reset' } {
  if (f === 'timeout') return { kind: 'timeout', deliver: false };
  if (f === 'reset') return { kind: 'reset' };
  if (typeof f === 'number') {
    const known = KNOWN_ERRORS[f];
    if (known) return { kind: 'error', error: known };
    if (f >= 400 && f <= 599) return { kind: 'status', status: f, html: false };
    return { kind: 'error', error: { httpStatus: 400, code: f, type: 'OAuthException', message: `(#${f}) Unknown error` } };
  }
  if ('timeout' in f) return { kind: 'timeout', deliver: f.deliver === true };
  if ('code' in f) {
    const base = KNOWN_ERRORS[f.code];
    return {
      kind: 'error',
      error: {
        httpStatus: f.httpStatus ?? base?.httpStatus ?? 400,
        code: f.code,
        ...((f.subcode ?? base?.subcode) !== undefined ? { subcode: f.subcode ?? base?.subcode } : {}),
        type: f.type ?? base?.type ?? 'OAuthException',
        message: f.message ?? base?.message ?? `(#${f.code}) Unknown error`,
      },
    };
  }
  return { kind: 'status', status: f.httpStatus, html: f.html === true };
}

export async function startMetaGraphFake(options: MetaGraphFakeOptions = {}): Promise<MetaGraphFake> {
  const version = options.version ?? 'v21.0';
  const tokens = new Map<string, string>(Object.entries(options.pageTokens ?? {}));
  const replies: MetaGraphFakeReply[] = [];
  const requests: MetaGraphFakeRequest[] = [];
  const failures = scriptQueue<MetaGraphFailure>();
  /** `${accountId}:${commentId}` of every comment replied to (Meta: one private reply per comment). */
  const replied = new Set<string>();
  const hanging = new Set<ServerResponse>();
  let seq = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = new URL(req.url ?? '/', 'http://fake');
    const raw = await readBody(req);
    // An empty body is an empty object (a token-only query); a body that is not JSON is undefined.
    const body: unknown = raw.length ? parseJson(raw.toString('utf8'))?.value : {};
    const match = PATH.exec(target.pathname);
    const header = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const query = target.searchParams.get('access_token');
    const inBody = typeof (body as { access_token?: unknown } | undefined)?.access_token === 'string' ? (body as { access_token: string }).access_token : undefined;
    const token = header ?? query ?? inBody ?? null;
    const record: MetaGraphFakeRequest = {
      method: req.method ?? 'GET',
      path: target.pathname,
      accountId: match?.[2] ? decodeURIComponent(match[2]) : null,
      version: match?.[1] ?? null,
      tokenVia: header ? 'header' : query ? 'query' : inBody ? 'body' : null,
      token,
      body,
      status: null,
      errorCode: null,
    };
    requests.push(record);
    const answerError = (e: GraphError) => {
      record.status = e.httpStatus;
      record.errorCode = e.code;
      sendGraphError(res, e);
    };

    if (!match || req.method !== 'POST') {
      return answerError({ httpStatus: 400, code: 2500, type: 'OAuthException', message: `Unknown path components: ${target.pathname}` });
    }
    const accountId = record.accountId!;
    const recipient = (body as { recipient?: { comment_id?: unknown } } | undefined)?.recipient;
    const commentId = typeof recipient?.comment_id === 'string' ? recipient.comment_id : undefined;
    const text = (body as { message?: { text?: unknown } } | undefined)?.message?.text;

    const store = (): MetaGraphFakeReply => {
      replied.add(`${accountId}:${commentId}`);
      const reply: MetaGraphFakeReply = {
        accountId,
        commentId: commentId!,
        text: String(text),
        token: token!,
        recipientId: `${7_000_000_000_000_000 + ++seq}`,
        messageId: `m_${randomBytes(24).toString('base64url')}`,
        version: record.version,
        at: new Date().toISOString(),
      };
      replies.push(reply);
      return reply;
    };

    const scripted = failures.shift();
    if (scripted !== undefined) {
      const f = resolveFailure(scripted);
      if (f.kind === 'reset') return void req.socket.destroy();
      if (f.kind === 'timeout') {
        if (f.deliver && commentId && typeof text === 'string' && !replied.has(`${accountId}:${commentId}`)) store();
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      if (f.kind === 'error') return answerError(f.error);
      record.status = f.status;
      if (f.html) {
        return sendText(res, f.status, 'text/html; charset=utf-8', '<!DOCTYPE html><html><head><title>Error</title></head><body>Sorry, something went wrong.</body></html>');
      }
      const e: GraphError =
        f.status === 429
          ? { httpStatus: 429, code: 4, type: 'OAuthException', message: '(#4) Application request limit reached' }
          : { httpStatus: f.status, code: f.status >= 500 ? 2 : 1, type: 'OAuthException', message: 'An unexpected error has occurred. Please retry your request later.' };
      return answerError(e);
    }

    if (!token) {
      return answerError({ httpStatus: 400, code: 2500, type: 'OAuthException', message: 'An active access token must be used to query information about the current user.' });
    }
    const expected = tokens.get(accountId);
    if (expected === undefined && ![...tokens.values()].includes(token)) {
      return answerError({ httpStatus: 400, code: 190, type: 'OAuthException', message: 'Invalid OAuth access token - Cannot parse access token' });
    }
    if (expected === undefined) {
      return answerError({
        httpStatus: 400,
        code: 100,
        subcode: 33,
        type: 'GraphMethodException',
        message: `Unsupported post request. Object with ID '${accountId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
      });
    }
    if (token !== expected) return answerError(KNOWN_ERRORS[190]!);
    if (body === undefined || !recipient) return answerError({ ...KNOWN_ERRORS[100]!, message: '(#100) The parameter recipient is required' });
    if (!commentId) return answerError({ ...KNOWN_ERRORS[100]!, message: '(#100) Param recipient[comment_id] must be a valid ID string' });
    if (typeof text !== 'string' || text.length === 0) return answerError({ ...KNOWN_ERRORS[100]!, message: '(#100) Param message must be non-empty' });
    if (text.length > 2000) return answerError({ ...KNOWN_ERRORS[100]!, message: '(#100) Length of param message[text] must be less than or equal to 2000' });
    if (replied.has(`${accountId}:${commentId}`)) return answerError(KNOWN_ERRORS[10900]!);

    const reply = store();
    record.status = 200;
    sendJson(res, 200, { recipient_id: reply.recipientId, message_id: reply.messageId });
  };

  const server = await listen(handle, { port: options.port, onError: (res) => sendJson(res, 500, graphErrorBody(KNOWN_ERRORS[1]!)) });
  const { port, url: origin } = server;

  return {
    url: `${origin}/${version}`,
    origin,
    port,
    replies,
    requests,
    addPageToken(accountId, token) {
      tokens.set(accountId, token);
    },
    failNext: (failure, count) => failures.push(failure, count),
    reset() {
      replies.length = 0;
      requests.length = 0;
      failures.clear();
      replied.clear();
    },
    close: () => {
      for (const res of hanging) res.destroy();
      return server.close();
    },
  };
}
