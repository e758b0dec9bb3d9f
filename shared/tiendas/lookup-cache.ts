import { LRUCache } from 'lru-cache';

export interface LookupCacheOptions {
  /** How long a loaded value is served without reading again; 0 turns the cache off (every lookup reads). */
  ttlMs: number;
  /** At most this many keys are kept; the least recently used leave first. */
  max: number;
  /**
   * Keep "not found" (null) too. Right where the ids come from unauthenticated requests (a made-up id must not cost a
   * read every time); wrong where a miss is about to become a hit (a live registered while its comments arrive).
   */
  cacheMisses?: boolean;
  /** Clock of the TTLs (tests). */
  now?: () => number;
}

/**
 * A bounded, short-TTL cache of Firestore lookups on the hot path (tiendas, lives and their indexes: documents that
 * change rarely and are read for every comment). Concurrent misses of one key share one read, so a burst of comments
 * on a cold instance costs one read, not one per comment. A failed read is not cached.
 */
export class LookupCache<V> {
  private readonly lru: LRUCache<string, { value: V | null }, () => Promise<V | null>> | null;

  constructor(options: LookupCacheOptions) {
    this.lru =
      options.ttlMs > 0
        ? new LRUCache({
            max: Math.max(1, options.max),
            ttl: options.ttlMs,
            // An injected clock is read on every lookup (lru-cache otherwise re-reads it only once per millisecond).
            ...(options.now ? { perf: { now: options.now }, ttlResolution: 0 } : {}),
            fetchMethod: async (_key, _stale, { context }) => {
              const value = await context();
              // Not stored (and so read again next time) unless misses are cached.
              return value === null && !options.cacheMisses ? undefined : { value };
            },
          })
        : null;
  }

  /** The cached value of `key`, or `load()`'s (then cached). */
  async get(key: string, load: () => Promise<V | null>): Promise<V | null> {
    if (!this.lru) return load();
    const box = await this.lru.fetch(key, { context: load });
    return box ? box.value : null;
  }

  /** Forget `key` (this process wrote it). Other instances see the change within the TTL. */
  delete(key: string): void {
    this.lru?.delete(key);
  }

  get size(): number {
    return this.lru?.size ?? 0;
  }
}
