import type { Context, Middleware, Next } from 'koa';
import { randomUUID } from 'node:crypto';
import { runWithLogContext } from '../logging/log-context.js';
import { getLogger } from '../logging/logger.js';
import { traceparentFromHeaders } from '../logging/traceparent.js';
import { HttpError } from './read-raw-body.js';
import { DependencyUnavailableError } from '../runtime/deadline.js';

/**
 * Outermost middleware of every service: binds the request's trace and id to the log context, maps typed
 * errors to statuses (HttpError → its status; anything else → 500 without leaking internals) and writes
 * one access log line.
 */
export function requestContext(): Middleware {
  const log = getLogger();
  return async (ctx: Context, next: Next) => {
    const started = process.hrtime.bigint();
    const requestId = ctx.get('x-request-id') || randomUUID();
    const traceparent = traceparentFromHeaders(ctx.headers);
    await runWithLogContext({ traceparent, requestId }, async () => {
      try {
        await next();
      } catch (e) {
        if (e instanceof HttpError) {
          ctx.status = e.status;
          ctx.body = { error: e.message, code: e.code };
        } else if (e instanceof DependencyUnavailableError) {
          // A dependency down or past its deadline: the sender retries; the process keeps serving.
          log.error('dependency unavailable', { error: e.message, dependency: e.dependency, path: ctx.path });
          ctx.status = 503;
          ctx.body = { error: 'temporarily unable to process, retry later', code: 'unavailable' };
        } else {
          log.error('unhandled error', { error: e, path: ctx.path });
          ctx.status = 500;
          ctx.body = { error: 'internal error', code: 'internal' };
        }
      }
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const level = ctx.status >= 500 ? 'error' : ctx.status >= 400 ? 'warn' : 'info';
      log[level]('request', {
        httpRequest: {
          requestMethod: ctx.method,
          requestUrl: ctx.path,
          status: ctx.status,
          latency: `${(ms / 1000).toFixed(4)}s`,
          userAgent: ctx.get('user-agent'),
        },
      });
    });
  };
}
