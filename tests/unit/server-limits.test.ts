import Koa from 'koa';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readRawBody } from '../../shared/http/read-raw-body.js';
import { requestContext } from '../../shared/http/request-context.js';
import { runServer, SERVER_LIMITS, type RunningServer } from '../../shared/runtime/run-server.js';

/** A Koa app that reads its whole body like the webhook routes do. */
function echoApp(): Koa {
  const app = new Koa();
  app.use(requestContext());
  app.use(async (ctx) => {
    const raw = ctx.method === 'POST' ? await readRawBody(ctx, 1024 * 1024) : Buffer.alloc(0);
    ctx.body = { bytes: raw.length };
  });
  return app;
}

interface Exchange {
  /** Everything the server wrote. */
  received: string;
  /** True when the server closed the connection (not us). */
  closedByServer: boolean;
  /** How many trickled bytes were written before the connection closed or the trickle ran out. */
  trickled: number;
}

/**
 * Writes `head` then one byte of `drip` every `everyMs`, up to `drip.length` bytes, until the server closes
 * the connection. The trickle is long enough that a server without limits never sees the end of it.
 */
function trickle(url: string, head: string, drip: string, everyMs: number): Promise<Exchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket: Socket = connect(Number(port), hostname);
    let received = '';
    let trickled = 0;
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearInterval(timer);
      socket.destroy();
      resolve({ received, closedByServer, trickled });
    };
    socket.on('data', (d) => (received += d.toString('latin1')));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.write(head);
    const timer = setInterval(() => {
      if (trickled >= drip.length) return finish(false);
      socket.write(drip[trickled]!);
      trickled += 1;
    }, everyMs);
  });
}

describe('HTTP server limits (all three services run through runServer)', () => {
  let running: RunningServer | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });
  const start = (limits: Parameters<typeof runServer>[1]['limits']) =>
    runServer(echoApp(), { port: 0, host: '127.0.0.1', name: 'limits-test', handleSignals: false, shutdownBudgetMs: 500, limits });

  it('applies the chosen Cloud Run limits by default', async () => {
    running = await start(undefined);
    const { server } = running;
    expect(server.headersTimeout).toBe(SERVER_LIMITS.headersTimeoutMs);
    expect(server.requestTimeout).toBe(SERVER_LIMITS.requestTimeoutMs);
    expect(server.keepAliveTimeout).toBe(SERVER_LIMITS.keepAliveTimeoutMs);
    expect(server.maxConnections).toBe(SERVER_LIMITS.maxConnections);
    expect(SERVER_LIMITS).toMatchObject({ headersTimeoutMs: 10_000, requestTimeoutMs: 20_000, keepAliveTimeoutMs: 620_000, maxConnections: 1000 });
    // Node refuses nothing it should: headers must be complete before the whole request is.
    expect(SERVER_LIMITS.headersTimeoutMs).toBeLessThan(SERVER_LIMITS.requestTimeoutMs);
  });

  it('cuts off a trickled body with 408 before it is complete', async () => {
    running = await start({ headersTimeoutMs: 500, requestTimeoutMs: 1000, connectionsCheckingIntervalMs: 100 });
    const drip = 'x'.repeat(100); // 100 bytes at one per 100 ms: 10 s if nothing cut it
    const ex = await trickle(running.url, `POST /webhooks/meta HTTP/1.1\r\nHost: t\r\nContent-Length: ${drip.length}\r\n\r\n`, drip, 100);
    expect(ex.closedByServer).toBe(true);
    expect(ex.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(ex.trickled).toBeLessThan(drip.length);
  });

  it('cuts off headers that never end with 408', async () => {
    running = await start({ headersTimeoutMs: 500, requestTimeoutMs: 1000, connectionsCheckingIntervalMs: 100 });
    const drip = 'X-Slow: 1\r\n'.repeat(10); // never the blank line that ends the headers
    const ex = await trickle(running.url, 'POST /events HTTP/1.1\r\nHost: t\r\n', drip, 100);
    expect(ex.closedByServer).toBe(true);
    expect(ex.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(ex.trickled).toBeLessThan(drip.length);
  });

  it('keeps an idle keep-alive connection open past the header timeout (it only counts while a request arrives)', async () => {
    running = await start({ headersTimeoutMs: 300, requestTimeoutMs: 600, connectionsCheckingIntervalMs: 50 });
    const { hostname, port } = new URL(running.url);
    const socket = connect(Number(port), hostname);
    let received = '';
    socket.on('data', (d) => (received += d.toString('latin1')));
    const request = 'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc';
    socket.write(request);
    await new Promise((r) => setTimeout(r, 1000));
    expect(socket.destroyed).toBe(false);
    socket.write(request);
    await new Promise((r) => setTimeout(r, 300));
    socket.destroy();
    expect(received.match(/HTTP\/1\.1 200 /g)).toHaveLength(2);
  });

  it('refuses connections beyond the cap and serves again once one closes', async () => {
    running = await start({ maxConnections: 2 });
    const { hostname, port } = new URL(running.url);
    const open = async () => {
      const s = connect(Number(port), hostname);
      await new Promise((r) => s.once('connect', r));
      return s;
    };
    const a = await open();
    const b = await open();
    await new Promise((r) => setTimeout(r, 100));
    const c = await open();
    const closed = await new Promise<boolean>((resolve) => {
      c.once('close', () => resolve(true));
      c.write('GET / HTTP/1.1\r\nHost: t\r\n\r\n');
      setTimeout(() => resolve(false), 2000);
    });
    expect(closed).toBe(true);
    a.destroy();
    b.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect((await fetch(`${running.url}/`)).status).toBe(200);
  });
});
