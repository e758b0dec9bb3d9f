import type Router from '@koa/router';
import { timingSafeEqual } from 'node:crypto';
import { idempotencyKeys } from '../../../shared/events/idempotency-keys.js';
import { HttpError, parseJson, readRawBody } from '../../../shared/http/read-raw-body.js';
import { getLogger } from '../../../shared/logging/logger.js';
import { TOPIC_NAMES } from '../../../shared/topology/topology.js';
import { acceptEvents, type OutgoingEvent } from '../accept-events.js';
import type { IngressDeps } from '../ingress-deps.js';
import { buyerMessageEvents } from '../providers/meta-messages.js';
import { parseMetaWebhook } from '../providers/meta-webhook.js';
import { verifyMetaSignature } from '../providers/meta-signature.js';
import { PLATFORM_SECRETS } from '../../../shared/tiendas/tienda-secrets.js';

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Meta documents at most 1,000 updates per webhook batch. */
export const META_MAX_BATCH_CHANGES_DEFAULT = 1000;

/** Changes of a Meta envelope (an entry without a `changes` array counts as one update). */
export function countMetaChanges(body: unknown): number {
  const entries = (body as { entry?: unknown } | null)?.entry;
  if (!Array.isArray(entries)) return 0;
  let n = 0;
  for (const e of entries) {
    const changes = (e as { changes?: unknown } | null)?.changes;
    n += Array.isArray(changes) ? changes.length : 1;
  }
  return n;
}

export function registerMetaRoutes(router: Router, deps: IngressDeps): void {
  const log = getLogger();

  // Subscription handshake: echo hub.challenge only for our verify token.
  router.get('/webhooks/meta', async (ctx) => {
    const mode = ctx.query['hub.mode'];
    const token = ctx.query['hub.verify_token'];
    const challenge = ctx.query['hub.challenge'];
    const expected = await deps.secrets.get(PLATFORM_SECRETS.metaVerifyToken);
    if (mode === 'subscribe' && typeof token === 'string' && typeof challenge === 'string' && sameText(token, expected)) {
      ctx.type = 'text/plain';
      ctx.body = challenge;
      return;
    }
    ctx.status = 403;
    ctx.body = { error: 'verification failed', code: 'forbidden' };
  });

  router.post('/webhooks/meta', async (ctx) => {
    const raw = await readRawBody(ctx, deps.config.maxBodyBytes);
    const secret = await deps.secrets.get(PLATFORM_SECRETS.metaAppSecret);
    if (!verifyMetaSignature(raw, ctx.get('x-hub-signature-256') || undefined, secret)) {
      log.warn('meta webhook refused: bad or missing X-Hub-Signature-256');
      throw new HttpError(401, 'invalid signature', 'invalid_signature');
    }
    const body = parseJson(raw);
    // Refuse an oversized batch before claiming anything: nothing half-done, nothing lost (a 413 claims no key).
    const maxChanges = deps.config.metaMaxBatchChanges ?? META_MAX_BATCH_CHANGES_DEFAULT;
    const changes = countMetaChanges(body);
    if (changes > maxChanges) {
      log.warn('meta webhook refused: too many changes in one request', { changes, max: maxChanges });
      throw new HttpError(413, `more than ${maxChanges} changes in one request`, 'too_many_changes');
    }
    const parsed = parseMetaWebhook(body);
    const events: OutgoingEvent[] = parsed.comments.map((c) => ({
      topic: TOPIC_NAMES.incomingComments,
      key: idempotencyKeys.comment(c.comment_id),
      tiendaId: null,
      schemaVersion: '1.0',
      // parseMetaWebhook already validated each comment against feedCommentDataSchema.
      payload: { event: 'feed_comment', timestamp: c.created_time, data: c },
    }));
    // Buyers' messages and postbacks (`messaging[]`): they open the 24 h window the notifier sends in.
    events.push(...buyerMessageEvents(body));
    const summary = await acceptEvents(events, deps);
    if (parsed.skipped.length > 0) log.info('meta changes skipped', { skipped: parsed.skipped });
    ctx.body = { status: 'ok', ...summary, skipped: parsed.skipped.length };
  });
}
