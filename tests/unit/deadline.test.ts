import Koa from 'koa';
import { describe, expect, it } from 'vitest';
import { requestContext } from '../../shared/http/request-context.js';
import { DeadlineExceededError, DependencyUnavailableError, withDeadline } from '../../shared/runtime/deadline.js';
import { TiendaStore } from '../../shared/tiendas/tienda-store.js';
import { LiveStore } from '../../shared/tiendas/live-store.js';
import { listen, unreachableFirestore } from '../helpers/test-kit.js';

describe('withDeadline', () => {
  it('returns what the call returns when it finishes in time', async () => {
    await expect(withDeadline('quick', 1000, async () => 42)).resolves.toBe(42);
  });

  it('rejects with DeadlineExceededError and aborts the signal of a call that never settles', async () => {
    let seen: AbortSignal | undefined;
    const never = withDeadline('hung call', 50, (signal) => {
      seen = signal;
      return new Promise<never>(() => undefined);
    });
    await expect(never).rejects.toBeInstanceOf(DeadlineExceededError);
    await expect(never).rejects.toMatchObject({ dependency: 'hung call', timeoutMs: 50 });
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBeInstanceOf(DeadlineExceededError);
  });

  it('a call rejecting after its deadline leaves no unhandled rejection behind', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (r: unknown) => unhandled.push(r);
    process.on('unhandledRejection', onUnhandled);
    try {
      await expect(
        withDeadline('late failure', 20, () => new Promise((_, reject) => setTimeout(() => reject(new Error('too late')), 60))),
      ).rejects.toBeInstanceOf(DeadlineExceededError);
      await new Promise((r) => setTimeout(r, 120));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('an outer signal (the push budget) ends the call first', async () => {
    const outer = new AbortController();
    const call = withDeadline('inner', 10_000, () => new Promise<never>(() => undefined), { signal: outer.signal });
    outer.abort(new Error('budget'));
    await expect(call).rejects.toBeInstanceOf(DeadlineExceededError);
  });

  it('a call failing on its own keeps its own error', async () => {
    await expect(withDeadline('failing', 1000, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
});

describe('Firestore reads on the request path have deadlines', () => {
  it('tienda and live lookups against an unreachable Firestore fail with DependencyUnavailableError within their deadline', async () => {
    const db = unreachableFirestore();
    try {
      const tiendas = new TiendaStore(db, { readTimeoutMs: 300 });
      const lives = new LiveStore(db, { readTimeoutMs: 300 });
      await expect(tiendas.get('moda-valpo')).rejects.toBeInstanceOf(DependencyUnavailableError);
      await expect(tiendas.findByAccount('facebook', '123')).rejects.toBeInstanceOf(DependencyUnavailableError);
      await expect(lives.findByPost('facebook', '123_456')).rejects.toBeInstanceOf(DependencyUnavailableError);
      await expect(lives.get('moda-valpo', 'live-1')).rejects.toBeInstanceOf(DependencyUnavailableError);
    } finally {
      // Not awaited: terminate() waits for the client's own retries of the abandoned reads.
      void db.terminate().catch(() => undefined);
    }
  });

  it('an HTTP request that hits an unavailable dependency is answered 503, not 500', async () => {
    const app = new Koa();
    app.use(requestContext());
    app.use(() => {
      throw new DeadlineExceededError('firestore tiendas.get', 5000);
    });
    const srv = await listen(app);
    try {
      const res = await fetch(srv.url);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ code: 'unavailable' });
    } finally {
      await srv.close();
    }
  });
});
