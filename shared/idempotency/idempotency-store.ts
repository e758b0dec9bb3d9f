import { createHash, randomUUID } from 'node:crypto';
import { Timestamp, type Firestore } from '@google-cloud/firestore';

/**
 * Claim-then-complete idempotency in Firestore (DESIGN §4):
 *  - `claim(key)` does `create()` on a doc keyed by a hash of the key with state `processing` and a short
 *    lease: of any number of concurrent claims exactly one wins (Firestore's create precondition);
 *  - the winner does the work, then `complete()` marks it `done` with a long `expires_at` (a Firestore TTL
 *    policy on that field deletes old keys);
 *  - on failure the winner `release()`s the claim so the sender's retry can succeed;
 *  - a claim whose lease ran out (its holder crashed) can be taken over, in a transaction.
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

  private deadline<T>(op: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new IdempotencyUnavailableError(`${what} timed out after ${this.opTimeoutMs} ms`)), this.opTimeoutMs);
    });
    op.catch(() => undefined); // a late failure after the timeout must not become an unhandled rejection
    return Promise.race([op, timeout]).finally(() => clearTimeout(timer));
  }

  private doc(docId: string) {
    return this.db.collection(this.collection).doc(docId);
  }

  async claim(key: string, scope?: string): Promise<ClaimResult> {
    const docId = idempotencyDocId(key);
    const token = randomUUID();
    const now = this.now();
    const ref = this.doc(docId);
    try {
      await this.deadline(ref.create({
        key: key.slice(0, 1500),
        scope: scope ?? null,
        state: 'processing',
        token,
        claimed_at: Timestamp.fromMillis(now),
        lease_until: Timestamp.fromMillis(now + this.leaseMs),
        expires_at: Timestamp.fromMillis(now + this.ttlMs),
      }), 'idempotency claim');
      return { status: 'claimed', claim: { key, docId, token } };
    } catch (e) {
      if (e instanceof IdempotencyUnavailableError) throw e;
      if ((e as { code?: number }).code !== ALREADY_EXISTS) {
        throw new IdempotencyUnavailableError(`idempotency claim failed: ${(e as Error).message}`, { cause: e });
      }
    }
    // Someone has (or had) this key: done, a live lease, or an abandoned lease we may take over.
    try {
      return await this.deadline(this.db.runTransaction(async (tx) => {
        const snap = await tx.get(ref);
        if (!snap.exists) {
          // Released between our create and this read: claim it now.
          tx.create(ref, {
            key: key.slice(0, 1500),
            scope: scope ?? null,
            state: 'processing',
            token,
            claimed_at: Timestamp.fromMillis(now),
            lease_until: Timestamp.fromMillis(now + this.leaseMs),
            expires_at: Timestamp.fromMillis(now + this.ttlMs),
          });
          return { status: 'claimed', claim: { key, docId, token } } as const;
        }
        const data = snap.data() as { state: string; lease_until?: Timestamp };
        if (data.state === 'done') return { status: 'duplicate' } as const;
        if (data.lease_until && data.lease_until.toMillis() > now) return { status: 'in_progress' } as const;
        tx.update(ref, {
          token,
          claimed_at: Timestamp.fromMillis(now),
          lease_until: Timestamp.fromMillis(now + this.leaseMs),
        });
        return { status: 'claimed', claim: { key, docId, token } } as const;
      }), 'idempotency claim');
    } catch (e) {
      if (e instanceof IdempotencyUnavailableError) throw e;
      throw new IdempotencyUnavailableError(`idempotency claim failed: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Marks the key done (the effect happened). Only the holder of the claim may complete it. */
  async complete(claim: Claim, result?: Record<string, unknown>): Promise<void> {
    const now = this.now();
    try {
      await this.deadline(this.db.runTransaction(async (tx) => {
        const ref = this.doc(claim.docId);
        const snap = await tx.get(ref);
        if (!snap.exists || snap.get('token') !== claim.token) {
          // Our lease ran out and someone else took over; the effect happened anyway, so mark it done.
          tx.set(ref, { key: claim.key.slice(0, 1500), state: 'done', token: claim.token, completed_at: Timestamp.fromMillis(now), expires_at: Timestamp.fromMillis(now + this.ttlMs), result: result ?? null }, { merge: true });
          return;
        }
        tx.update(ref, {
          state: 'done',
          completed_at: Timestamp.fromMillis(now),
          expires_at: Timestamp.fromMillis(now + this.ttlMs),
          result: result ?? null,
        });
      }), 'idempotency complete');
    } catch (e) {
      if (e instanceof IdempotencyUnavailableError) throw e;
      throw new IdempotencyUnavailableError(`idempotency complete failed: ${(e as Error).message}`, { cause: e });
    }
  }

  /**
   * Gives the key back after a failed attempt so the sender's retry can succeed. Best effort: if it fails
   * too, the lease expires on its own and the key can be taken over then.
   */
  async release(claim: Claim): Promise<boolean> {
    try {
      return await this.deadline(this.db.runTransaction(async (tx) => {
        const ref = this.doc(claim.docId);
        const snap = await tx.get(ref);
        if (!snap.exists || snap.get('token') !== claim.token || snap.get('state') !== 'processing') return false;
        tx.delete(ref);
        return true;
      }), 'idempotency release');
    } catch {
      return false;
    }
  }

  async state(key: string): Promise<'processing' | 'done' | null> {
    const snap = await this.doc(idempotencyDocId(key)).get();
    return snap.exists ? (snap.get('state') as 'processing' | 'done') : null;
  }
}
