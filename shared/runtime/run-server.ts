import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Server } from 'node:http';
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
 * Listens and handles SIGTERM/SIGINT the Cloud Run way: stop accepting, let in-flight requests finish,
 * close clients, all within a budget (Cloud Run gives 10 s after SIGTERM).
 */
export async function runServer(
  app: Koa,
  options: { port: number; host?: string; name: string; onClose?: () => Promise<void>; shutdownBudgetMs?: number; handleSignals?: boolean },
): Promise<RunningServer> {
  const log = getLogger();
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(options.port, options.host ?? '0.0.0.0', () => resolve(s));
    s.once('error', reject);
  });
  // Keep-alive longer than the Google front end's idle timeout so it never reuses a socket we closed.
  server.keepAliveTimeout = 620_000;
  server.headersTimeout = 621_000;
  const { port } = server.address() as { port: number };
  const url = `http://${options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1'}:${port}`;
  log.info(`${options.name} listening`, { port });

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      const budget = options.shutdownBudgetMs ?? 9000;
      const timer = setTimeout(() => server.closeAllConnections(), budget).unref();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeIdleConnections();
      });
      clearTimeout(timer);
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
