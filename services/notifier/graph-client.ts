import { PermanentError, TransientError } from '../../shared/pubsub/handler-errors.js';
import { parseUsageHeaders, type MetaUsage } from './meta-usage.js';

/**
 * Meta Send API: private replies (`recipient.comment_id`, one per comment) and messages in the buyer's thread
 * (`recipient.id` = page- or Instagram-scoped id, only inside the 24 h window or as a Messenger utility template).
 *
 * - Facebook: `POST {graph}/{page-id}/messages`; Instagram (Facebook Login): `POST {graph}/{ig-user-id}/messages`;
 *   both with `{"recipient":{"comment_id":"…"},"message":{"text":"…"}}` and the Page access token.
 * - The token travels as `Authorization: Bearer …`. Meta's Instagram private-replies guide documents exactly that
 *   header against graph.facebook.com; the older Messenger pages show `?access_token=`. Both are accepted by the
 *   Graph API; the header keeps the token out of URLs, which end up in proxy logs and error messages.
 * - Every answer is classified with Meta's error-code table (docs/graph-api/guides/error-handling and the
 *   `/{page-id}/messages` reference): 10900 "already replied" is a success for us (one reply per comment, and
 *   that is how a retry after a lost answer ends) — the caller decides whose reply it was; rate limits, 5xx, 429 and
 *   timeouts are transient; a rejected token is re-read once (rotation) and then permanent; 10/2018278 and
 *   10/2534022 ("sent outside of allowed window") are {@link MetaOutsideWindowError}; the rest is permanent.
 * - Every answer's `X-App-Usage` / `X-Business-Use-Case-Usage` headers go to `onUsage` (the pacer slows down on them).
 * - Message tags are never sent: Meta removed them (error 100 since 27 April 2026).
 */

export type MetaPlatform = 'facebook' | 'instagram';

/** `recipient` of the Send API: a comment (private reply) or the buyer's page- / Instagram-scoped id (thread). */
export type SendRecipient = { comment_id: string } | { id: string };

/** `messaging_type`: UPDATE (proactive, inside the window), RESPONSE (answering), UTILITY (a utility template). */
export type MessagingType = 'RESPONSE' | 'UPDATE' | 'UTILITY';

export interface SendRequest {
  platform: MetaPlatform;
  /** Page id (Facebook) or Instagram professional account id. */
  accountId: string;
  recipient: SendRecipient;
  /** The Send API `message` object (text, quick_replies, attachment template, or a utility `template`). */
  message: Record<string, unknown>;
  /** Omitted for private replies (Meta's examples send none). */
  messagingType?: MessagingType;
}

export interface PrivateReplyRequest {
  platform: MetaPlatform;
  /** Page id (Facebook) or Instagram professional account id. */
  accountId: string;
  commentId: string;
  text: string;
}

/** Where the Page token comes from; `refresh` bypasses any cache (called once after Meta rejected the token). */
export interface PageTokenProvider {
  get(): Promise<string>;
  refresh(): Promise<string>;
}

/** What Meta said when it refused, as far as it said it. Never includes the token or the message text. */
export interface MetaErrorInfo {
  /** HTTP status, when Meta answered at all. */
  httpStatus?: number;
  code?: number;
  subcode?: number;
  type?: string;
  /** Meta's `error.message`: static per code for the Send API (no user data). */
  message?: string;
  fbtraceId?: string;
}

export type PrivateReplyOutcome = SendOutcome;
export type SendOutcome =
  | {
      status: 'sent';
      httpStatus: number;
      /** Page- or Instagram-scoped id of the recipient, as Meta returns it. */
      recipientId: string | null;
      messageId: string | null;
      /** True when the first token was rejected and the refreshed one worked. */
      tokenRefreshed: boolean;
    }
  /** Meta error 10900: this comment already has a private reply (ours, from an earlier attempt). */
  | { status: 'already_replied'; httpStatus: number; meta: MetaErrorInfo; tokenRefreshed: boolean };

/** A retry later can succeed (rate limit, Meta down, timeout). Caught by the push handler as transient. */
export class MetaTransientError extends TransientError {
  constructor(
    message: string,
    reason: string,
    readonly meta: MetaErrorInfo,
    options?: { cause?: unknown },
  ) {
    super(message, reason, options);
    this.name = 'MetaTransientError';
  }
}

/** Meta will not deliver this reply, whatever we retry (permissions, user unavailable, token dead...). */
export class MetaPermanentError extends PermanentError {
  constructor(
    message: string,
    reason: string,
    readonly meta: MetaErrorInfo,
    options?: { cause?: unknown },
  ) {
    super(message, reason, options);
    this.name = 'MetaPermanentError';
  }
}

/** Meta refused a thread message because the buyer's 24 h window is closed (10/2018278, 10/2534022). */
export class MetaOutsideWindowError extends MetaPermanentError {
  constructor(message: string, meta: MetaErrorInfo) {
    super(message, 'meta_outside_window', meta);
    this.name = 'MetaOutsideWindowError';
  }
}

/** True when the request may have reached Meta (no answer, or an unreadable one): a retry may find it delivered. */
export function mayHaveBeenSent(e: unknown): boolean {
  return e instanceof MetaTransientError && (e.reason === 'meta_timeout' || e.reason === 'meta_unreachable');
}

export type MetaErrorClass =
  | { kind: 'already_replied' }
  | { kind: 'outside_window' }
  | { kind: 'auth' }
  | { kind: 'transient'; reason: string }
  | { kind: 'permanent'; reason: string };

/** Throttling: app (4), user (17), Pages user token (32), 341, custom (613), BUC Pages / Instagram / Messenger. */
const RATE_LIMIT_CODES = new Set([4, 17, 32, 341, 613, 80001, 80002, 80006]);
/** Messenger error-codes page: "This message is sent outside of allowed window." */
const OUTSIDE_WINDOW_SUBCODES = new Set([2018278, 2534022]);
const PERMANENT_CODES: Record<number, string> = {
  10: 'meta_permission_denied',
  100: 'meta_invalid_parameter',
  230: 'meta_permission_denied',
  368: 'meta_blocked_abusive',
  551: 'meta_recipient_unavailable',
  2022: 'meta_commerce_disabled',
  10903: 'meta_cannot_reply',
  10904: 'meta_messages_disabled',
};

/**
 * Meta's error code → what to do. Pure, so the table itself is testable. An error without a code (an HTML page
 * from Meta's edge, an empty body) is judged by its HTTP status; an unknown code with a 4xx is treated as
 * transient — house rule: unknown failures are retryable, and a retry is harmless here because Meta answers
 * 10900 if a reply did go out.
 */
export function classifyMetaError(info: MetaErrorInfo): MetaErrorClass {
  const { code, httpStatus } = info;
  if (code === 10900) return { kind: 'already_replied' };
  if (code === 10 && info.subcode !== undefined && OUTSIDE_WINDOW_SUBCODES.has(info.subcode)) return { kind: 'outside_window' };
  // 102 "API Session" has the same recovery as 190 in Meta's table: get a new token.
  if (code === 190 || code === 102) return { kind: 'auth' };
  if (code === 1 || code === 2) return { kind: 'transient', reason: 'meta_unavailable' };
  if (code !== undefined && RATE_LIMIT_CODES.has(code)) return { kind: 'transient', reason: 'meta_rate_limited' };
  if (code !== undefined && code >= 200 && code <= 299) return { kind: 'permanent', reason: 'meta_permission_denied' };
  if (code !== undefined && PERMANENT_CODES[code]) return { kind: 'permanent', reason: PERMANENT_CODES[code] };
  if (httpStatus === 429) return { kind: 'transient', reason: 'meta_rate_limited' };
  if (httpStatus !== undefined && httpStatus >= 500) return { kind: 'transient', reason: 'meta_unavailable' };
  return { kind: 'transient', reason: code === undefined ? 'meta_unexpected_answer' : 'meta_unknown_error' };
}

export interface GraphClientOptions {
  /** Graph API base URL including the version, e.g. `https://graph.facebook.com/v21.0` (a local fake in tests). */
  baseUrl: string;
  /** Per HTTP call. Two calls (token refresh) must fit inside the push ack deadline (30 s). */
  timeoutMs: number;
  /** Meta's usage headers of every answer (the pacer's input). */
  onUsage?: (accountId: string, usage: MetaUsage) => void;
}

export interface GraphClient {
  /**
   * Sends one private reply. Resolves `sent` or `already_replied`; throws {@link MetaTransientError} or
   * {@link MetaPermanentError}. Errors of the token provider propagate unchanged.
   */
  sendPrivateReply(request: PrivateReplyRequest, token: PageTokenProvider): Promise<PrivateReplyOutcome>;
  /**
   * Any Send API message. Same outcomes as {@link sendPrivateReply}; a thread message outside the window throws
   * {@link MetaOutsideWindowError}.
   */
  send(request: SendRequest, token: PageTokenProvider): Promise<SendOutcome>;
}

/** Graph ids are numeric today; allow a little more, but nothing that could change the request path. */
const GRAPH_ID = /^[A-Za-z0-9_.-]{1,128}$/;

type Attempt =
  | { ok: true; httpStatus: number; recipientId: string | null; messageId: string | null }
  | { ok: false; info: MetaErrorInfo; cls: MetaErrorClass };

export function createGraphClient(options: GraphClientOptions): GraphClient {
  const base = options.baseUrl.replace(/\/+$/, '');

  const describe = (info: MetaErrorInfo) =>
    `Meta ${info.httpStatus ?? 'no answer'}${info.code !== undefined ? ` code ${info.code}` : ''}` +
    `${info.subcode !== undefined ? `/${info.subcode}` : ''}${info.message ? `: ${info.message}` : ''}` +
    `${info.fbtraceId ? ` (fbtrace_id ${info.fbtraceId})` : ''}`;

  const post = async (req: SendRequest, token: string): Promise<Attempt> => {
    let response: Response;
    try {
      response = await fetch(`${base}/${encodeURIComponent(req.accountId)}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          recipient: req.recipient,
          ...(req.messagingType ? { messaging_type: req.messagingType } : {}),
          message: req.message,
        }),
        signal: AbortSignal.timeout(options.timeoutMs),
        redirect: 'error',
      });
    } catch (e) {
      const timedOut = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
      const info: MetaErrorInfo = { message: timedOut ? `no answer within ${options.timeoutMs} ms` : `unreachable: ${(e as Error).message}` };
      throw new MetaTransientError(`Meta Send API ${info.message}`, timedOut ? 'meta_timeout' : 'meta_unreachable', info, { cause: e });
    }
    const usage = parseUsageHeaders(response.headers);
    if (usage && options.onUsage) {
      try {
        options.onUsage(req.accountId, usage);
      } catch {
        // Pacing input only: never a reason to fail a send.
      }
    }
    let text: string;
    try {
      text = await response.text();
    } catch (e) {
      // The body stopped mid-way (often the same timeout): Meta may or may not have sent it; 10900 settles it on retry.
      const info: MetaErrorInfo = { httpStatus: response.status, message: 'answer could not be read' };
      throw new MetaTransientError(`Meta Send API answer could not be read (${response.status})`, 'meta_timeout', info, { cause: e });
    }
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const error = (json as { error?: Record<string, unknown> } | undefined)?.error;
    if (response.ok && !error) {
      const body = (json ?? {}) as { recipient_id?: unknown; message_id?: unknown };
      return {
        ok: true,
        httpStatus: response.status,
        recipientId: typeof body.recipient_id === 'string' ? body.recipient_id : null,
        messageId: typeof body.message_id === 'string' ? body.message_id : null,
      };
    }
    const info: MetaErrorInfo = { httpStatus: response.status };
    if (error && typeof error === 'object') {
      if (typeof error.code === 'number') info.code = error.code;
      if (typeof error.error_subcode === 'number') info.subcode = error.error_subcode;
      if (typeof error.type === 'string') info.type = error.type;
      if (typeof error.message === 'string') info.message = error.message.slice(0, 300);
      if (typeof error.fbtrace_id === 'string') info.fbtraceId = error.fbtrace_id;
    }
    return { ok: false, info, cls: classifyMetaError(info) };
  };

  const send = async (req: SendRequest, tokens: PageTokenProvider): Promise<SendOutcome> => {
    if (!GRAPH_ID.test(req.accountId)) {
      throw new MetaPermanentError(`not a Graph account id: ${JSON.stringify(req.accountId.slice(0, 80))}`, 'invalid_account_id', {});
    }
    const what = 'comment_id' in req.recipient ? 'private reply' : 'message';
    let token = await tokens.get();
    let refreshed = false;
    for (;;) {
      const attempt = await post(req, token);
      if (attempt.ok) {
        return { status: 'sent', httpStatus: attempt.httpStatus, recipientId: attempt.recipientId, messageId: attempt.messageId, tokenRefreshed: refreshed };
      }
      const { info, cls } = attempt;
      switch (cls.kind) {
        case 'already_replied':
          return { status: 'already_replied', httpStatus: info.httpStatus ?? 400, meta: info, tokenRefreshed: refreshed };
        case 'auth': {
          if (!refreshed) {
            // The cached token may predate a rotation: re-read it once. The same value again means nothing
            // changed since, so a second call could only be refused the same way.
            refreshed = true;
            const fresh = await tokens.refresh();
            if (fresh !== token) {
              token = fresh;
              continue;
            }
          }
          throw new MetaPermanentError(`Page token rejected after a refresh: ${describe(info)}`, 'meta_token_invalid', info);
        }
        case 'outside_window':
          throw new MetaOutsideWindowError(`message refused outside the 24 h window: ${describe(info)}`, info);
        case 'transient':
          throw new MetaTransientError(`${what} not sent, will retry: ${describe(info)}`, cls.reason, info);
        case 'permanent':
          throw new MetaPermanentError(`${what} refused: ${describe(info)}`, cls.reason, info);
      }
    }
  };

  return {
    send,
    sendPrivateReply: (req, tokens) =>
      send({ platform: req.platform, accountId: req.accountId, recipient: { comment_id: req.commentId }, message: { text: req.text } }, tokens),
  };
}
