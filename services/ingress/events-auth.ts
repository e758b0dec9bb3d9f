import { hexDigestEquals, hmacSha256Hex } from './providers/hmac.js';

/**
 * Authentication of internal producers on `POST /events`: `X-LSS-Signature: t=<unix seconds>,v1=<hex>`
 * where v1 = HMAC-SHA256(`<t>.<raw body>`, events-hmac-secret). Chosen over Google ID tokens so any
 * producer (a script, another cloud) can sign with one shared secret, and so the same constant-time,
 * replay-bounded check as the provider webhooks applies. The timestamp in the signed string stops replays
 * beyond the tolerance; the idempotency key stops replays inside it.
 */
export const EVENTS_SIGNATURE_HEADER = 'x-lss-signature';

export function signEventsBody(rawBody: Buffer | string, secret: string, t = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${hmacSha256Hex(secret, `${t}.${rawBody.toString()}`)}`;
}

export type EventsAuthResult = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

export function verifyEventsSignature(
  header: string | undefined,
  rawBody: Buffer,
  secret: string,
  toleranceMs: number,
  now = Date.now(),
): EventsAuthResult {
  if (!header) return { ok: false, reason: 'missing' };
  const parts = new Map(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = parts.get('t');
  const v1 = parts.get('v1');
  if (!t || !v1 || !/^\d{1,12}$/.test(t)) return { ok: false, reason: 'malformed' };
  if (Math.abs(now - Number(t) * 1000) > toleranceMs) return { ok: false, reason: 'stale' };
  const expected = hmacSha256Hex(secret, Buffer.concat([Buffer.from(`${t}.`), rawBody]));
  return hexDigestEquals(expected, v1) ? { ok: true } : { ok: false, reason: 'mismatch' };
}
