import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createServer, type Server } from 'node:http';
import type Koa from 'koa';
import { ConfigError } from '../config/define-config.js';
import { getLogger } from '../logging/logger.js';
import { installProcessGuards } from './process-guards.js';

export interface RunningServer {
  server: Server;
  url: string;
  stop(): Promise<void>;
}

/**
 * HTTP server limits, set on purpose for Cloud Run (README "Ingress routes" says why):
 * - `headersTimeout` 10 s: every sender (Meta, the payment providers, Pub/Sub push, Google's front end)
 *   sends its headers at once; a client that trickles them is holding a socket, not sending a request.
 *   Node counts it per request from its first byte, so an idle keep-alive socket is not affected.
 * - `requestTimeout` 20 s: the whole request, body included, must have arrived by then (a 2 MiB body at
 *   100 KB/s takes 20 s); a trickled body is answered 408 and closed. It does not bound the handler, which
 *   Cloud Run's request timeout does (30 s ingress, 60–120 s for the push consumers).
 * - `keepAliveTimeout` 620 s: longer than the idle timeout of Google's front end (600 s), so the proxy
 *   always closes an idle connection first and never sends a request on a socket we are closing (a 502).
 * - `maxConnections` 1000: Cloud Run's largest per-instance concurrency, so it never refuses what Cloud Run
 *   lets through (we run 40–80), but bounds sockets and memory if something else piles them up.
 * - `connectionsCheckingInterval` 1 s: how often Node enforces the two timeouts (its default, 30 s, would
 *   let a slow client hold on up to 30 s past them).
 */
export interface ServerLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
  connectionsCheckingIntervalMs: number;
}

export const SERVER_LIMITS: ServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 20_000,
  keepAliveTimeoutMs: 620_000,
  maxConnections: 1000,
  connectionsCheckingIntervalMs: 1000,
};

/** A Node HTTP server for a Koa app with the limits above (tests pass shorter ones). */
export function createLimitedServer(app: Koa, limits: Partial<ServerLimits> = {}): Server {
  const l = { ...SERVER_LIMITS, ...limits };
  const server = createServer(
    {
      headersTimeout: l.headersTimeoutMs,
      requestTimeout: l.requestTimeoutMs,
      keepAliveTimeout: l.keepAliveTimeoutMs,
      connectionsCheckingInterval: l.connectionsCheckingIntervalMs,
    },
    app.callback(),
  );
  server.maxConnections = l.maxConnections;
  return server;
}

/**
 * Listens and handles SIGTERM/SIGINT the Cloud Run way: stop accepting, let in-flight requests finish,
 * close clients, all within a budget (Cloud Run gives 10 s after SIGTERM).
 */
export async function runServer(
  app: Koa,
  options: {
    port: number;
    host?: string;
    name: string;
    onClose?: () => Promise<void>;
    shutdownBudgetMs?: number;
    handleSignals?: boolean;
    limits?: Partial<ServerLimits>;
  },
): Promise<RunningServer> {
  const log = getLogger();
  const server = await new Promise<Server>((resolve, reject) => {
    const s = createLimitedServer(app, options.limits);
    s.once('error', reject);
    s.listen(options.port, options.host ?? '0.0.0.0', () => resolve(s));
  });
  const { port } = server.address() as { port: number };
  const url = `http://${options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1'}:${port}`;
  log.info(`${options.name} listening`, { port });

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      // 8 s for requests in flight + at most 1 s closing clients + the process's own exit stay inside Cloud Run's
      // 10 s (with 9 s the fault suite measured exits at 10.7 s on a busy machine: a SIGKILL in production).
      const budget = options.shutdownBudgetMs ?? 8000;
      const timer = setTimeout(() => server.closeAllConnections(), budget).unref();
      // close() ends only the connections idle at that moment; a keep-alive connection whose request finishes
      // later would hold the server open until the budget (measured: 8 s after its answer), so sweep them.
      const sweep = setInterval(() => server.closeIdleConnections(), 100).unref();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeIdleConnections();
      });
      clearTimeout(timer);
      clearInterval(sweep);
      // Clients may wait on their own retries (Firestore's terminate() does): never past the budget.
      await Promise.race([
        options.onClose?.().catch((e) => log.warn('error while closing clients', { error: e })),
        new Promise((r) => setTimeout(r, 1000).unref()),
      ]);
      log.info(`${options.name} stopped`);
    })());

  if (options.handleSignals !== false) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        log.info(`${signal} received, shutting down`);
        void stop().then(() => process.exit(0));
      });
    }
  }
  return { server, url, stop };
}

/**
 * Entry-point wrapper: a configuration error prints its list and exits 1; anything else is logged. Installs the
 * process guards first: an unhandled rejection is logged and the service keeps serving (process-guards.ts).
 */
export function startMain(name: string, main: () => Promise<unknown>): void {
  installProcessGuards({ name });
  main().catch((e) => {
    if (e instanceof ConfigError) {
      console.error(e.message);
    } else {
      getLogger().error(`${name} failed to start`, { error: e });
    }
    process.exit(1);
  });
}

/** True when the module at `moduleUrl` is the process entry point (`node dist/.../main.js`, `tsx .../main.ts`). */
export function isMainModule(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(fileURLToPath(moduleUrl)) === realpathSync(entry);
  } catch {
    return false;
  }
}
