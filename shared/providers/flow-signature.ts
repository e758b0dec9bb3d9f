import { MisconfigurationError } from './provider-errors.js';
import { hexDigestEquals, hmacSha256Hex } from './hmac.js';

/**
 * The string Flow signs: parameter names sorted ascending, each name immediately followed by its value, no
 * separators (`amount5000apiKeyXXXXcurrencyCLP`). `s` itself is never signed. Names are sorted by UTF-16 code
 * unit (uppercase before lowercase), which is what PHP's `sort()` in Flow's reference client does for ASCII
 * names — `localeCompare` would not be.
 */
export function flowStringToSign(params: Record<string, string>): string {
  return Object.keys(params)
    .filter((name) => name !== 's')
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => `${name}${params[name] ?? ''}`)
    .join('');
}

/** `s` for a set of Flow API parameters: HMAC-SHA256(stringToSign, secretKey) as hex. */
export function signFlowParams(params: Record<string, string>, secretKey: string): string {
  if (!secretKey) throw new MisconfigurationError('Flow secretKey is empty', { provider: 'flow' });
  return hmacSha256Hex(secretKey, flowStringToSign(params));
}

/** Checks the `s` inside `params` against the other parameters, in constant time. */
export function verifyFlowSignature(params: Record<string, string>, secretKey: string): boolean {
  const s = params.s;
  if (typeof s !== 'string' || s.length === 0) return false;
  return hexDigestEquals(signFlowParams(params, secretKey), s);
}
