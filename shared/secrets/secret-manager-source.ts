import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { getLogger } from '../logging/logger.js';
import { withDeadline } from '../runtime/deadline.js';
import { SecretAccessError, SecretNotFoundError, type SecretSource } from './secret-source.js';

/** Constructor options of the official client (`apiEndpoint`, `port`, `sslCreds`, `projectId`, `fallback`...). */
export type SecretManagerClientOptions = NonNullable<ConstructorParameters<typeof SecretManagerServiceClient>[0]>;

export interface SecretManagerSecretSourceOptions {
  /** Project that owns the secrets (`projects/{projectId}/secrets/{id}`). */
  projectId: string;
  /** Options for the client this source builds (ignored when `client` is given). */
  clientOptions?: SecretManagerClientOptions;
  /** A ready client, e.g. shared with other code. The source then does not own it and `close()` leaves it open. */
  client?: SecretManagerServiceClient;
  /** How long a value (or a "does not exist") is served from memory. Default 5 minutes. */
  cacheTtlMs?: number;
  /**
   * How long past its TTL a value may still be served while Secret Manager cannot be reached. Default 1 hour.
   * See the class comment for why.
   */
  staleIfErrorMs?: number;
  /** While serving a stale value, how long to wait before asking Secret Manager again. Default 30 s. */
  staleRetryIntervalMs?: number;
  /**
   * Budget for one read, including the client's own retries of UNAVAILABLE / RESOURCE_EXHAUSTED. Default 10 s.
   * The client's built-in default for AccessSecretVersion is up to 10 minutes, far too long for a request path.
   */
  totalTimeoutMs?: number;
  /** First backoff delay of the client's retries (jittered, doubled each time, at most 2 s). Default 250 ms. */
  initialRetryDelayMs?: number;
  /** Clock, injectable for TTL tests. */
  now?: () => number;
}

/** Secret ids allowed by Secret Manager; anything else cannot exist and must not be spliced into a resource name. */
const SECRET_ID = /^[A-Za-z0-9_-]{1,255}$/;

/** gRPC status codes used below (avoids a runtime dependency on @grpc/grpc-js just for constants). */
const GRPC_NOT_FOUND = 5;
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_UNAVAILABLE = 14;
/** The REST fallback transport reports HTTP statuses instead of gRPC codes. */
const HTTP_NOT_FOUND = 404;

const ABSENT = Symbol('absent');

interface CacheEntry {
  value: string | typeof ABSENT;
  fetchedAt: number;
  /** Sequence number of the fetch that produced it: a slow older fetch must not overwrite a newer refresh. */
  seq: number;
  /** Set while serving stale because Secret Manager failed: no new attempt before this time. */
  retryAt?: number;
}

interface InFlight {
  promise: Promise<string | typeof ABSENT>;
  refresh: boolean;
}

/**
 * Secrets read at run time from Secret Manager (`versions/latest`), with an in-memory cache.
 *
 * - A value is served from memory for `cacheTtlMs`; concurrent reads of one id share one RPC.
 * - "Not found" is cached too (optional integrations are looked up on every request) and never served stale:
 *   a deleted secret was deleted on purpose.
 * - `refresh(id)` always goes to Secret Manager (concurrent refreshes share one RPC) and replaces the cached value;
 *   it is what a caller uses once after a provider said 401 with the cached value (rotation).
 *
 * Stale-if-error decision: when a value has expired and Secret Manager is unavailable, `get` serves the expired
 * value (with a warning) for up to `staleIfErrorMs` past the TTL, and only re-asks every `staleRetryIntervalMs`
 * so that an outage does not add the full timeout to every request. Rationale: secrets rotate rarely, an outage
 * of Secret Manager would otherwise take down webhook intake and payments for every tienda at once, and a value
 * that did get rotated is caught by the provider's 401 → `refresh()`, which never serves stale (it throws
 * {@link SecretAccessError}, so the caller answers 503 and the work is retried later).
 */
export class SecretManagerSecretSource implements SecretSource {
  private readonly client: SecretManagerServiceClient;
  private readonly ownsClient: boolean;
  private readonly projectId: string;
  private readonly ttlMs: number;
  private readonly staleIfErrorMs: number;
  private readonly staleRetryIntervalMs: number;
  private readonly totalTimeoutMs: number;
  private readonly initialRetryDelayMs: number;
  private readonly now: () => number;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, InFlight>();
  private seq = 0;

  constructor(options: SecretManagerSecretSourceOptions) {
    this.projectId = options.projectId;
    this.ownsClient = options.client === undefined;
    this.client =
      options.client ?? new SecretManagerServiceClient({ projectId: options.projectId, ...options.clientOptions });
    this.ttlMs = options.cacheTtlMs ?? 5 * 60_000;
    this.staleIfErrorMs = options.staleIfErrorMs ?? 60 * 60_000;
    this.staleRetryIntervalMs = options.staleRetryIntervalMs ?? 30_000;
    this.totalTimeoutMs = options.totalTimeoutMs ?? 10_000;
    this.initialRetryDelayMs = options.initialRetryDelayMs ?? 250;
    this.now = options.now ?? Date.now;
  }

  async get(id: string): Promise<string> {
    const value = await this.read(id);
    if (value === ABSENT) throw new SecretNotFoundError(id);
    return value;
  }

  async getOptional(id: string): Promise<string | undefined> {
    const value = await this.read(id);
    return value === ABSENT ? undefined : value;
  }

  async refresh(id: string): Promise<string> {
    const value = await this.load(id, true);
    if (value === ABSENT) throw new SecretNotFoundError(id);
    return value;
  }

  /** Closes the gRPC channel (only when this source built the client). */
  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }

  private async read(id: string): Promise<string | typeof ABSENT> {
    const entry = this.cache.get(id);
    const t = this.now();
    if (entry && t - entry.fetchedAt < this.ttlMs) return entry.value;
    const staleUsable = entry !== undefined && entry.value !== ABSENT && t - entry.fetchedAt < this.ttlMs + this.staleIfErrorMs;
    // Secret Manager failed recently: keep serving the stale value without waiting for another timeout.
    if (staleUsable && entry.retryAt !== undefined && t < entry.retryAt) return entry.value;
    try {
      return await this.load(id, false);
    } catch (err) {
      if (!(err instanceof SecretAccessError) || !staleUsable) throw err;
      entry.retryAt = this.now() + this.staleRetryIntervalMs;
      getLogger().warn('Secret Manager unavailable; serving a cached value past its TTL', {
        id,
        ageMs: t - entry.fetchedAt,
        code: err.code,
      });
      return entry.value;
    }
  }

  /** One RPC per id at a time; a refresh does not join a plain read started earlier (it may predate a rotation). */
  private load(id: string, refresh: boolean): Promise<string | typeof ABSENT> {
    const current = this.inflight.get(id);
    if (current && (!refresh || current.refresh)) return current.promise;

    const seq = ++this.seq;
    const promise = this.accessLatest(id).then(
      (value): string | typeof ABSENT => {
        this.store(id, value, seq);
        return value;
      },
      (err: unknown): typeof ABSENT => {
        if (err instanceof SecretNotFoundError) {
          this.store(id, ABSENT, seq);
          return ABSENT;
        }
        throw err;
      },
    );
    const flight: InFlight = { promise, refresh };
    this.inflight.set(id, flight);
    const clear = () => {
      if (this.inflight.get(id) === flight) this.inflight.delete(id);
    };
    promise.then(clear, clear);
    return promise;
  }

  private store(id: string, value: string | typeof ABSENT, seq: number): void {
    const existing = this.cache.get(id);
    if (existing && existing.seq > seq) return;
    this.cache.set(id, { value, fetchedAt: this.now(), seq });
  }

  private async accessLatest(id: string): Promise<string> {
    if (!SECRET_ID.test(id)) {
      throw new SecretNotFoundError(id, `Secret "${id}" was not found: not a valid Secret Manager secret id`);
    }
    const name = `projects/${this.projectId}/secrets/${id}/versions/latest`;
    let response;
    try {
      // gax's totalTimeout bounds the RPC and its retries, but not what runs before the first RPC (channel and
      // credential setup: a hung metadata server). The outer deadline bounds everything, a little later.
      [response] = await withDeadline(`Secret Manager access ${id}`, this.totalTimeoutMs + 1000, () => this.client.accessSecretVersion(
        { name },
        {
          retry: {
            retryCodes: [GRPC_UNAVAILABLE, GRPC_RESOURCE_EXHAUSTED],
            backoffSettings: {
              initialRetryDelayMillis: this.initialRetryDelayMs,
              retryDelayMultiplier: 2,
              maxRetryDelayMillis: 2_000,
              initialRpcTimeoutMillis: this.totalTimeoutMs,
              rpcTimeoutMultiplier: 1,
              maxRpcTimeoutMillis: this.totalTimeoutMs,
              totalTimeoutMillis: this.totalTimeoutMs,
            },
          },
        },
      ));
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === GRPC_NOT_FOUND || code === HTTP_NOT_FOUND) {
        throw new SecretNotFoundError(id);
      }
      const detail = err instanceof Error ? err.message : String(err);
      throw new SecretAccessError(
        id,
        `Secret "${id}" could not be read from Secret Manager: ${detail}`,
        typeof code === 'number' || typeof code === 'string' ? code : undefined,
        { cause: err },
      );
    }
    const data = response.payload?.data;
    if (data === null || data === undefined) {
      throw new SecretAccessError(id, `Secret "${id}": Secret Manager returned a version without payload`);
    }
    // gRPC gives bytes; proto JSON (REST fallback) may give base64 text.
    return typeof data === 'string' ? Buffer.from(data, 'base64').toString('utf8') : Buffer.from(data).toString('utf8');
  }
}
