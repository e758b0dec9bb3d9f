import { MisconfigurationError } from '../../../shared/providers/provider-errors.js';
import { hexDigestEquals, hmacSha256Hex } from '../../../shared/providers/hmac.js';

const HEADER = /^sha256=([0-9a-f]{64})$/i;

/**
 * Checks `X-Hub-Signature-256: sha256=<hex>` — HMAC-SHA256 of the body keyed with the App Secret.
 *
 * - The HMAC is computed over the RAW received bytes. Meta signs its own serialisation, with non-ASCII
 *   characters escaped (`ä` → `\u00e4`); `JSON.stringify(JSON.parse(body))` would produce `ä` and never match.
 * - Meta documents lowercase hex. The hex is compared as bytes, so uppercase is accepted too: the case of the
 *   digits carries no information an attacker could use, and rejecting it would only create false alarms.
 * - Constant-time comparison after the length check (the regex pins the length to 32 bytes).
 *
 * Returns false for a missing, malformed or wrong signature. An empty App Secret throws: anyone can compute an
 * HMAC with an empty key, so it must never "verify".
 */
export function verifyMetaSignature(rawBody: Buffer, header: string | undefined, appSecret: string): boolean {
  if (!appSecret) throw new MisconfigurationError('Meta App Secret is empty', { provider: 'meta' });
  if (typeof header !== 'string') return false;
  const match = HEADER.exec(header.trim());
  if (!match?.[1]) return false;
  return hexDigestEquals(hmacSha256Hex(appSecret, rawBody), match[1]);
}

/** `sha256=<hex>` for a body — what Meta sends; used by tests and local demo senders. */
export function signMetaBody(rawBody: Buffer | string, appSecret: string): string {
  return `sha256=${hmacSha256Hex(appSecret, rawBody)}`;
}
