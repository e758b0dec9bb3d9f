import { Timestamp, type Firestore } from '@google-cloud/firestore';
import { z } from 'zod';
import { LookupCache } from './lookup-cache.js';
import { boundedRead, DEFAULT_STORE_READ_TIMEOUT_MS, tiendaIdSchema, type Platform } from './tienda-store.js';

/**
 * Lives and their catalogs in Firestore — data model in docs/data-model.md:
 *   tiendas/{tienda_id}/lives/{live_id}   the live: platform, post/media id, status, featured product, catalog
 *   live_posts/{platform}_{post_id}        → { tienda_id, live_id }: which live a commented post belongs to
 * The catalog lives inside the live document (a live sells tens of products, far below the 1 MiB doc limit)
 * so the worker gets everything for a comment in one read.
 *
 * The on-air window (`started_at`, `ended_at`) is recorded when the status changes, so whether a comment was
 * made on air is judged by the comment's own time, not by when it is processed (a retry an hour later).
 */

/** Stock of one variant (color × size, or one dimension) of a product. */
export const variantStockSchema = z.strictObject({
  color: z.string().min(1).optional(),
  size: z.string().min(1).optional(),
  stock: z.number().int().nonnegative(),
});

/**
 * A product of a live's catalog. Stock is either per variant (`variant_stock`, one entry per color × size the
 * merchant has) or one pool for the whole product (`stock`, the format every earlier catalog file uses: then
 * any variant the buyer names takes from that pool). With `variant_stock`, `stock` may be left out (it is the sum).
 */
export const catalogProductSchema = z
  .strictObject({
    code: z.string().min(1).max(40),
    name: z.string().min(1).max(200),
    keywords: z.array(z.string().min(1)).default([]),
    price: z.number().nonnegative(),
    variants: z.strictObject({ color: z.array(z.string().min(1)).optional(), size: z.array(z.string().min(1)).optional() }).default({}),
    stock: z.number().int().nonnegative().optional(),
    variant_stock: z.array(variantStockSchema).min(1).optional(),
    /** Spoken words for variant values, `{ "café": "marrón", "doble": "2 plazas" }`: what viewers say → the catalog's value. */
    aliases: z.record(z.string().min(1).max(60), z.string().min(1)).optional(),
  })
  .superRefine((p, ctx) => {
    if (p.stock === undefined && p.variant_stock === undefined) {
      ctx.addIssue({ code: 'custom', message: 'give `stock` (one pool for the product) or `variant_stock` (per variant)', path: ['stock'] });
    }
    for (const [word, value] of Object.entries(p.aliases ?? {})) {
      if (!(p.variants.color ?? []).includes(value) && !(p.variants.size ?? []).includes(value)) {
        ctx.addIssue({ code: 'custom', message: `alias "${word}" points at "${value}", which is not one of the product's colors or sizes`, path: ['aliases', word] });
      }
    }
    if (!p.variant_stock) return;
    const seen = new Set<string>();
    p.variant_stock.forEach((v, i) => {
      for (const dim of ['color', 'size'] as const) {
        const values = p.variants[dim];
        const value = v[dim];
        if (values && values.length > 0 && value === undefined) {
          ctx.addIssue({ code: 'custom', message: `${dim} is required: the product has ${dim}s ${values.join(', ')}`, path: ['variant_stock', i, dim] });
        } else if (value !== undefined && !(values ?? []).includes(value)) {
          ctx.addIssue({ code: 'custom', message: `${dim} "${value}" is not one of the product's ${dim}s (${(values ?? []).join(', ') || 'none'})`, path: ['variant_stock', i, dim] });
        }
      }
      const key = `${v.color ?? ''}|${v.size ?? ''}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', message: 'the same variant is listed twice', path: ['variant_stock', i] });
      seen.add(key);
    });
    if (p.stock !== undefined && p.stock !== p.variant_stock.reduce((n, v) => n + v.stock, 0)) {
      ctx.addIssue({ code: 'custom', message: '`stock` must equal the sum of `variant_stock` (or be left out)', path: ['stock'] });
    }
  })
  .transform((p) => ({ ...p, stock: p.stock ?? p.variant_stock!.reduce((n, v) => n + v.stock, 0) }));
export type CatalogProductData = z.output<typeof catalogProductSchema>;

export const LIVE_STATUSES = ['scheduled', 'live', 'ended'] as const;

const isoTime = z.iso.datetime({ offset: true });

export const liveSchema = z
  .strictObject({
    tienda_id: tiendaIdSchema,
    live_id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/, 'letters, digits, - and _'),
    platform: z.enum(['facebook', 'instagram']),
    /** Facebook: the live video's post id as comments carry it (`<page id>_<post id>`); Instagram: the media id. */
    post_id: z.string().min(1),
    status: z.enum(LIVE_STATUSES).default('scheduled'),
    /** When it first went on air; null until then (and on lives recorded before windows were). */
    started_at: isoTime.nullable().default(null),
    /** When it last went off air; null while on air or never aired. */
    ended_at: isoTime.nullable().default(null),
    title: z.string().max(300).nullable().default(null),
    currency: z.string().regex(/^[A-Z]{3}$/),
    featured_product: z.string().nullable().default(null),
    products: z.array(catalogProductSchema).min(1),
  })
  .refine((l) => l.featured_product === null || l.products.some((p) => p.code === l.featured_product), {
    message: 'featured_product must be the code of one of the products',
    path: ['featured_product'],
  })
  .refine((l) => new Set(l.products.map((p) => p.code)).size === l.products.length, { message: 'product codes must be unique', path: ['products'] });

export type Live = z.output<typeof liveSchema>;
export type LiveInput = z.input<typeof liveSchema>;
type Window = Pick<Live, 'started_at' | 'ended_at'>;

/**
 * The window after a status change: going live records the start (the first one: a live resumed after a
 * pause keeps it, and its window reopens); going off air from live records the end. A live that never aired
 * has no window.
 */
export function windowAfter(prev: Pick<Live, 'status' | 'started_at' | 'ended_at'> | null, next: Live['status'], now: Date): Window {
  const at = now.toISOString();
  if (next === 'live') return { started_at: prev?.started_at ?? at, ended_at: null };
  return { started_at: prev?.started_at ?? null, ended_at: prev?.status === 'live' ? at : (prev?.ended_at ?? null) };
}

/**
 * Meta stamps comments to the second and our clock is not Meta's: a comment this close to either edge of the
 * window counts as on air.
 */
export const ON_AIR_TOLERANCE_MS = 10_000;

/**
 * Was the live on air when a comment was made (`commentTime` = the comment's own `created_time`)? Lives
 * recorded before windows existed have none: they fall back to their current status.
 */
export function wasOnAirAt(live: Pick<Live, 'status' | 'started_at' | 'ended_at'>, commentTime: number): boolean {
  if (live.started_at === null && live.ended_at === null) return live.status === 'live';
  if (!Number.isFinite(commentTime)) return live.status === 'live';
  const start = live.started_at === null ? -Infinity : Date.parse(live.started_at) - ON_AIR_TOLERANCE_MS;
  // Open-ended only while it is on air; off air without a recorded end counts as nothing on air (as before).
  const end = live.ended_at !== null ? Date.parse(live.ended_at) + ON_AIR_TOLERANCE_MS : live.status === 'live' ? Infinity : -Infinity;
  return commentTime >= start && commentTime <= end;
}

const toTimestamp = (iso: string | null) => (iso === null ? null : Timestamp.fromDate(new Date(iso)));

/**
 * The longest a cached live may be served (`LIVE_CACHE_TTL`): within the on-air tolerance, a live that ended while
 * its document was cached only lets through comments the fresh document would let through too.
 */
export const MAX_LIVE_CACHE_TTL_MS = ON_AIR_TOLERANCE_MS;

export interface LiveStoreOptions {
  /** Deadline of each Firestore read on the request path (default 5 s). */
  readTimeoutMs?: number;
  /**
   * Serve lives and the post index from memory for this long (the worker: `LIVE_CACHE_TTL`, 5 s). Default 0: every
   * read goes to Firestore (the CLIs, and tests that change a live and expect the next read to see it). At most
   * {@link MAX_LIVE_CACHE_TTL_MS}.
   */
  cacheTtlMs?: number;
  now?: () => number;
}

export class LiveStore {
  private readonly readTimeoutMs: number;
  private readonly now: () => number;
  /** Lives by `tienda/live`, and the post index by `platform_post`; found ones only (a live registered now is seen now). */
  private readonly lives: LookupCache<Live>;
  private readonly posts: LookupCache<{ tienda_id: string; live_id: string }>;

  constructor(
    private readonly db: Firestore,
    options: LiveStoreOptions = {},
  ) {
    this.readTimeoutMs = options.readTimeoutMs ?? DEFAULT_STORE_READ_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
    const ttlMs = Math.min(options.cacheTtlMs ?? 0, MAX_LIVE_CACHE_TTL_MS);
    this.lives = new LookupCache({ ttlMs, max: 500, ...(options.now ? { now: options.now } : {}) });
    this.posts = new LookupCache({ ttlMs, max: 500, ...(options.now ? { now: options.now } : {}) });
  }

  private liveRef(tiendaId: string, liveId: string) {
    return this.db.collection('tiendas').doc(tiendaId).collection('lives').doc(liveId);
  }
  private postRef(platform: Platform, postId: string) {
    return this.db.collection('live_posts').doc(`${platform}_${postId.replace(/\//g, '_')}`);
  }

  /**
   * Registers or replaces a live and its catalog, idempotently. The on-air window follows the status change
   * (as in setStatus) unless the input gives `started_at` / `ended_at` itself.
   */
  async upsert(input: LiveInput): Promise<{ status: 'created' | 'updated'; live: Live }> {
    let live = liveSchema.parse(input);
    const status = await this.db.runTransaction(async (tx) => {
      const ref = this.liveRef(live.tienda_id, live.live_id);
      const tienda = await tx.get(this.db.collection('tiendas').doc(live.tienda_id));
      if (!tienda.exists) throw new Error(`tienda ${live.tienda_id} does not exist; add it first (npm run tienda -- add)`);
      const prev = await tx.get(ref);
      const index = this.postRef(live.platform, live.post_id);
      const idx = await tx.get(index);
      if (idx.exists && (idx.get('tienda_id') !== live.tienda_id || idx.get('live_id') !== live.live_id)) {
        throw new Error(`post ${live.post_id} already belongs to live ${idx.get('tienda_id')}/${idx.get('live_id')}`);
      }
      if (prev.exists && (prev.get('post_id') !== live.post_id || prev.get('platform') !== live.platform)) {
        tx.delete(this.postRef(prev.get('platform') as Platform, prev.get('post_id') as string));
      }
      const derived = windowAfter(prev.exists ? toLive(prev.data()!) : null, live.status, new Date(this.now()));
      live = {
        ...live,
        started_at: input.started_at !== undefined ? live.started_at : derived.started_at,
        ended_at: input.ended_at !== undefined ? live.ended_at : derived.ended_at,
      };
      tx.set(index, { tienda_id: live.tienda_id, live_id: live.live_id });
      tx.set(ref, { ...live, started_at: toTimestamp(live.started_at), ended_at: toTimestamp(live.ended_at), updated_at: Timestamp.now() });
      return prev.exists ? ('updated' as const) : ('created' as const);
    });
    this.forget(live.tienda_id, live.live_id);
    return { status, live };
  }

  /** The live; from the cache when it has one younger than the TTL, unless `fresh`. */
  async get(tiendaId: string, liveId: string, options: { fresh?: boolean } = {}): Promise<Live | null> {
    const key = `${tiendaId}/${liveId}`;
    if (options.fresh) this.lives.delete(key);
    return this.lives.get(key, async () => {
      const snap = await boundedRead('firestore lives.get', this.readTimeoutMs, () => this.liveRef(tiendaId, liveId).get());
      return snap.exists ? toLive(snap.data()!) : null;
    });
  }

  /** The live a commented post or media belongs to (`fresh`: the live document read again, not cached). */
  async findByPost(platform: Platform, postId: string, options: { fresh?: boolean } = {}): Promise<Live | null> {
    const idx = await this.posts.get(`${platform}_${postId}`, async () => {
      const snap = await boundedRead('firestore live_posts.get', this.readTimeoutMs, () => this.postRef(platform, postId).get());
      return snap.exists ? { tienda_id: snap.get('tienda_id') as string, live_id: snap.get('live_id') as string } : null;
    });
    return idx ? this.get(idx.tienda_id, idx.live_id, options) : null;
  }

  /** Drops this process's cached copy after it changed the live (other instances follow within the TTL). */
  private forget(tiendaId: string, liveId: string): void {
    this.lives.delete(`${tiendaId}/${liveId}`);
  }

  async list(tiendaId: string): Promise<Live[]> {
    const snap = await boundedRead('firestore lives.list', this.readTimeoutMs, () => this.db.collection('tiendas').doc(tiendaId).collection('lives').get());
    return snap.docs.map((d) => toLive(d.data()));
  }

  /** Puts a live on or off air and records its on-air window; returns the window. */
  async setStatus(tiendaId: string, liveId: string, status: Live['status']): Promise<Window> {
    return this.db.runTransaction(async (tx) => {
      const ref = this.liveRef(tiendaId, liveId);
      const snap = await tx.get(ref);
      if (!snap.exists) throw new Error(`no live ${tiendaId}/${liveId}`);
      const window = windowAfter(toLive(snap.data()!), status, new Date(this.now()));
      tx.update(ref, { status, started_at: toTimestamp(window.started_at), ended_at: toTimestamp(window.ended_at), updated_at: Timestamp.now() });
      return window;
    }).finally(() => this.forget(tiendaId, liveId));
  }

  async setFeatured(tiendaId: string, liveId: string, code: string | null): Promise<void> {
    await this.db.runTransaction(async (tx) => {
      const ref = this.liveRef(tiendaId, liveId);
      const snap = await tx.get(ref);
      if (!snap.exists) throw new Error(`no live ${tiendaId}/${liveId}`);
      const live = toLive(snap.data()!);
      if (code !== null && !live.products.some((p) => p.code === code)) throw new Error(`product ${code} is not in the catalog of this live`);
      tx.update(ref, { featured_product: code, updated_at: Timestamp.now() });
    }).finally(() => this.forget(tiendaId, liveId));
  }
}

function toLive(data: Record<string, unknown>): Live {
  const { updated_at: _u, started_at, ended_at, ...rest } = data;
  const iso = (v: unknown) => (v instanceof Timestamp ? v.toDate().toISOString() : (v ?? null));
  // Documents written before the window existed have neither field: they read back as null.
  return liveSchema.parse({ ...rest, started_at: iso(started_at), ended_at: iso(ended_at) });
}
