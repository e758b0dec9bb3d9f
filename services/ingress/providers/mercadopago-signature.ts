import { MisconfigurationError, SignatureError } from '../../../shared/providers/provider-errors.js';
import { hexDigestEquals, hmacSha256Hex } from '../../../shared/providers/hmac.js';

export interface MercadoPagoSignatureParts {
  /** Timestamp exactly as sent (it is part of the signed manifest, so it is not reformatted). */
  ts: string;
  v1: string;
}

/**
 * Parses `x-signature: ts=1704908010,v1=<hex>`. Parts are comma-separated `key=value` pairs in any order,
 * whitespace tolerated, unknown keys ignored (room for a future `v2`). Missing header → `missing_header`;
 * no `ts` or `v1` → `malformed_header`.
 */
export function parseMercadoPagoSignature(header: string | undefined | null): MercadoPagoSignatureParts {
  if (typeof header !== 'string' || header.trim() === '') {
    throw new SignatureError('missing_header', 'x-signature header is missing', { provider: 'mercadopago' });
  }
  let ts: string | undefined;
  let v1: string | undefined;
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    const value = part.slice(eq + 1).trim();
    if (key === 'ts') ts = value;
    else if (key === 'v1') v1 = value;
  }
  if (!ts || !/^\d{1,16}$/.test(ts) || !v1) {
    throw new SignatureError('malformed_header', 'x-signature needs ts=<digits>,v1=<hex>', { provider: 'mercadopago' });
  }
  return { ts, v1 };
}

/**
 * The signed manifest: `id:<data.id>;request-id:<x-request-id>;ts:<ts>;` — each part left out when the
 * notification lacks it, trailing `;` kept. `data.id` is the one from the QUERY STRING, lowercased when
 * alphanumeric (MP's rule; the official SDK forgets this, so we do it here).
 */
export function mercadoPagoManifest(parts: { dataId?: string | null; xRequestId?: string | null; ts: string }): string {
  let manifest = '';
  if (parts.dataId) manifest += `id:${parts.dataId.toLowerCase()};`;
  if (parts.xRequestId) manifest += `request-id:${parts.xRequestId};`;
  manifest += `ts:${parts.ts};`;
  return manifest;
}

export interface VerifyMercadoPagoSignatureInput {
  xSignature: string | undefined | null;
  xRequestId: string | undefined | null;
  /** `data.id` from the notification URL's query string. */
  dataId: string | undefined | null;
  /** The "clave secreta" of the webhook in "Tus integraciones". */
  secret: string;
  /**
   * Allowed distance between `ts` and now, in seconds. Choose generously: MP re-delivers every 15 min and then
   * less often, and it is not documented whether a retry is re-signed with a fresh `ts` [U]. A replayed but
   * authentic notification only triggers a re-read of the payment's current state, which the idempotency key
   * absorbs, so a wide window costs little while a tight one could reject genuine retries.
   */
  toleranceSeconds: number;
  now?: Date;
}

/**
 * Verifies a Mercado Pago webhook signature; throws `SignatureError` (reason `missing_header`,
 * `malformed_header`, `stale` or `mismatch`), returns the parsed parts on success.
 *
 * `ts` unit: MP's doc says milliseconds while its example and SDK use seconds. A 13-digit-or-longer value is
 * read as milliseconds for the freshness check only; the manifest always uses `ts` as sent.
 */
export function verifyMercadoPagoSignature(input: VerifyMercadoPagoSignatureInput): MercadoPagoSignatureParts {
  if (!input.secret) throw new MisconfigurationError('Mercado Pago webhook secret is empty', { provider: 'mercadopago' });
  const parts = parseMercadoPagoSignature(input.xSignature);
  const nowSeconds = (input.now ?? new Date()).getTime() / 1000;
  const tsSeconds = parts.ts.length >= 13 ? Number(parts.ts) / 1000 : Number(parts.ts);
  if (!(Math.abs(nowSeconds - tsSeconds) <= input.toleranceSeconds)) {
    throw new SignatureError('stale', `x-signature ts is outside the ${input.toleranceSeconds} s tolerance`, {
      provider: 'mercadopago',
    });
  }
  const expected = hmacSha256Hex(
    input.secret,
    mercadoPagoManifest({ dataId: input.dataId, xRequestId: input.xRequestId, ts: parts.ts }),
  );
  if (!hexDigestEquals(expected, parts.v1)) {
    throw new SignatureError('mismatch', 'x-signature does not match', { provider: 'mercadopago' });
  }
  return parts;
}
