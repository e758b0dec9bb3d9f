import { getLogger } from '../logging/logger.js';

/**
 * Process-level safety net. Node's default for an unhandled rejection is to end the process with a stack on stderr
 * and no structured log: one floating promise of a client library (a failed dependency) would take a whole Cloud
 * Run instance, and every request in flight on it, down with it.
 *
 * - An unhandled rejection is logged as ERROR (with the error, so it can be traced to its source) and the process
 *   keeps serving: the request that hit the dependency already got its 503, and the rejection itself carries no
 *   state we could lose. Each one is still a bug to fix where the promise is made.
 * - An uncaught exception leaves the process in an unknown state (a half-run synchronous handler), so it is logged
 *   as CRITICAL and the process exits 1: Cloud Run starts a fresh instance. Never silently.
 */
export interface ProcessGuardOptions {
  /** Service name in the log lines. */
  name: string;
  /** How to end the process after an uncaught exception. Default `process.exit`. */
  exit?: (code: number) => void;
}

export interface ProcessGuards {
  onUnhandledRejection: (reason: unknown) => void;
  onUncaughtException: (error: unknown) => void;
  /** Unhandled rejections seen since start (for tests and health reporting). */
  readonly unhandledRejections: number;
  uninstall(): void;
}

/** The handlers, not installed: `installProcessGuards` installs them; tests call them directly. */
export function createProcessGuards(options: ProcessGuardOptions): Omit<ProcessGuards, 'uninstall'> {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let count = 0;
  return {
    get unhandledRejections() {
      return count;
    },
    onUnhandledRejection(reason: unknown) {
      count++;
      try {
        getLogger().error('unhandled promise rejection; the process keeps serving', { service: options.name, error: reason, unhandledRejections: count });
      } catch {
        // Logging must never turn a rejection into a crash.
      }
    },
    onUncaughtException(error: unknown) {
      try {
        getLogger().error('uncaught exception; exiting so a fresh instance takes over', { service: options.name, error, fatal: true });
      } finally {
        exit(1);
      }
    },
  };
}

let installed: ProcessGuards | null = null;

/** Installs the guards once per process (a second call returns the first installation). */
export function installProcessGuards(options: ProcessGuardOptions): ProcessGuards {
  if (installed) return installed;
  const guards = createProcessGuards(options);
  const rejection = (reason: unknown) => guards.onUnhandledRejection(reason);
  const exception = (error: unknown) => guards.onUncaughtException(error);
  process.on('unhandledRejection', rejection);
  process.on('uncaughtException', exception);
  const result: ProcessGuards = {
    get unhandledRejections() {
      return guards.unhandledRejections;
    },
    onUnhandledRejection: guards.onUnhandledRejection,
    onUncaughtException: guards.onUncaughtException,
    uninstall() {
      process.off('unhandledRejection', rejection);
      process.off('uncaughtException', exception);
      installed = null;
    },
  };
  installed = result;
  return result;
}
