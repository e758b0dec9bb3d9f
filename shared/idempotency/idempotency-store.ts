import { createHash, randomUUID } from 'node:crypto';
import { Timestamp, type DocumentReference, type Firestore } from '@google-cloud/firestore';

/**
 * Claim-then-complete idempotency in Firestore (DESIGN §4):
 *  - `claim(key)` does `create()` on a doc keyed by a hash of the key with state `processing` and a short
 *    lease: of any number of concurrent claims exactly one wins (Firestore's create precondition);
 *  - the winner does the work, then `complete()` marks it `done` with a long `expires_at` (a Firestore TTL
 *    policy on that field deletes old keys);
 *  - on failure the winner `release()`s the claim so the sender's retry can succeed;
 *  - a claim whose lease ran out (its holder crashed) can be taken over.
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

const ALREADY_EXISTS = 6;
const FAILED_PRECONDITION = 9;
const NOT_FOUND = 5;
const code = (e: unknown) => (e as { code?: number })?.code;

export function idempotencyDocId(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export class IdempotencyStore {
  private readonly collection: string;
  private readonly leaseMs: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly opTimeoutMs: number;

  constructor(
    private readonly db: Firestore,
    options: IdempotencyStoreOptions = {},
  ) {
    this.collection = options.collection ?? 'idempotency_keys';
    this.leaseMs = options.leaseMs ?? 60_000;
    this.ttlMs = options.ttlMs ?? 7 * 24 * 3600_000;
    this.now = options.now ?? Date.now;
    this.opTimeoutMs = options.opTimeoutMs ?? 5000;
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
          return { status: 'claimed', claim: { key, docId, token, writeTime: written.writeTime } };
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
          return { status: 'claimed', claim: { key, docId, token, writeTime: written.writeTime } };
        } catch (e) {
          if (code(e) === FAILED_PRECONDITION || code(e) === NOT_FOUND) return { status: 'in_progress' };
          throw unavailable('claim', e);
        }
      }
      return { status: 'in_progress' };
    });
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
