import { afterAll, describe, expect, it } from 'vitest';
import { IdempotencyStore } from '../../shared/idempotency/idempotency-store.js';
import { emulatorClients } from '../helpers/test-kit.js';

describe('Firestore idempotency (claim-then-complete) on the emulator', () => {
  const { firestore } = emulatorClients();
  afterAll(() => firestore.terminate());

  it('50 concurrent claims of one key: exactly one wins', async () => {
    const store = new IdempotencyStore(firestore);
    const results = await Promise.all(Array.from({ length: 50 }, () => store.claim('comment:race-1')));
    const winners = results.filter((r) => r.status === 'claimed');
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.status === 'in_progress')).toHaveLength(49);
  });

  it('after completion the key is a duplicate, with a TTL field for Firestore to expire it', async () => {
    let t = 1_700_000_000_000;
    const store = new IdempotencyStore(firestore, { now: () => t, ttlMs: 3600_000 });
    const first = await store.claim('comment:done-1');
    expect(first.status).toBe('claimed');
    if (first.status !== 'claimed') return;
    await store.complete(first.claim);
    expect(await store.claim('comment:done-1')).toEqual({ status: 'duplicate' });
    const snap = await firestore.collection('idempotency_keys').doc(first.claim.docId).get();
    expect(snap.get('state')).toBe('done');
    expect(snap.get('expires_at').toMillis()).toBe(t + 3600_000);
    t += 1; // unused afterwards; keeps the injected clock honest
  });

  it('a failed attempt releases its claim so a retry can succeed', async () => {
    const store = new IdempotencyStore(firestore);
    const first = await store.claim('comment:fail-1');
    expect(first.status).toBe('claimed');
    if (first.status !== 'claimed') return;
    expect(await store.claim('comment:fail-1')).toEqual({ status: 'in_progress' });
    expect(await store.release(first.claim)).toBe(true);
    expect(await store.state('comment:fail-1')).toBeNull();
    const retry = await store.claim('comment:fail-1');
    expect(retry.status).toBe('claimed');
  });

  it('50 concurrent claims after a release: again exactly one wins', async () => {
    const store = new IdempotencyStore(firestore);
    const first = await store.claim('comment:race-2');
    if (first.status !== 'claimed') throw new Error('expected a claim');
    await store.release(first.claim);
    const results = await Promise.all(Array.from({ length: 50 }, () => store.claim('comment:race-2')));
    expect(results.filter((r) => r.status === 'claimed')).toHaveLength(1);
  });

  it('an abandoned claim (lease expired, holder crashed) can be taken over; the old holder cannot release it', async () => {
    let t = 1_800_000_000_000;
    const store = new IdempotencyStore(firestore, { now: () => t, leaseMs: 1000 });
    const crashed = await store.claim('comment:lease-1');
    if (crashed.status !== 'claimed') throw new Error('expected a claim');
    expect((await store.claim('comment:lease-1')).status).toBe('in_progress');
    t += 1500;
    const takeover = await store.claim('comment:lease-1');
    expect(takeover.status).toBe('claimed');
    expect(await store.release(crashed.claim)).toBe(false);
    expect(await store.state('comment:lease-1')).toBe('processing');
  });

  it('concurrent take-overs of an abandoned claim: exactly one wins; a late complete by the crashed holder still marks it done', async () => {
    let t = 1_900_000_000_000;
    const store = new IdempotencyStore(firestore, { now: () => t, leaseMs: 1000 });
    const crashed = await store.claim('comment:lease-2');
    if (crashed.status !== 'claimed') throw new Error('expected a claim');
    t += 5000;
    const results = await Promise.all(Array.from({ length: 20 }, () => store.claim('comment:lease-2')));
    expect(results.filter((r) => r.status === 'claimed')).toHaveLength(1);
    await store.complete(crashed.claim);
    expect(await store.state('comment:lease-2')).toBe('done');
    expect(await store.claim('comment:lease-2')).toEqual({ status: 'duplicate' });
  });
});
