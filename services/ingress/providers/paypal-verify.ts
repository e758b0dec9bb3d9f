import { X509Certificate, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import * as zlib from 'node:zlib';
import { getLogger } from '../../../shared/logging/logger.js';
import { MisconfigurationError, ProviderUnavailableError, SignatureError } from '../../../shared/providers/provider-errors.js';
import { providerFetch } from '../../../shared/providers/provider-http.js';

/**
 * PayPal webhook verification, the OFFLINE (self-verification) method:
 * - no extra round trip per webhook (the postback `verify-webhook-signature` call needs an OAuth token and
 *   a PayPal call inside our answer time, for every notification);
 * - works from a cached certificate, so a PayPal API hiccup does not fail verification;
 * - PayPal's docs call it the preferred method, and unlike the postback it also works for simulator events.
 *
 * Message: `<transmission id>|<transmission time>|<webhook id>|<CRC32 of the raw body, unsigned decimal>`,
 * signed RSA-SHA256 (`PAYPAL-AUTH-ALGO: SHA256withRSA`), signature base64 in `PAYPAL-TRANSMISSION-SIG`, public
 * key in the X.509 certificate at `PAYPAL-CERT-URL`.
 *
 * Trust anchor: the certificate URL must be PayPal's certificate endpoint — https, one of PayPal's API hosts
 * (`api[-m][.sandbox].paypal.com`), path `/v1/notifications/certs/<id>`, nothing else — or that same path on
 * a configured trusted origin (local fakes: the same code path runs in tests). Any other URL is refused
 * before anything is downloaded: an unsigned request must not make us fetch an arbitrary PayPal URL (or an
 * attacker's server) nor trust an attacker's key.
 *
 * The signature binds the body only through its CRC32, which is not a cryptographic hash: anyone holding one
 * genuine transmission can craft another body with the same CRC32 (4 chosen bytes suffice). So a verified
 * signature proves little about the body; the route acts only on what the re-read from PayPal confirms
 * (see paypal-event.ts). The transmission time is bounded too (`maxAgeMs`, default 74 h: PayPal retries for
 * 3 days and does not document whether a retry is re-signed), so a transmission captured long ago is refused.
 */

export type PayPalHeaders = Record<string, string | string[] | undefined> | Headers;

export interface PayPalVerifierOptions {
  /** Webhook id from the PayPal app (simulator events use the literal `WEBHOOK_ID`). Can be given per call. */
  webhookId?: string;
  /** Extra origins allowed for PAYPAL-CERT-URL, e.g. `http://127.0.0.1:4010` for the fake. */
  trustedCertOrigins?: string[];
  /** Certificate download timeout. Default 5000. */
  fetchTimeoutMs?: number;
  /** Max cached certificates (PayPal rotates rarely; a handful is plenty). Default 16. */
  maxCachedCerts?: number;
  /** Oldest accepted PAYPAL-TRANSMISSION-TIME. Default 74 h (PayPal retries for 3 days). */
  maxAgeMs?: number;
  /** How far in the future a transmission time may be (clock skew). Default 5 min. */
  maxFutureSkewMs?: number;
  /** Clock, for certificate validity and transmission age. */
  now?: () => Date;
}

export interface PayPalVerifier {
  /** Throws `SignatureError` (401) when not authentic, `ProviderUnavailableError` (503) when the cert cannot be fetched. */
  verify(headers: PayPalHeaders, rawBody: Buffer, webhookId?: string): Promise<void>;
  /** How many certificate downloads were started (observability and tests). */
  readonly certDownloads: number;
}

const ACCEPTED_ALGO = 'SHA256withRSA';
export const DEFAULT_PAYPAL_TRANSMISSION_MAX_AGE_MS = 74 * 3600_000;
/** The hosts PayPal serves its webhook signing certificates from (live and sandbox). */
const PAYPAL_CERT_HOSTS = new Set(['api.paypal.com', 'api-m.paypal.com', 'api.sandbox.paypal.com', 'api-m.sandbox.paypal.com']);
/** `/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77`: one path segment, no query, no fragment. */
const PAYPAL_CERT_PATH = /^\/v1\/notifications\/certs\/[A-Za-z0-9._-]{1,128}$/;

interface CachedCert {
  publicKey: KeyObject;
  validFrom: Date;
  validTo: Date;
}

export function createPayPalVerifier(options: PayPalVerifierOptions = {}): PayPalVerifier {
  const trustedOrigins = new Set((options.trustedCertOrigins ?? []).map((o) => new URL(o).origin));
  const fetchTimeoutMs = options.fetchTimeoutMs ?? 5000;
  const maxCached = Math.max(1, options.maxCachedCerts ?? 16);
  const now = options.now ?? (() => new Date());
  const cache = new Map<string, CachedCert>();
  const inFlight = new Map<string, Promise<CachedCert>>();
  let downloads = 0;

  const download = async (url: string): Promise<CachedCert> => {
    downloads += 1;
    const res = await providerFetch({ provider: 'paypal', url, timeoutMs: fetchTimeoutMs, headers: { accept: '*/*' } });
    if (res.status !== 200) {
      throw new ProviderUnavailableError(`PayPal certificate download answered ${res.status}`, {
        provider: 'paypal',
        providerStatus: res.status,
      });
    }
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(res.text);
    } catch (error) {
      // An unreadable answer from a trusted PayPal host is more likely a transient fault than an attack.
      throw new ProviderUnavailableError('PayPal certificate could not be parsed', { provider: 'paypal', cause: error });
    }
    const entry = { publicKey: cert.publicKey, validFrom: new Date(cert.validFrom), validTo: new Date(cert.validTo) };
    getLogger().info('paypal certificate downloaded', { certUrl: url, subject: cert.subject, validTo: entry.validTo.toISOString() });
    return entry;
  };

  const certificateFor = async (url: string): Promise<CachedCert> => {
    const cached = cache.get(url);
    if (cached && cached.validTo.getTime() > now().getTime()) return cached;
    if (cached) cache.delete(url); // expired: fetch again in case PayPal replaced it at the same URL
    let pending = inFlight.get(url);
    if (!pending) {
      pending = download(url).finally(() => inFlight.delete(url));
      inFlight.set(url, pending);
    }
    const entry = await pending;
    if (!cache.has(url)) {
      if (cache.size >= maxCached) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      cache.set(url, entry);
    }
    return entry;
  };

  const assertTrustedCertUrl = (raw: string): string => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new SignatureError('untrusted_cert_url', 'PAYPAL-CERT-URL is not a URL', { provider: 'paypal' });
    }
    const paypalHost = url.protocol === 'https:' && PAYPAL_CERT_HOSTS.has(url.hostname) && url.port === '';
    const trustedOrigin = trustedOrigins.has(url.origin);
    const certPath = PAYPAL_CERT_PATH.test(url.pathname) && url.search === '' && url.hash === '' && !url.username && !url.password;
    if (!(paypalHost || trustedOrigin) || !certPath) {
      throw new SignatureError('untrusted_cert_url', `PAYPAL-CERT-URL ${url.host}${url.pathname.slice(0, 80)} is not a PayPal certificate URL`, {
        provider: 'paypal',
      });
    }
    return url.href;
  };

  const maxAgeMs = options.maxAgeMs ?? DEFAULT_PAYPAL_TRANSMISSION_MAX_AGE_MS;
  const maxFutureSkewMs = options.maxFutureSkewMs ?? 5 * 60_000;
  const assertFresh = (transmissionTime: string): void => {
    // Internet date-time (RFC 3339), e.g. 2026-11-29T10:04:58Z; Date.parse alone would accept far looser text.
    const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(transmissionTime) ? Date.parse(transmissionTime) : Number.NaN;
    if (!Number.isFinite(at)) throw new SignatureError('malformed_header', 'PAYPAL-TRANSMISSION-TIME is not a date-time', { provider: 'paypal' });
    const age = now().getTime() - at;
    if (age > maxAgeMs || age < -maxFutureSkewMs) {
      throw new SignatureError('stale', `PAYPAL-TRANSMISSION-TIME ${transmissionTime} is outside the accepted window`, { provider: 'paypal' });
    }
  };

  return {
    get certDownloads() {
      return downloads;
    },
    async verify(headers, rawBody, webhookIdArg) {
      const webhookId = webhookIdArg ?? options.webhookId;
      if (!webhookId) throw new MisconfigurationError('PayPal webhook id is not configured', { provider: 'paypal' });
      const transmissionId = header(headers, 'paypal-transmission-id');
      const transmissionTime = header(headers, 'paypal-transmission-time');
      const signature = header(headers, 'paypal-transmission-sig');
      const certUrl = header(headers, 'paypal-cert-url');
      const algo = header(headers, 'paypal-auth-algo');
      if (!transmissionId || !transmissionTime || !signature || !certUrl || !algo) {
        throw new SignatureError('missing_header', 'PayPal transmission headers are missing', { provider: 'paypal' });
      }
      if (algo.toLowerCase() !== ACCEPTED_ALGO.toLowerCase()) {
        throw new SignatureError('unsupported_algorithm', `PAYPAL-AUTH-ALGO ${algo} is not accepted`, { provider: 'paypal' });
      }
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) {
        throw new SignatureError('malformed_header', 'PAYPAL-TRANSMISSION-SIG is not base64', { provider: 'paypal' });
      }
      assertFresh(transmissionTime);
      const cert = await certificateFor(assertTrustedCertUrl(certUrl));
      const at = now().getTime();
      if (at < cert.validFrom.getTime() || at > cert.validTo.getTime()) {
        throw new SignatureError('cert_expired', 'PayPal certificate is outside its validity period', { provider: 'paypal' });
      }
      const message = `${transmissionId}|${transmissionTime}|${webhookId}|${crc32(rawBody)}`;
      let ok: boolean;
      try {
        ok = cryptoVerify('sha256', Buffer.from(message, 'utf8'), cert.publicKey, Buffer.from(signature, 'base64'));
      } catch (error) {
        throw new SignatureError('cert_invalid', 'PayPal certificate key cannot verify RSA-SHA256', { provider: 'paypal', cause: error });
      }
      if (!ok) throw new SignatureError('mismatch', 'PayPal transmission signature does not match', { provider: 'paypal' });
    },
  };
}

function header(headers: PayPalHeaders, name: string): string | undefined {
  const value = headers instanceof Headers ? headers.get(name) : findHeader(headers, name);
  const text = Array.isArray(value) ? value[0] : value;
  return typeof text === 'string' && text.trim() !== '' ? text.trim() : undefined;
}

function findHeader(headers: Record<string, string | string[] | undefined>, name: string): string | string[] | undefined {
  if (name in headers) return headers[name];
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/**
 * CRC-32 (IEEE, as zlib/PayPal compute it) as an unsigned integer. `zlib.crc32` exists from Node 20.15 /
 * 22.2; the table fallback keeps older runtimes correct.
 */
export function crc32(data: Buffer): number {
  const native = (zlib as { crc32?: (data: Buffer) => number }).crc32;
  return native ? native(data) >>> 0 : crc32Fallback(data);
}

let table: Uint32Array | undefined;

export function crc32Fallback(data: Buffer): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of data) crc = (table[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
