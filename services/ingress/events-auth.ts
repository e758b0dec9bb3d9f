import { hexDigestEquals, hmacSha256Hex } from '../../shared/providers/hmac.js';

/**
 * Authentication of internal producers on `POST /events`:
 *
 *   X-LSS-Signature: t=<unix seconds>,v2=<hex HMAC-SHA256("<t>\n<X-Idempotency-Key>\n<raw body>", events-hmac-secret)>
 *
 * Chosen over Google ID tokens so any producer (a script, another cloud) can sign with one shared secret, and
 * so the same constant-time, replay-bounded check as the provider webhooks applies.
 *
 * Everything the ingress acts on is signed: the timestamp bounds replays to the tolerance, the idempotency key
 * makes a replay inside it a duplicate (it cannot be re-sent under a fresh key: that changes the signed
 * string), and the body is the event. Newlines separate the parts because neither `t` (digits) nor a header
 * value (HTTP forbids CR/LF in it) can contain one, so no two (key, body) pairs sign the same string.
 *
 * `v2` rather than the old `v1` (which signed `<t>.<body>` only and let the key be swapped): a producer still
 * sending `v1` gets a 401 that says so instead of an unexplained mismatch.
 */
export const EVENTS_SIGNATURE_HEADER = 'x-lss-signature';
export const EVENTS_IDEMPOTENCY_HEADER = 'x-idempotency-key';

/** The exact string that is signed (documented in the README's `POST /events` section and ADR 0003). */
export function eventsStringToSign(t: number | string, idempotencyKey: string, rawBody: Buffer | string): Buffer {
  return Buffer.concat([Buffer.from(`${t}\n${idempotencyKey}\n`, 'utf8'), Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(rawBody, 'utf8')]);
}

/** The `X-LSS-Signature` header value for a request (producers, tests and scripts use this). */
export function signEventsRequest(
  request: { body: Buffer | string; idempotencyKey: string },
  secret: string,
  t = Math.floor(Date.now() / 1000),
): string {
  return `t=${t},v2=${hmacSha256Hex(secret, eventsStringToSign(t, request.idempotencyKey, request.body))}`;
}

export type EventsAuthResult =
  | { ok: true }
  | { ok: false; reason: 'missing' | 'malformed' | 'unsupported_version' | 'stale' | 'mismatch' };

export function verifyEventsSignature(
  header: string | undefined,
  request: { body: Buffer; idempotencyKey: string },
  secret: string,
  toleranceMs: number,
  now = Date.now(),
): EventsAuthResult {
  if (!header) return { ok: false, reason: 'missing' };
  const parts = new Map<string, string>();
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) parts.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const t = parts.get('t');
  const v2 = parts.get('v2');
  if (!v2 && parts.has('v1')) return { ok: false, reason: 'unsupported_version' };
  if (!t || !v2 || !/^\d{1,12}$/.test(t)) return { ok: false, reason: 'malformed' };
  if (Math.abs(now - Number(t) * 1000) > toleranceMs) return { ok: false, reason: 'stale' };
  const expected = hmacSha256Hex(secret, eventsStringToSign(t, request.idempotencyKey, request.body));
  return hexDigestEquals(expected, v2) ? { ok: true } : { ok: false, reason: 'mismatch' };
}
