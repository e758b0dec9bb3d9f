import { createHash, randomUUID } from 'node:crypto';
import { Timestamp, type DocumentReference, type DocumentSnapshot, type Firestore } from '@google-cloud/firestore';

/**
 * Claim-then-complete idempotency in Firestore (DESIGN §4):
 *  - `claim(key)` does `create()` on a doc keyed by a hash of the key with state `processing` and a short
 *    lease: of any number of concurrent claims exactly one wins (Firestore's create precondition);
 *  - the winner does the work, then `complete()` marks it `done` with a long `expires_at` (a Firestore TTL
 *    policy on that field deletes old keys);
 *  - on failure the winner `release()`s the claim so the sender's retry can succeed;
 *  - a claim whose lease ran out (its holder crashed) can be taken over.
 *
 * `in_progress` (someone else holds a live lease) is never success for the caller: the holder may have
 * crashed, or its claim may have committed after our client-side timeout with nobody left to finish it.
 * Callers answer "retry later" (503 / TransientError); after the lease the key is taken over (ADR 0002).
 *
 * No transactions on the hot path: every conditional write is a compare-and-set on the document's
 * `lastUpdateTime` (the write time the claimant saw). Transactions serialise on the emulator and contend on
 * hot keys in production (a burst of Meta re-deliveries of one batch); a precondition costs one write.
 */

export type ClaimResult =
  | { status: 'claimed'; claim: Claim }
  /** The work for this key was done before. */
  | { status: 'duplicate' }
  /** Another request holds a live lease on this key right now. */
  | { status: 'in_progress' };

export interface Claim {
  key: string;
  docId: string;
  token: string;
  /** Update time of the doc as this claim wrote it: later writes are conditional on it. */
  writeTime: Timestamp;
  /** When the lease ends (this process's clock, ms): after it another request may take the key over. */
  leaseUntil: number;
}

/** One key of a batch claim. */
export interface ClaimRequest {
  key: string;
  scope?: string;
}

export interface IdempotencyStoreOptions {
  collection?: string;
  /** How long a `processing` claim is honoured before another request may take it over. */
  leaseMs?: number;
  /** How long a `done` key is remembered (TTL field). Meta retries for 36 h, PayPal for 3 days. */
  ttlMs?: number;
  now?: () => number;
  /**
   * Deadline of each store operation. The client retries UNAVAILABLE for a long time on its own; a webhook
   * sender wants an answer within seconds, and a 503 lets it retry sooner than a hung request.
   */
  opTimeoutMs?: number;
}

/** Firestore could not be reached or refused: the caller answers 503 so the sender retries. */
export class IdempotencyUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IdempotencyUnavailableError';
  }
}

/** Deadline of each store operation unless configured (the lease must cover a publish plus one of these). */
export const DEFAULT_IDEMPOTENCY_OP_TIMEOUT_MS = 5000;

const ALREADY_EXISTS = 6;
const FAILED_PRECONDITION = 9;
const NOT_FOUND = 5;
const code = (e: unknown) => (e as { code?: number })?.code;

export function idempotencyDocId(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Writes in flight at once in a batch claim / complete (BulkWriter sends them 20 per BatchWrite RPC). */
const BULK_CHUNK = 500;

export class IdempotencyStore {
  private readonly collection: string;
  readonly leaseMs: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  readonly opTimeoutMs: number;

  constructor(
    private readonly db: Firestore,
    options: IdempotencyStoreOptions = {},
  ) {
    this.collection = options.collection ?? 'idempotency_keys';
    this.leaseMs = options.leaseMs ?? 60_000;
    this.ttlMs = options.ttlMs ?? 7 * 24 * 3600_000;
    this.now = options.now ?? Date.now;
    this.opTimeoutMs = options.opTimeoutMs ?? DEFAULT_IDEMPOTENCY_OP_TIMEOUT_MS;
  }

  private doc(docId: string): DocumentReference {
    return this.db.collection(this.collection).doc(docId);
  }

  /** Bounds a store call; failures other than the expected precondition codes become IdempotencyUnavailableError. */
  private async op<T>(what: string, run: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const work = run();
    work.catch(() => undefined); // a late failure after the timeout must not become an unhandled rejection
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new IdempotencyUnavailableError(`${what} timed out after ${this.opTimeoutMs} ms`)), this.opTimeoutMs);
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private processingFields(key: string, scope: string | undefined, token: string, now: number) {
    return {
      key: key.slice(0, 1500),
      scope: scope ?? null,
      state: 'processing',
      token,
      claimed_at: Timestamp.fromMillis(now),
      lease_until: Timestamp.fromMillis(now + this.leaseMs),
      expires_at: Timestamp.fromMillis(now + this.ttlMs),
    };
  }

  async claim(key: string, scope?: string): Promise<ClaimResult> {
    const docId = idempotencyDocId(key);
    const ref = this.doc(docId);
    return this.op('idempotency claim', async () => {
      // Two rounds cover a claim released between our failed create and our read.
      for (let round = 0; round < 2; round++) {
        const token = randomUUID();
        const now = this.now();
        try {
          const written = await ref.create(this.processingFields(key, scope, token, now));
          return { status: 'claimed', claim: { key, docId, token, writeTime: written.writeTime, leaseUntil: now + this.leaseMs } };
        } catch (e) {
          if (code(e) !== ALREADY_EXISTS) throw unavailable('claim', e);
        }
        let snap;
        try {
          snap = await ref.get();
        } catch (e) {
          throw unavailable('claim', e);
        }
        if (!snap.exists) continue;
        if (snap.get('state') === 'done') return { status: 'duplicate' };
        const lease = snap.get('lease_until') as Timestamp | undefined;
        if (lease && lease.toMillis() > now) return { status: 'in_progress' };
        // Abandoned claim (holder crashed): take it over if nobody else did since we read it.
        try {
          const written = await ref.update(
            { token, claimed_at: Timestamp.fromMillis(now), lease_until: Timestamp.fromMillis(now + this.leaseMs) },
            { lastUpdateTime: snap.updateTime! },
          );
          return { status: 'claimed', claim: { key, docId, token, writeTime: written.writeTime, leaseUntil: now + this.leaseMs } };
        } catch (e) {
          if (code(e) === FAILED_PRECONDITION || code(e) === NOT_FOUND) return { status: 'in_progress' };
          throw unavailable('claim', e);
        }
      }
      return { status: 'in_progress' };
    });
  }

  /** How long this claim's lease still runs (ms, this process's clock); ≤ 0 when another may take it over. */
  leaseRemainingMs(claim: Claim): number {
    return claim.leaseUntil - this.now();
  }

  /**
   * Claims many keys with batched Firestore work: BulkWriter `create()`s (20 per BatchWrite RPC, each with its
   * own precondition result), one `getAll()` for the keys that exist, and `claim()` only for the rare ones to
   * take over or re-claim. A Meta batch of 1,000 comments costs ~50 BatchWrite RPCs instead of 1,000 commits.
   * Results are in the order of `requests`; a key that could not be claimed (Firestore unavailable, deadline)
   * is an `IdempotencyUnavailableError` in its slot — its create may still commit later (then it is an
   * `in_progress` claim without a holder, taken over after its lease).
   */
  async claimMany(requests: ClaimRequest[]): Promise<Array<ClaimResult | IdempotencyUnavailableError>> {
    if (requests.length === 1) {
      const only = requests[0]!;
      return [await this.claim(only.key, only.scope).catch((e: unknown) => unavailable('claim', e))];
    }
    const results: Array<ClaimResult | IdempotencyUnavailableError> = [];
    for (let start = 0; start < requests.length; start += BULK_CHUNK) {
      results.push(...(await this.claimChunk(requests.slice(start, start + BULK_CHUNK))));
    }
    return results;
  }

  private async claimChunk(requests: ClaimRequest[]): Promise<Array<ClaimResult | IdempotencyUnavailableError>> {
    const now = this.now();
    const out: Array<ClaimResult | IdempotencyUnavailableError | 'exists'> = new Array(requests.length);
    const writer = this.db.bulkWriter({ throttling: false });
    writer.onWriteError(() => false); // ALREADY_EXISTS is an answer; anything else is retried by our caller's sender
    try {
      // Each create() is enqueued synchronously; flush() sends the last partial BatchWrite.
      await this.op('idempotency claim (batch)', () =>
        Promise.all([
          ...requests.map(async (r, i) => {
            const docId = idempotencyDocId(r.key);
            const token = randomUUID();
            try {
              const written = await writer.create(this.doc(docId), this.processingFields(r.key, r.scope, token, now));
              out[i] = { status: 'claimed', claim: { key: r.key, docId, token, writeTime: written.writeTime, leaseUntil: now + this.leaseMs } };
            } catch (e) {
              out[i] = code(e) === ALREADY_EXISTS ? 'exists' : unavailable('claim', e);
            }
          }),
          writer.flush(),
        ]),
      );
    } catch (e) {
      // Deadline: whatever has not answered is unknown (it may commit later); report it unavailable.
      for (let i = 0; i < requests.length; i++) out[i] ??= unavailable('claim', e);
    } finally {
      void writer.close().catch(() => undefined);
    }
    // Copy: writes still in flight after a deadline must not change what we answer below.
    return this.settleExisting(requests, out.slice(), now);
  }

  private async settleExisting(
    requests: ClaimRequest[],
    out: Array<ClaimResult | IdempotencyUnavailableError | 'exists'>,
    now: number,
  ): Promise<Array<ClaimResult | IdempotencyUnavailableError>> {
    const existing = requests.map((_, i) => i).filter((i) => out[i] === 'exists');
    if (existing.length > 0) {
      let snaps: DocumentSnapshot[];
      try {
        snaps = await this.op('idempotency claim (batch read)', () => this.db.getAll(...existing.map((i) => this.doc(idempotencyDocId(requests[i]!.key)))));
      } catch (e) {
        for (const i of existing) out[i] = unavailable('claim', e);
        snaps = [];
      }
      const again: number[] = [];
      snaps.forEach((snap, j) => {
        const i = existing[j]!;
        if (snap.exists && snap.get('state') === 'done') out[i] = { status: 'duplicate' };
        else if (snap.exists && ((snap.get('lease_until') as Timestamp | undefined)?.toMillis() ?? 0) > now) out[i] = { status: 'in_progress' };
        else again.push(i); // released meanwhile, or an abandoned claim to take over
      });
      await Promise.all(
        again.map(async (i) => {
          out[i] = await this.claim(requests[i]!.key, requests[i]!.scope).catch((e: unknown) => unavailable('claim', e));
        }),
      );
    }
    return out as Array<ClaimResult | IdempotencyUnavailableError>;
  }

  /** Marks many keys done in batched writes; per-claim failures are returned, never thrown. */
  async completeMany(claims: Claim[]): Promise<Array<IdempotencyUnavailableError | null>> {
    if (claims.length <= 1) return Promise.all(claims.map((c) => this.complete(c).then(() => null, (e: unknown) => unavailable('complete', e))));
    const out: Array<IdempotencyUnavailableError | null> = [];
    for (let start = 0; start < claims.length; start += BULK_CHUNK) {
      const chunk = claims.slice(start, start + BULK_CHUNK);
      const results: Array<IdempotencyUnavailableError | null | 'retry'> = new Array(chunk.length);
      const writer = this.db.bulkWriter({ throttling: false });
      writer.onWriteError(() => false);
      const now = this.now();
      try {
        await this.op('idempotency complete (batch)', () =>
          Promise.all([
            ...chunk.map(async (c, i) => {
              try {
                await writer.update(this.doc(c.docId), this.doneFields(now), { lastUpdateTime: c.writeTime });
                results[i] = null;
              } catch (e) {
                // Taken over or released meanwhile: complete() settles it with its merge fallback.
                results[i] = code(e) === FAILED_PRECONDITION || code(e) === NOT_FOUND ? 'retry' : unavailable('complete', e);
              }
            }),
            writer.flush(),
          ]),
        );
      } catch (e) {
          for (let i = 0; i < chunk.length; i++) results[i] ??= unavailable('complete', e);
      } finally {
        void writer.close().catch(() => undefined);
      }
      const settled = results.slice();
      await Promise.all(
        chunk.map(async (c, i) => {
          if (settled[i] === 'retry') settled[i] = await this.complete(c).then(() => null, (e: unknown) => unavailable('complete', e));
        }),
      );
      out.push(...(settled as Array<IdempotencyUnavailableError | null>));
    }
    return out;
  }

  private doneFields(now: number) {
    return {
      state: 'done',
      completed_at: Timestamp.fromMillis(now),
      expires_at: Timestamp.fromMillis(now + this.ttlMs),
      result: null,
    };
  }

  /** Marks the key done (the effect happened). */
  async complete(claim: Claim, result?: Record<string, unknown>): Promise<void> {
    const now = this.now();
    const done = {
      state: 'done',
      completed_at: Timestamp.fromMillis(now),
      expires_at: Timestamp.fromMillis(now + this.ttlMs),
      result: result ?? null,
    };
    const ref = this.doc(claim.docId);
    await this.op('idempotency complete', async () => {
      try {
        await ref.update(done, { lastUpdateTime: claim.writeTime });
      } catch (e) {
        if (code(e) !== FAILED_PRECONDITION && code(e) !== NOT_FOUND) throw unavailable('complete', e);
        // Our lease ran out and someone took over (or released) meanwhile; the effect happened anyway,
        // so the key is done whoever holds it now.
        try {
          await ref.set({ key: claim.key.slice(0, 1500), token: claim.token, ...done }, { merge: true });
        } catch (e2) {
          throw unavailable('complete', e2);
        }
      }
    });
  }

  /**
   * Gives the key back after a failed attempt so the sender's retry can succeed — only if nobody took it
   * over since. Best effort: if it fails, the lease expires on its own and the key can be taken over then.
   */
  async release(claim: Claim): Promise<boolean> {
    try {
      await this.op('idempotency release', () => this.doc(claim.docId).delete({ lastUpdateTime: claim.writeTime }));
      return true;
    } catch {
      return false;
    }
  }

  async state(key: string): Promise<'processing' | 'done' | null> {
    const snap = await this.doc(idempotencyDocId(key)).get();
    return snap.exists ? (snap.get('state') as 'processing' | 'done') : null;
  }
}

function unavailable(what: string, e: unknown): IdempotencyUnavailableError {
  if (e instanceof IdempotencyUnavailableError) return e;
  return new IdempotencyUnavailableError(`idempotency ${what} failed: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}
