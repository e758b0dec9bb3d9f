/**
 * Where services get their secrets (provider tokens, app secrets, per-tienda payment credentials).
 *
 * Two implementations: env vars (local runs, and Cloud Run's "secrets as env vars") and Secret Manager read at
 * run time (per-tienda secrets that cannot all be mounted at deploy time). Callers depend on this interface only.
 */
export interface SecretSource {
  /** The secret's current value. Throws {@link SecretNotFoundError} or {@link SecretAccessError}. */
  get(id: string): Promise<string>;
  /** Like `get`, but `undefined` when the secret does not exist (optional integrations). */
  getOptional(id: string): Promise<string | undefined>;
  /**
   * Re-reads the secret, bypassing any cache. Call it once after a provider rejected the cached value
   * (401/403): the secret may have been rotated since it was cached.
   */
  refresh(id: string): Promise<string>;
  /** Releases connections (Secret Manager's gRPC channel) on shutdown. Optional: nothing to release for env. */
  close?(): Promise<void>;
}

/** The secret does not exist (or its latest version is gone). Permanent until someone creates it: a config error. */
export class SecretNotFoundError extends Error {
  override readonly name = 'SecretNotFoundError';
  constructor(
    readonly id: string,
    message = `Secret "${id}" was not found`,
  ) {
    super(message);
  }
}

/**
 * The secret could not be read right now (Secret Manager unavailable, timeout, permission hiccup).
 * Transient from the caller's point of view: an HTTP handler answers 503 so the sender retries.
 */
export class SecretAccessError extends Error {
  override readonly name = 'SecretAccessError';
  constructor(
    readonly id: string,
    message: string,
    /** gRPC status code (or HTTP status in REST fallback) of the underlying failure, when there was one. */
    readonly code?: number | string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
