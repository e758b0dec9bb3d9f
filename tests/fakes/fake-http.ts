import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The HTTP plumbing every wire-level fake shares: listening on 127.0.0.1 (port 0 by default) with a close() that
 * does not wait for keep-alive or hung requests, body reading, JSON parsing, response writers, and the queues
 * behind `failNext` / `delayNext`. Each fake keeps its provider's own headers and bodies; the writers here take
 * them as arguments so that one implementation serves every wire format without changing any of them.
 *
 * Self-contained (node:http only, no test-runner imports) so the fakes stay usable as stand-ins for a demo.
 */

// ---------------------------------------------------------------------------------------------------------------
// Server

export interface ListenOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /**
   * Answers a request whose handler threw before anything was sent (the provider's 500 body). A handler that throws
   * after the headers went out gets its connection destroyed instead: the client sees a network error, not a
   * half-written answer.
   */
  onError: (res: http.ServerResponse, error: unknown) => void;
}

export interface ListeningServer {
  /** `http://HOST:PORT`, no trailing slash. */
  url: string;
  port: number;
  /** Stops listening and destroys every open connection, hung or keep-alive; resolves also when already closed. */
  close(): Promise<void>;
}

export async function listen(
  handle: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> | void,
  options: ListenOptions,
): Promise<ListeningServer> {
  const host = options.host ?? '127.0.0.1';
  const server = http.createServer((req, res) => {
    // An async wrapper so that a handler throwing synchronously is answered like one that rejects.
    (async () => handle(req, res))().catch((error: unknown) => {
      if (!res.headersSent) options.onError(res, error);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // closeAllConnections also ends requests still in flight (a scripted hang), which close() alone waits for.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Requests

export async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `{ value }` of JSON text, or undefined when it is not JSON (a JSON `null` is `{ value: null }`, not a failure). */
export function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/** The first value of a header that may have been sent more than once. */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function header(req: http.IncomingMessage, name: string): string | undefined {
  return headerValue(req.headers[name]);
}

/** The token of `Authorization: Bearer <token>` (exactly one space, as Mercado Pago and PayPal read it). */
export function bearerToken(req: http.IncomingMessage): string | undefined {
  return /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
}

// ---------------------------------------------------------------------------------------------------------------
// Responses

/**
 * JSON with a content-length. `headers` are added after, and may replace, the default content-type: providers
 * differ in its spelling (`application/json`, `charset=utf-8` or `charset=UTF-8`) and the fakes keep each one's.
 * Does nothing once the response is answered or its connection is gone.
 */
export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  if (res.headersSent || res.destroyed) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

/** A `sendJson` bound to a provider's headers, computed per response (some carry a fresh id each time). */
export function jsonSender(headers: () => http.OutgoingHttpHeaders): (res: http.ServerResponse, status: number, body: unknown) => void {
  return (res, status, body) => sendJson(res, status, body, headers());
}

/** A body without content-length (Node frames it chunked), the way the fakes send pages and certificates. */
export function sendText(res: http.ServerResponse, status: number, contentType: string, text: string): void {
  res.writeHead(status, { 'content-type': contentType });
  res.end(text);
}

/** The demo checkout pages: a bare UTF-8 document around `html`. */
export function sendHtml(res: http.ServerResponse, status: number, html: string): void {
  sendText(res, status, 'text/html; charset=utf-8', `<!doctype html><meta charset="utf-8">${html}`);
}

/** 302 to `location`: how the demo pages send the browser back to the seller's return URL. */
export function redirect(res: http.ServerResponse, location: string): void {
  res.writeHead(302, { location });
  res.end();
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// ---------------------------------------------------------------------------------------------------------------
// Scripting

/** FIFO of scripted behaviours for the next requests (`failNext(x, count)` pushes `count` copies of `x`). */
export interface ScriptQueue<T> {
  push(item: T, count?: number): void;
  /** The next scripted item, or undefined when nothing is scripted. */
  shift(): T | undefined;
  clear(): void;
}

export function scriptQueue<T>(): ScriptQueue<T> {
  const items: T[] = [];
  return {
    push(item, count = 1) {
      for (let i = 0; i < count; i++) items.push(item);
    },
    shift: () => items.shift(),
    clear() {
      items.length = 0;
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------------------------
// Recorded-request server (the LLM fakes): parses every request up front and plays scripted delays, hangs and
// dropped connections.

export interface RecordedHttpRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  rawBody: string;
  /** Parsed JSON body, or null when it was not JSON. */
  body: any;
  receivedAt: number;
}

/** Flow-control replies a fake's reply union may contain; `play` resolves them before rendering. */
export type ExchangeControl<R> =
  /** Wait, then give `then`. */
  | { kind: 'delay'; ms: number; then: R }
  /** Never answer (until the client gives up or the fake closes). */
  | { kind: 'hang' }
  /** Close the connection without an answer (a network error for the client). */
  | { kind: 'drop' };

export interface FakeExchange {
  /** Resolve `delay`/`hang`/`drop`, then hand the final reply to `render`. */
  play<R extends { kind: string }>(reply: R, render: (final: Exclude<R, { kind: 'delay' | 'hang' | 'drop' }>) => void): Promise<void>;
}

export interface FakeHttpServer {
  url: string;
  close(): Promise<void>;
}

/**
 * `listen` that parses each request into a RecordedHttpRequest and tracks the timers of scripted delays, so close()
 * ends hung and delayed exchanges at once instead of waiting for the client.
 */
export async function startFakeHttpServer(
  port: number,
  handle: (request: RecordedHttpRequest, res: http.ServerResponse, exchange: FakeExchange) => Promise<void> | void,
): Promise<FakeHttpServer> {
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  const server = await listen(
    async (req, res) => {
      const rawBody = (await readBody(req)).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://fake.local');
      const recorded: RecordedHttpRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        rawBody,
        body: rawBody ? (parseJson(rawBody)?.value ?? null) : null,
        receivedAt: Date.now(),
      };
      const exchange: FakeExchange = {
        async play(reply, render) {
          let current = reply as typeof reply | ExchangeControl<typeof reply>;
          while (current.kind === 'delay') {
            const { ms, then } = current as Extract<ExchangeControl<typeof reply>, { kind: 'delay' }>;
            await new Promise<void>((resolve) => {
              const timer = setTimeout(() => {
                timers.delete(timer);
                resolve();
              }, ms);
              timers.add(timer);
            });
            if (closed || res.destroyed) return;
            current = then;
          }
          if (current.kind === 'hang') return; // the socket is destroyed by close() (or by the client aborting)
          if (current.kind === 'drop') {
            req.socket.destroy();
            return;
          }
          render(current as Parameters<typeof render>[0]);
        },
      };
      await handle(recorded, res, exchange);
    },
    { port, onError: (res, error) => sendJson(res, 500, { error: { message: String(error) } }) },
  );

  return {
    url: server.url,
    close: async () => {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await server.close();
    },
  };
}
