import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Per-request / per-message context (trace, request id, message id, tienda...).
 * Carried by AsyncLocalStorage so no function has to pass a logger around.
 */
export type LogContext = Record<string, unknown>;

const storage = new AsyncLocalStorage<LogContext>();

export function runWithLogContext<T>(context: LogContext, fn: () => T): T {
  const parent = storage.getStore();
  return storage.run({ ...parent, ...context }, fn);
}

/** Adds fields to the current context (e.g. the tienda once it is known). No-op outside a context. */
export function addLogContext(fields: LogContext): void {
  const store = storage.getStore();
  if (store) Object.assign(store, fields);
}

export function currentLogContext(): LogContext {
  return storage.getStore() ?? {};
}
