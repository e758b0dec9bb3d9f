import type { Context, Next } from 'koa';
import { HttpError } from '../../../shared/http/read-raw-body.js';
import { getLogger } from '../../../shared/logging/logger.js';
import { SecretAccessError, SecretNotFoundError } from '../../../shared/secrets/secret-source.js';
import { IdempotencyUnavailableError } from '../../../shared/idempotency/idempotency-store.js';
import { ProviderError, SignatureError } from '../../../shared/providers/provider-errors.js';

/**
 * Maps the typed failures of webhook handling to answers the senders understand: 401 not authentic,
 * 400 malformed, 503 retry later (provider, Secret Manager, Firestore or Pub/Sub unavailable), 500 our
 * misconfiguration (a missing secret — the sender keeps retrying while someone fixes it).
 */
export async function providerErrorMiddleware(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } catch (e) {
    const log = getLogger();
    if (e instanceof HttpError) throw e;
    if (e instanceof SignatureError) {
      log.warn('webhook refused: signature', { reason: e.reason, provider: e.provider, path: ctx.path });
      throw new HttpError(401, 'invalid signature', 'invalid_signature');
    }
    if (e instanceof ProviderError) {
      log.warn('provider error', { provider: e.provider, error: e.message, kind: e.name });
      throw new HttpError(e.httpStatus, e.httpStatus >= 500 ? 'temporarily unable to process, retry later' : e.message, e.name);
    }
    if (e instanceof SecretNotFoundError) {
      log.error('missing secret: configuration error', { secret: e.id });
      throw new HttpError(500, 'service misconfigured', 'misconfigured');
    }
    if (e instanceof SecretAccessError || e instanceof IdempotencyUnavailableError) {
      log.error('dependency unavailable', { error: e.message });
      throw new HttpError(503, 'temporarily unable to process, retry later', 'unavailable');
    }
    throw e;
  }
}
