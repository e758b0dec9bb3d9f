import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen, parseJson, readBody, scriptQueue, sendJson, sendText } from './fake-http.js';

/**
 * A local Meta Graph API for the Send API — private replies (`recipient.comment_id`) and the buyer's thread
 * (`recipient.id`) — speaking Meta's wire format:
 *
 * - `POST /vNN.N/{page-id | ig-user-id}/messages` (also without the version prefix), JSON body
 *   `{"recipient":{"comment_id"}, "message":{"text"}}`; the token as `Authorization: Bearer`, `?access_token=`
 *   or a body field, as the Graph API accepts all three. Success: `{"recipient_id","message_id":"m_…"}`.
 * - One reply per comment, as Meta enforces it: a second reply to the same comment gets
 *   `(#10900) Activity already replied to`.
 * - Tokens are registered per Page / IG account (`addPageToken`); anything else gets error 190.
 * - Scriptable failures with Meta's real bodies (`failNext`): Graph error codes, bare HTTP statuses, a hung
 *   request (timeout) or a dropped connection.
 * - The buyer's thread as Meta runs it: `recipient.id` must be a buyer the Page knows (a private reply's
 *   recipient, or someone who wrote), and a message goes out only inside the 24 h Standard Messaging Window that
 *   the buyer's last message opened — a private reply does not open it; outside it Meta answers
 *   `(#10) This message is sent outside of allowed window.` (subcode 2018278 Messenger, 2534022 Instagram).
 *   `messaging_type: "UTILITY"` with an approved template (`utilityTemplates`) goes out without the window.
 *   Message tags (`tag`, `messaging_type: "MESSAGE_TAG"`) answer error 100, as Meta does since 27 April 2026.
 * - Meta's message limits: Messenger text < 2000 characters, Instagram text ≤ 1000 UTF-8 bytes, button template
 *   text ≤ 640 characters with 1–3 buttons, button / quick-reply titles ≤ 20 characters, ≤ 13 quick replies,
 *   payloads ≤ 1000 characters.
 * - `buyerWrites` plays the buyer answering (text, quick reply or postback): it opens the window and returns the
 *   signed `messages` / `messaging_postbacks` webhook Meta would POST (`deliverWebhook` posts it).
 * - Usage headers (`setUsage`): `X-App-Usage` / `X-Business-Use-Case-Usage` on every answer.
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
  /** Accounts that are Instagram accounts (their text limit is in bytes; their webhooks say `instagram`). */
  instagramAccounts?: string[];
  /** App secret that signs the webhooks `buyerWrites` builds (X-Hub-Signature-256). */
  appSecret?: string;
  /** Approved UTILITY template names per Page (the Page has `page_utility_messaging`). */
  utilityTemplates?: Record<string, string[]>;
}

/** A message Meta accepted into a buyer's thread (`recipient.id`). */
export interface MetaGraphFakeThreadMessage {
  accountId: string;
  buyerId: string;
  messagingType: string | null;
  /** The visible text (text, template text or the utility template's name). */
  text: string;
  message: Record<string, unknown>;
  messageId: string;
  at: number;
}

export interface BuyerMessageInput {
  accountId: string;
  buyerId: string;
  text?: string;
  quickReplyPayload?: string;
  /** A tap on a postback button: `title` and `payload`. */
  postback?: { title: string; payload: string };
  /** When the buyer wrote (ms); default now. */
  at?: number;
}

export interface SignedWebhook {
  /** The raw JSON body, as Meta sends it. */
  body: string;
  /** `sha256=<hex>` over the body with the app secret. */
  signature: string;
  mid: string;
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
  /** The whole `message` object sent. */
  message: Record<string, unknown>;
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
  /** When the request arrived (ms since the epoch). */
  receivedAt: number;
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

export interface FakeLiveVideo {
  /** The LiveVideo id. */
  id: string;
  /** The id of its video: what comments carry as the second part of their post id. */
  video_id: string;
  status: 'UNPUBLISHED' | 'LIVE' | 'LIVE_STOPPED' | 'PROCESSING' | 'VOD' | 'SCHEDULED_UNPUBLISHED' | 'SCHEDULED_LIVE' | 'SCHEDULED_EXPIRED' | 'SCHEDULED_CANCELED';
  live_views: number;
  title?: string;
  broadcast_start_time?: string;
}

export interface MetaGraphFake {
  /** Base URL with the version, ready for META_GRAPH_URL: `http://127.0.0.1:PORT/v21.0`. */
  url: string;
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  port: number;
  /** Private replies Meta accepted, in order. */
  readonly replies: MetaGraphFakeReply[];
  /** Thread messages (`recipient.id`) Meta accepted, in order. */
  readonly threadMessages: MetaGraphFakeThreadMessage[];
  /** Every request received, in order. */
  readonly requests: MetaGraphFakeRequest[];
  /** Registers (or replaces: a rotation) the Page access token of a Page or IG account. */
  addPageToken(accountId: string, token: string): void;
  /** The next `count` Send API requests fail this way (before any token or duplicate check). */
  failNext(failure: MetaGraphFailure, count?: number): void;
  /** The commenter of a comment: the recipient id its private reply answers with (default: a new id per comment). */
  addCommenter(accountId: string, commentId: string, buyerId: string): void;
  /** The buyer writes to the account: opens the 24 h window and returns the signed webhook Meta would send. */
  buyerWrites(input: BuyerMessageInput): SignedWebhook;
  /** POSTs a webhook built by `buyerWrites` to `url` (the ingress's /webhooks/meta). */
  deliverWebhook(url: string, hook: SignedWebhook): Promise<Response>;
  /** Usage headers on every answer from now on (null: none). */
  setUsage(usage: { app?: Record<string, number>; business?: Record<string, unknown> } | null): void;
  /** Most requests to `accountId`'s /messages that arrived within any `windowMs` (half-open) window. */
  maxRequestsPerWindow(accountId: string, windowMs: number): number;
  /**
   * A live video on a Page, served by `GET /{page-id}/live_videos` (Live Video API: `fields` picks among id, status,
   * live_views, title, broadcast_start_time, permalink_url, video{id}; `broadcast_status` filters by status).
   * Setting it again updates it (viewers come and go).
   */
  setLiveVideo(pageId: string, video: FakeLiveVideo): void;
  /** Forgets replies, requests, threads, buyers and scripted failures (tokens stay). */
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
  10: { httpStatus: 403, code: 10, subcode: 2018278, type: 'OAuthException', message: '(#10) This message is sent outside of allowed window.' },
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
const LIVE_VIDEOS_PATH = /^(?:\/(v\d+\.\d+))?\/([^/]+)\/live_videos\/?$/;

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

const WINDOW_MS = 24 * 3600_000;
const TEXT_LIMIT = 2000;
const IG_TEXT_BYTES = 1000;
const BUTTON_TEXT_LIMIT = 640;
const TITLE_LIMIT = 20;
const PAYLOAD_LIMIT = 1000;
const QUICK_REPLIES_MAX = 13;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Meta's checks of a `message` object; the (#100) message of the first problem, or null. Also its visible text. */
function checkMessage(message: unknown, instagram: boolean): { problem: string | null; text: string } {
  if (!isObject(message)) return { problem: '(#100) The parameter message is required', text: '' };
  const textLimit = (t: string) =>
    instagram ? (Buffer.byteLength(t, 'utf8') > IG_TEXT_BYTES ? `(#100) Length of param message[text] must be less than or equal to ${IG_TEXT_BYTES} bytes` : null) : t.length >= TEXT_LIMIT ? `(#100) Length of param message[text] must be less than ${TEXT_LIMIT}` : null;
  const title = (t: unknown, where: string) => (typeof t !== 'string' || t.length === 0 ? `(#100) ${where}[title] is required` : t.length > TITLE_LIMIT ? `(#100) ${where}[title] must be at most ${TITLE_LIMIT} characters` : null);
  if (Array.isArray(message.quick_replies)) {
    if (message.quick_replies.length > QUICK_REPLIES_MAX) return { problem: `(#100) param message[quick_replies] must have at most ${QUICK_REPLIES_MAX} elements`, text: '' };
    for (const q of message.quick_replies) {
      if (!isObject(q)) return { problem: '(#100) Invalid quick reply', text: '' };
      if (q.content_type === 'text') {
        const p = title(q.title, 'quick_replies') ?? (typeof q.payload === 'string' && q.payload.length > PAYLOAD_LIMIT ? '(#100) quick_replies[payload] is too long' : null);
        if (p) return { problem: p, text: '' };
      }
    }
  }
  if (typeof message.text === 'string') {
    if (message.text.length === 0) return { problem: '(#100) Param message must be non-empty', text: '' };
    return { problem: textLimit(message.text), text: message.text };
  }
  const attachment = message.attachment;
  if (isObject(attachment) && attachment.type === 'template' && isObject(attachment.payload)) {
    const p = attachment.payload;
    if (p.template_type === 'button') {
      const text = typeof p.text === 'string' ? p.text : '';
      if (!text) return { problem: '(#100) param message[attachment][payload][text] is required', text };
      if (text.length > BUTTON_TEXT_LIMIT) return { problem: `(#100) Param text must be at most ${BUTTON_TEXT_LIMIT} characters long.`, text };
      const buttons = Array.isArray(p.buttons) ? p.buttons : [];
      if (buttons.length < 1 || buttons.length > 3) return { problem: '(#100) param buttons must have 1 to 3 elements', text };
      for (const b of buttons) {
        if (!isObject(b)) return { problem: '(#100) Invalid button', text };
        const t = title(b.title, 'buttons');
        if (t) return { problem: t, text };
        if (b.type === 'web_url' && (typeof b.url !== 'string' || !/^https?:\/\//.test(b.url))) return { problem: '(#100) buttons[url] must be a valid URL', text };
        if (b.type === 'postback' && (typeof b.payload !== 'string' || b.payload.length > PAYLOAD_LIMIT)) return { problem: '(#100) buttons[payload] is required and at most 1000 characters', text };
        if (b.type !== 'web_url' && b.type !== 'postback') return { problem: `(#100) Unsupported button type ${String(b.type)}`, text };
      }
      return { problem: null, text };
    }
    if (p.template_type === 'generic') return { problem: null, text: String((p.elements as Json[] | undefined)?.[0]?.title ?? '') };
    return { problem: `(#100) Unsupported template_type ${String(p.template_type)}`, text: '' };
  }
  if (isObject(message.template) && typeof message.template.name === 'string') return { problem: null, text: message.template.name };
  return { problem: '(#100) Param message must be non-empty', text: '' };
}

export async function startMetaGraphFake(options: MetaGraphFakeOptions = {}): Promise<MetaGraphFake> {
  const version = options.version ?? 'v21.0';
  const tokens = new Map<string, string>(Object.entries(options.pageTokens ?? {}));
  const instagram = new Set(options.instagramAccounts ?? []);
  const utility = new Map<string, string[]>(Object.entries(options.utilityTemplates ?? {}));
  const replies: MetaGraphFakeReply[] = [];
  const threadMessages: MetaGraphFakeThreadMessage[] = [];
  const requests: MetaGraphFakeRequest[] = [];
  /** `${account}:${comment}` → the commenter's scoped id. */
  const commenters = new Map<string, string>();
  /** `${account}:${buyer}` → the buyer's last message time (ms), or 0 when Meta only knows them (a private reply). */
  const buyers = new Map<string, number>();
  let usage: { app?: Record<string, number>; business?: Record<string, unknown> } | null = null;
  const failures = scriptQueue<MetaGraphFailure>();
  /** `${accountId}:${commentId}` of every comment replied to (Meta: one private reply per comment). */
  const replied = new Set<string>();
  const hanging = new Set<ServerResponse>();
  let seq = 0;
  /** page id → its live videos. */
  const liveVideos = new Map<string, FakeLiveVideo[]>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const receivedAt = Date.now();
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
      receivedAt,
    };
    requests.push(record);
    const usageHeaders: Record<string, string> = {};
    if (usage?.app) usageHeaders['x-app-usage'] = JSON.stringify(usage.app);
    if (usage?.business) usageHeaders['x-business-use-case-usage'] = JSON.stringify(usage.business);
    const answerError = (e: GraphError) => {
      record.status = e.httpStatus;
      record.errorCode = e.code;
      const headers: Record<string, string> =
        e.code === 190 ? { 'www-authenticate': `OAuth "Facebook Platform" "invalid_token" "${e.message.replace(/"/g, "'")}"` } : {};
      sendJson(res, e.httpStatus, graphErrorBody(e), { ...headers, ...usageHeaders });
    };

    const liveVideosPath = LIVE_VIDEOS_PATH.exec(target.pathname);
    if (liveVideosPath && req.method === 'GET') return answerLiveVideos(decodeURIComponent(liveVideosPath[2]!), target.searchParams, token, record, answerError, res, usageHeaders);
    if (!match || req.method !== 'POST') {
      return answerError({ httpStatus: 400, code: 2500, type: 'OAuthException', message: `Unknown path components: ${target.pathname}` });
    }
    const accountId = record.accountId!;
    const recipient = (body as { recipient?: { comment_id?: unknown; id?: unknown } } | undefined)?.recipient;
    const commentId = typeof recipient?.comment_id === 'string' ? recipient.comment_id : undefined;
    const buyerId = typeof recipient?.id === 'string' ? recipient.id : undefined;
    const message = (body as { message?: unknown } | undefined)?.message;
    const checked = checkMessage(message, instagram.has(accountId));
    const text = checked.text;

    const store = (): MetaGraphFakeReply => {
      replied.add(`${accountId}:${commentId}`);
      const recipientId = commenters.get(`${accountId}:${commentId}`) ?? `${7_000_000_000_000_000 + ++seq}`;
      if (!buyers.has(`${accountId}:${recipientId}`)) buyers.set(`${accountId}:${recipientId}`, 0);
      const reply: MetaGraphFakeReply = {
        accountId,
        commentId: commentId!,
        text: String(text),
        token: token!,
        recipientId,
        messageId: `m_${randomBytes(24).toString('base64url')}`,
        version: record.version,
        at: new Date().toISOString(),
        message: (message ?? {}) as Record<string, unknown>,
      };
      replies.push(reply);
      return reply;
    };

    const scripted = failures.shift();
    if (scripted !== undefined) {
      const f = resolveFailure(scripted);
      if (f.kind === 'reset') return void req.socket.destroy();
      if (f.kind === 'timeout') {
        if (f.deliver && commentId && text && !replied.has(`${accountId}:${commentId}`)) store();
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
    const b = body as Json;
    // Meta removed these tags on 27 April 2026: "all API requests containing the Message Tags … will receive error code 100".
    if (b.tag !== undefined || b.messaging_type === 'MESSAGE_TAG') {
      return answerError({ ...KNOWN_ERRORS[100]!, message: `(#100) The message tag ${String(b.tag ?? '')} is no longer supported` });
    }
    if (checked.problem) return answerError({ ...KNOWN_ERRORS[100]!, message: checked.problem });
    const ok = (payload: Json) => {
      record.status = 200;
      sendJson(res, 200, payload, usageHeaders);
    };

    if (commentId) {
      if (replied.has(`${accountId}:${commentId}`)) return answerError(KNOWN_ERRORS[10900]!);
      const reply = store();
      return ok({ recipient_id: reply.recipientId, message_id: reply.messageId });
    }
    if (!buyerId) return answerError({ ...KNOWN_ERRORS[100]!, message: '(#100) Param recipient[comment_id] must be a valid ID string' });
    const lastInbound = buyers.get(`${accountId}:${buyerId}`);
    if (lastInbound === undefined) return answerError({ ...KNOWN_ERRORS[100]!, subcode: 2018001, message: '(#100) No matching user found' });
    if (b.messaging_type === 'UTILITY') {
      const name = isObject(message) && isObject(message.template) ? message.template.name : undefined;
      if (!(utility.get(accountId) ?? []).includes(String(name))) {
        return answerError({ ...KNOWN_ERRORS[100]!, message: `(#100) Template name ${String(name)} does not exist or is not approved for this Page` });
      }
    } else if (!(lastInbound > 0 && Date.now() < lastInbound + WINDOW_MS)) {
      return answerError({ ...KNOWN_ERRORS[10]!, subcode: instagram.has(accountId) ? 2534022 : 2018278 });
    }
    const sent: MetaGraphFakeThreadMessage = {
      accountId,
      buyerId,
      messagingType: typeof b.messaging_type === 'string' ? b.messaging_type : null,
      text,
      message: message as Json,
      messageId: `m_${randomBytes(24).toString('base64url')}`,
      at: Date.now(),
    };
    threadMessages.push(sent);
    return ok({ recipient_id: buyerId, message_id: sent.messageId });
  };

  /** `GET /{page-id}/live_videos`: the Page's token, then its live videos with the requested fields, paged like Graph. */
  const answerLiveVideos = (
    pageId: string,
    query: URLSearchParams,
    token: string | null,
    record: MetaGraphFakeRequest,
    answerError: (e: GraphError) => void,
    res: ServerResponse,
    usageHeaders: Record<string, string>,
  ) => {
    record.accountId = pageId;
    const scripted = failures.shift();
    if (scripted !== undefined) {
      const f = resolveFailure(scripted);
      if (f.kind === 'error') return answerError(f.error);
      if (f.kind === 'reset' || f.kind === 'timeout') return void res.destroy();
      return answerError({ httpStatus: f.status, code: f.status === 429 ? 4 : 2, type: 'OAuthException', message: 'An unexpected error has occurred. Please retry your request later.' });
    }
    if (!token) return answerError({ httpStatus: 400, code: 2500, type: 'OAuthException', message: 'An active access token must be used to query information about the current user.' });
    const expected = tokens.get(pageId);
    if (expected === undefined) {
      return answerError({ httpStatus: 400, code: 100, subcode: 33, type: 'GraphMethodException', message: `Unsupported get request. Object with ID '${pageId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.` });
    }
    if (token !== expected) return answerError(KNOWN_ERRORS[190]!);
    let statuses: string[] | null = null;
    const filter = query.get('broadcast_status');
    if (filter) {
      const parsed = parseJson(filter)?.value;
      if (!Array.isArray(parsed)) return answerError({ ...KNOWN_ERRORS[100]!, message: '(#100) param broadcast_status must be an array.' });
      statuses = parsed.map(String);
    }
    const fields = (query.get('fields') ?? 'id,status').split(/,(?![^{]*})/).map((f) => f.trim());
    const shape = (v: FakeLiveVideo): Json => {
      const out: Json = {};
      for (const f of fields) {
        if (f === 'id') out.id = v.id;
        else if (f === 'status') out.status = v.status;
        else if (f === 'live_views') out.live_views = v.live_views;
        else if (f === 'title' && v.title !== undefined) out.title = v.title;
        else if (f === 'broadcast_start_time' && v.broadcast_start_time !== undefined) out.broadcast_start_time = v.broadcast_start_time;
        else if (f === 'permalink_url') out.permalink_url = `/${pageId}/videos/${v.video_id}/`;
        else if (f === 'video' || f.startsWith('video{')) out.video = { id: v.video_id };
      }
      if (out.id === undefined) out.id = v.id;
      return out;
    };
    const data = (liveVideos.get(pageId) ?? []).filter((v) => !statuses || statuses.includes(v.status)).map(shape);
    record.status = 200;
    sendJson(res, 200, { data, paging: { cursors: { before: 'QVFIUk', after: 'QVFIUm' } } }, usageHeaders);
  };

  const server = await listen(handle, { port: options.port, onError: (res) => sendJson(res, 500, graphErrorBody(KNOWN_ERRORS[1]!)) });
  const { port, url: origin } = server;

  return {
    url: `${origin}/${version}`,
    origin,
    port,
    replies,
    threadMessages,
    requests,
    addPageToken(accountId, token) {
      tokens.set(accountId, token);
    },
    failNext: (failure, count) => failures.push(failure, count),
    addCommenter(accountId, commentId, buyerId) {
      commenters.set(`${accountId}:${commentId}`, buyerId);
    },
    buyerWrites(input) {
      const at = input.at ?? Date.now();
      const key = `${input.accountId}:${input.buyerId}`;
      buyers.set(key, Math.max(buyers.get(key) ?? 0, at));
      const ig = instagram.has(input.accountId);
      const mid = `${ig ? 'aWdfZ' : 'm_'}${randomBytes(18).toString('base64url')}`;
      const event: Json = { sender: { id: input.buyerId }, recipient: { id: input.accountId }, timestamp: at };
      if (input.postback) event.postback = { mid, title: input.postback.title, payload: input.postback.payload };
      else event.message = { mid, text: input.text ?? '', ...(input.quickReplyPayload !== undefined ? { quick_reply: { payload: input.quickReplyPayload } } : {}) };
      const payload = { object: ig ? 'instagram' : 'page', entry: [{ id: input.accountId, time: at, messaging: [event] }] };
      // Meta escapes non-ASCII as \uXXXX in what it signs; JSON.stringify does not, so escape it the same way.
      const bodyText = JSON.stringify(payload).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
      const signature = `sha256=${createHmac('sha256', options.appSecret ?? '').update(bodyText).digest('hex')}`;
      return { body: bodyText, signature, mid };
    },
    deliverWebhook: (url, hook) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': hook.signature }, body: hook.body }),
    setUsage(u) {
      usage = u;
    },
    maxRequestsPerWindow(accountId, windowMs) {
      const times = requests.filter((r) => r.accountId === accountId).map((r) => r.receivedAt).sort((a, b) => a - b);
      let max = 0;
      for (let i = 0, j = 0; i < times.length; i++) {
        while (times[i]! - times[j]! >= windowMs) j++;
        max = Math.max(max, i - j + 1);
      }
      return max;
    },
    setLiveVideo(pageId, video) {
      const list = liveVideos.get(pageId) ?? [];
      liveVideos.set(pageId, [...list.filter((v) => v.id !== video.id), video]);
    },
    reset() {
      replies.length = 0;
      threadMessages.length = 0;
      requests.length = 0;
      failures.clear();
      replied.clear();
      commenters.clear();
      buyers.clear();
      usage = null;
    },
    close: () => {
      for (const res of hanging) res.destroy();
      return server.close();
    },
  };
}
