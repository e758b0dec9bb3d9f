import type Router from '@koa/router';
import { inboundEventSchema } from '../../../shared/events/event-schemas.js';
import { idempotencyKeys } from '../../../shared/events/idempotency-keys.js';
import { HttpError, parseJson, readRawBody } from '../../../shared/http/read-raw-body.js';
import { getLogger } from '../../../shared/logging/logger.js';
import { TOPIC_NAMES } from '../../../shared/topology/topology.js';
import { acceptEvents } from '../accept-events.js';
import { EVENTS_IDEMPOTENCY_HEADER, EVENTS_SIGNATURE_HEADER, verifyEventsSignature } from '../events-auth.js';
import type { IngressDeps } from '../ingress-deps.js';
import { PLATFORM_SECRETS } from '../../../shared/tiendas/tienda-secrets.js';

const TOPIC_BY_EVENT = {
  feed_comment: TOPIC_NAMES.incomingComments,
  payment_success: TOPIC_NAMES.paymentEvents,
  payment_failure: TOPIC_NAMES.paymentEvents,
} as const;

/** `POST /events`: internal producers send the base payload, HMAC-signed, with `X-Idempotency-Key`. */
export function registerEventsRoute(router: Router, deps: IngressDeps): void {
  router.post('/events', async (ctx) => {
    const raw = await readRawBody(ctx, deps.config.maxBodyBytes);
    const secret = await deps.secrets.get(PLATFORM_SECRETS.eventsHmacSecret);
    // The key is part of the signed string: a captured request cannot be replayed under a fresh key.
    const key = ctx.get(EVENTS_IDEMPOTENCY_HEADER);
    const auth = verifyEventsSignature(
      ctx.get(EVENTS_SIGNATURE_HEADER) || undefined,
      { body: raw, idempotencyKey: key },
      secret,
      deps.config.signatureTolerance,
      (deps.now ?? Date.now)(),
    );
    if (!auth.ok) {
      getLogger().warn('POST /events refused', { reason: auth.reason });
      throw new HttpError(401, `invalid signature (${auth.reason})`, 'invalid_signature');
    }
    if (!key) throw new HttpError(400, 'X-Idempotency-Key header is required', 'missing_idempotency_key');
    // Printable ASCII only: Node reads header bytes as latin1, so anything else would not be the bytes the
    // producer signed (and it keeps the Pub/Sub attribute within its byte limit).
    if (!/^[\x21-\x7e]{1,256}$/.test(key)) {
      throw new HttpError(400, 'X-Idempotency-Key must be 1–256 printable ASCII characters', 'invalid_idempotency_key');
    }
    const parsed = inboundEventSchema.safeParse(parseJson(raw));
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      throw new HttpError(400, `invalid event: ${issues.join('; ')}`, 'invalid_event');
    }
    const event = parsed.data;
    const tiendaId = 'tienda_id' in event.data ? event.data.tienda_id : null;
    const summary = await acceptEvents(
      [{ topic: TOPIC_BY_EVENT[event.event], key: idempotencyKeys.internal(key), tiendaId, schemaVersion: '1.0', payload: event }],
      deps,
    );
    ctx.body = { status: summary.published ? 'published' : 'duplicate', ...summary };
  });
}
