import { createHmac, timingSafeEqual } from 'node:crypto';

/** HMAC-SHA256 as lowercase hex (what Meta, Mercado Pago and Flow all send). */
export function hmacSha256Hex(key: string | Buffer, data: string | Buffer): string {
  return createHmac('sha256', key).update(data).digest('hex');
}

const HEX = /^(?:[0-9a-f]{2})+$/i;

/**
 * Constant-time comparison of two hex digests. The candidate comes from the network: anything that is not
 * even-length hex, or decodes to a different length, is a mismatch before `timingSafeEqual` (which throws on
 * unequal lengths) is reached. Hex case is ignored: the bytes are compared, not the text.
 */
export function hexDigestEquals(expectedHex: string, candidateHex: string): boolean {
  if (!HEX.test(candidateHex) || !HEX.test(expectedHex)) return false;
  const expected = Buffer.from(expectedHex, 'hex');
  const candidate = Buffer.from(candidateHex, 'hex');
  if (expected.length !== candidate.length) return false;
  return timingSafeEqual(expected, candidate);
}
