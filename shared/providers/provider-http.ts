import {
  ProviderAuthError,
  ProviderNotFoundError,
  ProviderUnavailableError,
  type ProviderName,
} from './provider-errors.js';

/** What the provider clients need from one HTTP exchange. */
export interface ProviderResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed body, or undefined when it is not JSON. */
  json: unknown;
}

export interface ProviderRequest {
  provider: ProviderName;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

/** Answers larger than this are not a payment object; stop reading rather than buffer them. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

/**
 * One request to a provider API with a hard timeout. Network failures and timeouts become
 * `ProviderUnavailableError` here, so callers only deal with HTTP statuses.
 */
export async function providerFetch(request: ProviderRequest): Promise<ProviderResponse> {
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: request.method ?? 'GET',
      headers: { accept: 'application/json', ...request.headers },
      ...(request.body === undefined ? {} : { body: request.body }),
      signal: AbortSignal.timeout(request.timeoutMs),
      redirect: 'error',
    });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    throw new ProviderUnavailableError(
      timedOut ? `${request.provider} did not answer within ${request.timeoutMs} ms` : `${request.provider} unreachable`,
      { provider: request.provider, cause: error },
    );
  }
  let text: string;
  try {
    text = await readBounded(response);
  } catch (error) {
    throw new ProviderUnavailableError(`${request.provider} answer could not be read`, {
      provider: request.provider,
      providerStatus: response.status,
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

async function readBounded(response: Response): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    await response.body?.cancel();
    throw new Error(`answer too large (${declared} bytes)`);
  }
  const buffer = Buffer.from(await response.arrayBuffer());
  if (buffer.length > MAX_BODY_BYTES) throw new Error(`answer too large (${buffer.length} bytes)`);
  return buffer.toString('utf8');
}

/** `Retry-After` as seconds (delta or HTTP date), or undefined. */
export function retryAfterSeconds(headers: Headers, now: Date = new Date()): number | undefined {
  const value = headers.get('retry-after');
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, Math.ceil((at - now.getTime()) / 1000)) : undefined;
}

/** Short, log-safe description of an error body (providers echo no secrets in errors, but keep it bounded). */
export function describeBody(res: ProviderResponse): string {
  return res.text.length > 300 ? `${res.text.slice(0, 300)}…` : res.text;
}

/**
 * The status classes every provider shares: 401/403 → auth, 404 → not found, 429/5xx → unavailable. Returns
 * undefined for anything else (2xx, other 4xx) so the caller can apply provider-specific rules.
 */
export function commonStatusError(
  provider: ProviderName,
  res: ProviderResponse,
  what: string,
  resourceId?: string,
): Error | undefined {
  if (res.status === 401 || res.status === 403) {
    return new ProviderAuthError(`${provider} rejected our credentials (${res.status}) reading ${what}: ${describeBody(res)}`, {
      provider,
      providerStatus: res.status,
    });
  }
  if (res.status === 404) {
    return new ProviderNotFoundError(`${provider} does not know ${what}`, {
      provider,
      ...(resourceId === undefined ? {} : { resourceId }),
    });
  }
  if (res.status === 429 || res.status >= 500) {
    const after = retryAfterSeconds(res.headers);
    return new ProviderUnavailableError(`${provider} answered ${res.status} reading ${what}`, {
      provider,
      providerStatus: res.status,
      ...(after === undefined ? {} : { retryAfterSeconds: after }),
    });
  }
  return undefined;
}

/** Joins a base URL (which may carry a path such as `/api`) and an API path. */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
