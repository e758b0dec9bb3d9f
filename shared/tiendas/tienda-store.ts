import { Timestamp, type Firestore } from '@google-cloud/firestore';
import { z } from 'zod';
import { PAYMENT_PROVIDERS } from '../events/event-schemas.js';
import { currencyRefusal } from '../payments/currency-rules.js';
import { DependencyUnavailableError, withDeadline } from '../runtime/deadline.js';
import { LookupCache } from './lookup-cache.js';

/**
 * Tiendas (merchants) in Firestore — data model in docs/data-model.md:
 *   tiendas/{tienda_id}                    the tienda
 *   meta_accounts/{platform}_{account_id}  → { tienda_id }: which tienda owns a Facebook Page / IG account
 * The account index makes the worker's lookup one document read and keeps an account on one tienda only.
 */

export const tiendaIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lowercase letters, digits and dashes, 2–63 characters (used in secret names)');

export const tiendaSchema = z.strictObject({
  id: tiendaIdSchema,
  name: z.string().min(1).max(200),
  /** ISO 3166-1 alpha-2, e.g. CL, MX, AR. */
  country: z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2 country code, e.g. CL'),
  /** ISO 4217, e.g. CLP, MXN. */
  currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 currency code, e.g. CLP'),
  payment_provider: z.enum(PAYMENT_PROVIDERS),
  meta_page_id: z.string().regex(/^\d+$/, 'numeric Facebook Page id').nullable().default(null),
  instagram_account_id: z.string().regex(/^\d+$/, 'numeric Instagram account id').nullable().default(null),
});
export type Tienda = z.output<typeof tiendaSchema>;

/**
 * What `upsert` (and so `npm run tienda -- add`) accepts: also a provider that can charge the tienda's currency
 * (PayPal does not take CLP, Flow only takes CLP — shared/payments/currency-rules.ts). Stored tiendas are read
 * with `tiendaSchema` alone, so a rule change never makes an existing tienda unreadable.
 */
export const newTiendaSchema = tiendaSchema.superRefine((t, ctx) => {
  const refusal = currencyRefusal(t.payment_provider, t.currency);
  if (refusal) ctx.addIssue({ code: 'custom', path: ['currency'], message: refusal });
});
export type TiendaInput = z.input<typeof tiendaSchema>;

export type Platform = 'facebook' | 'instagram';

export class TiendaConflictError extends Error {}

export interface TiendaStoreOptions {
  /**
   * Cache lookups on the hot path (tiendas and the account index) for this long: tiendas change rarely. 0 reads every
   * time (the CLIs). Default 30 s (`TIENDA_CACHE_TTL`).
   */
  cacheTtlMs?: number;
  /**
   * At most this many ids are cached (known or not). The payment routes look the tienda up before any
   * signature can be checked (the secret is per tienda), so the ids come from unauthenticated requests:
   * without a bound, a stream of made-up ids would grow the cache without limit. Default 1000.
   */
  maxCachedIds?: number;
  /** Deadline of each Firestore read on the request path. Default 5 s. */
  readTimeoutMs?: number;
  now?: () => number;
}

export const DEFAULT_STORE_READ_TIMEOUT_MS = 5000;
export const DEFAULT_TIENDA_CACHE_TTL_MS = 30_000;

/**
 * A Firestore read on the request path, bounded: the client retries UNAVAILABLE on its own for a long time and takes
 * no AbortSignal. Any failure becomes a {@link DependencyUnavailableError} (HTTP 503 / a scheduled retry).
 */
export async function boundedRead<T>(what: string, timeoutMs: number, read: () => Promise<T>): Promise<T> {
  try {
    return await withDeadline(what, timeoutMs, read);
  } catch (e) {
    if (e instanceof DependencyUnavailableError) throw e;
    throw new DependencyUnavailableError(what, `${what} failed: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
}

export class TiendaStore {
  /** Tiendas by id, unknown ones too (the ids of the payment routes come from unauthenticated requests). */
  private readonly cache: LookupCache<Tienda>;
  /** The account index (`meta_accounts`): known accounts only, so a tienda added mid-live is found at once. */
  private readonly accounts: LookupCache<string>;
  private readonly now: () => number;
  private readonly readTimeoutMs: number;

  constructor(
    private readonly db: Firestore,
    options: TiendaStoreOptions = {},
  ) {
    this.readTimeoutMs = options.readTimeoutMs ?? DEFAULT_STORE_READ_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
    const cache = { ttlMs: options.cacheTtlMs ?? DEFAULT_TIENDA_CACHE_TTL_MS, max: options.maxCachedIds ?? 1000, ...(options.now ? { now: options.now } : {}) };
    this.cache = new LookupCache<Tienda>({ ...cache, cacheMisses: true });
    this.accounts = new LookupCache<string>(cache);
  }

  private tiendaRef(id: string) {
    return this.db.collection('tiendas').doc(id);
  }
  private accountRef(platform: Platform, accountId: string) {
    return this.db.collection('meta_accounts').doc(`${platform}_${accountId}`);
  }

  /** Registers or updates a tienda, idempotently. Re-adding the same JSON changes nothing. */
  async upsert(input: TiendaInput): Promise<{ status: 'created' | 'updated' | 'unchanged'; tienda: Tienda }> {
    const tienda = newTiendaSchema.parse(input);
    const result = await this.db.runTransaction(async (tx) => {
      const ref = this.tiendaRef(tienda.id);
      const wanted: Array<[Platform, string | null]> = [
        ['facebook', tienda.meta_page_id],
        ['instagram', tienda.instagram_account_id],
      ];
      const [snap, ...accountSnaps] = await Promise.all([
        tx.get(ref),
        ...wanted.filter(([, id]) => id).map(([p, id]) => tx.get(this.accountRef(p, id!))),
      ]);
      for (const a of accountSnaps) {
        if (a.exists && a.get('tienda_id') !== tienda.id) {
          throw new TiendaConflictError(`account ${a.id} already belongs to tienda ${a.get('tienda_id')}`);
        }
      }
      const previous = snap.exists ? (snap.data() as Tienda & Record<string, unknown>) : null;
      const same =
        previous !== null &&
        (Object.keys(tiendaSchema.shape) as Array<keyof Tienda>).every((k) => (previous[k] ?? null) === (tienda[k] ?? null));
      if (same) return 'unchanged' as const;
      // Drop index entries the tienda no longer uses.
      if (previous) {
        if (previous.meta_page_id && previous.meta_page_id !== tienda.meta_page_id) tx.delete(this.accountRef('facebook', previous.meta_page_id));
        if (previous.instagram_account_id && previous.instagram_account_id !== tienda.instagram_account_id)
          tx.delete(this.accountRef('instagram', previous.instagram_account_id));
      }
      for (const [p, id] of wanted) if (id) tx.set(this.accountRef(p, id), { tienda_id: tienda.id });
      const now = Timestamp.fromMillis(this.now());
      tx.set(ref, { ...tienda, updated_at: now, created_at: previous?.created_at ?? now });
      return previous ? ('updated' as const) : ('created' as const);
    });
    this.cache.delete(tienda.id);
    for (const [p, id] of [['facebook', tienda.meta_page_id], ['instagram', tienda.instagram_account_id]] as const) if (id) this.accounts.delete(`${p}_${id}`);
    return { status: result, tienda };
  }

  async get(id: string): Promise<Tienda | null> {
    if (!tiendaIdSchema.safeParse(id).success) return null;
    return this.cache.get(id, async () => {
      const snap = await boundedRead('firestore tiendas.get', this.readTimeoutMs, () => this.tiendaRef(id).get());
      return snap.exists ? toTienda(snap.data()!) : null;
    });
  }

  /** How many ids the lookup cache holds now (bounded by `maxCachedIds`). */
  get cachedIds(): number {
    return this.cache.size;
  }

  /** The tienda that owns a Facebook Page or Instagram account, if any. */
  async findByAccount(platform: Platform, accountId: string): Promise<Tienda | null> {
    const tiendaId = await this.accounts.get(`${platform}_${accountId}`, async () => {
      const snap = await boundedRead('firestore meta_accounts.get', this.readTimeoutMs, () => this.accountRef(platform, accountId).get());
      return snap.exists ? (snap.get('tienda_id') as string) : null;
    });
    return tiendaId === null ? null : this.get(tiendaId);
  }

  async list(): Promise<Tienda[]> {
    const snap = await boundedRead('firestore tiendas.list', this.readTimeoutMs, () => this.db.collection('tiendas').orderBy('id').get());
    return snap.docs.map((d) => toTienda(d.data()));
  }
}

function toTienda(data: Record<string, unknown>): Tienda {
  const { created_at: _c, updated_at: _u, ...rest } = data;
  return tiendaSchema.parse(rest);
}
