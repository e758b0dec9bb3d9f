import type Router from '@koa/router';
import type { Context } from 'koa';
import type { PaymentProvider } from '../../../shared/events/event-schemas.js';
import { HttpError, parseJson, readRawBody } from '../../../shared/http/read-raw-body.js';
import { addLogContext } from '../../../shared/logging/log-context.js';
import { getLogger } from '../../../shared/logging/logger.js';
import type { Tienda } from '../../../shared/tiendas/tienda-store.js';
import { TOPIC_NAMES } from '../../../shared/topology/topology.js';
import { acceptEvents } from '../accept-events.js';
import type { IngressDeps } from '../ingress-deps.js';
import { flowPaymentToEvent } from '../../../shared/providers/flow-payment.js';
import { mercadoPagoPaymentToEvent } from '../../../shared/providers/mercadopago-payment.js';
import { verifyMercadoPagoSignature } from '../providers/mercadopago-signature.js';
import type { PaymentOutcome } from '../../../shared/providers/payment-outcome.js';
import { payPalWebhookToPayment } from '../../../shared/providers/paypal-event.js';
import { ProviderNotFoundError, SignatureError, notFoundDisposition } from '../../../shared/providers/provider-errors.js';
import { PLATFORM_SECRETS, tiendaSecretId, withSecretRefresh } from '../../../shared/tiendas/tienda-secrets.js';
import { PaymentProviderRefusedError } from '../../../shared/payments/payment-errors.js';
import { approvedPayPalOrderId, settlePayPalApproval } from '../../../shared/payments/paypal-approval.js';

/** The per-tienda secret whose presence says a tienda holds credentials for a provider. */
const CREDENTIAL_OF: Record<PaymentProvider, string> = {
  mercadopago: 'mercadopago-webhook-secret',
  flow: 'flow-api-key',
  paypal: 'paypal-client-id',
};

/**
 * The tienda named in the path, if it takes payments through this provider: it is the tienda's
 * `payment_provider`, or the tienda still holds that provider's credentials (it switched provider and links
 * made before the switch are still being paid). Anything else is 404 like an unknown id — answering would
 * only turn a stranger's unsigned request into a 500 "misconfigured" for a secret that was never meant to
 * exist. A missing secret of the tienda's own provider stays a 500: that one is ours to fix while the
 * provider retries.
 */
async function requireTienda(ctx: Context, deps: IngressDeps, provider: PaymentProvider): Promise<Tienda> {
  const id = ctx.params.tiendaId as string;
  const tienda = await deps.tiendas.get(id);
  const accepts =
    tienda !== null &&
    (tienda.payment_provider === provider || (await deps.secrets.getOptional(tiendaSecretId(tienda.id, CREDENTIAL_OF[provider]))) !== undefined);
  if (!tienda || !accepts) {
    throw new HttpError(404, `unknown ${provider} tienda ${JSON.stringify(id.slice(0, 80))}`, 'unknown_tienda');
  }
  addLogContext({ tienda_id: tienda.id });
  return tienda;
}

/** Publishes a re-read payment state (or acknowledges a state that has no event). */
async function publishOutcome(ctx: Context, deps: IngressDeps, outcome: PaymentOutcome | null): Promise<void> {
  if (!outcome || !outcome.event) {
    ctx.body = { status: 'acknowledged', published: 0, state: outcome?.data.status ?? null };
    return;
  }
  const now = deps.now ?? Date.now;
  const summary = await acceptEvents(
    [
      {
        topic: TOPIC_NAMES.paymentEvents,
        key: outcome.idempotencyKey,
        tiendaId: outcome.data.tienda_id,
        schemaVersion: '1.0',
        payload: { event: outcome.event, timestamp: new Date(now()).toISOString(), data: outcome.data },
      },
    ],
    deps,
  );
  ctx.body = { status: 'ok', event: outcome.event, ...summary };
}

/**
 * A signed notification about a payment the provider does not know: retried for a while (a read race),
 * then acknowledged and logged (dashboard test notifications name ids that never existed).
 */
function answerNotFound(ctx: Context, e: ProviderNotFoundError, eventTime: unknown, now: number): void {
  const disposition = notFoundDisposition(eventTime as string | undefined, { now: new Date(now) });
  getLogger().warn('payment named by a verified notification is unknown to the provider', {
    provider: e.provider,
    resource: e.resourceId,
    action: disposition.action,
  });
  if (disposition.action === 'retry') throw new HttpError(503, 'payment not readable yet, retry later', 'not_found_yet');
  ctx.body = { status: 'acknowledged', published: 0, note: 'payment unknown to the provider' };
}

function field(body: unknown, ...path: string[]): unknown {
  let v: unknown = body;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

export function registerPaymentRoutes(router: Router, deps: IngressDeps): void {
  const now = deps.now ?? Date.now;
  const toleranceSeconds = Math.round(deps.config.mercadopagoSignatureTolerance / 1000);

  router.post('/webhooks/mercadopago/:tiendaId', async (ctx) => {
    const tienda = await requireTienda(ctx, deps, 'mercadopago');
    const raw = await readRawBody(ctx, deps.config.maxBodyBytes);
    const queryId = typeof ctx.query['data.id'] === 'string' ? (ctx.query['data.id'] as string) : undefined;
    verifyMercadoPagoSignature({
      xSignature: ctx.get('x-signature') || undefined,
      xRequestId: ctx.get('x-request-id') || undefined,
      dataId: queryId,
      secret: await deps.secrets.get(tiendaSecretId(tienda.id, 'mercadopago-webhook-secret')),
      toleranceSeconds,
      now: new Date(now()),
    });
    const body = parseJson(raw);
    const type = field(body, 'type') ?? ctx.query.type ?? ctx.query.topic;
    if (type !== 'payment') {
      ctx.body = { status: 'acknowledged', published: 0, note: `notification type ${String(type)} is not handled` };
      return;
    }
    const bodyId = field(body, 'data', 'id');
    const paymentId = queryId ?? (typeof bodyId === 'string' || typeof bodyId === 'number' ? String(bodyId) : undefined);
    if (!paymentId) throw new HttpError(400, 'notification without data.id', 'malformed_payload');
    // The signature covers the query's data.id; a body naming another payment is not what was signed.
    if (queryId && bodyId !== undefined && String(bodyId) !== queryId) throw new SignatureError('mismatch', 'body data.id differs from the signed one', { provider: 'mercadopago' });
    try {
      const payment = await withSecretRefresh(deps.secrets, [tiendaSecretId(tienda.id, 'mercadopago-access-token')], ([token]) =>
        deps.mercadopago.getPayment(paymentId, token!),
      );
      await publishOutcome(ctx, deps, mercadoPagoPaymentToEvent(payment, tienda.id));
    } catch (e) {
      if (e instanceof ProviderNotFoundError) return answerNotFound(ctx, e, field(body, 'date_created'), now());
      throw e;
    }
  });

  router.post('/webhooks/flow/:tiendaId', async (ctx) => {
    const tienda = await requireTienda(ctx, deps, 'flow');
    const raw = await readRawBody(ctx, deps.config.maxBodyBytes);
    // Flow's confirmation is an unsigned form POST `token=…`; authenticity comes from re-reading the token
    // with our signed `payment/getStatus` call — only Flow knows a real token.
    const token = new URLSearchParams(raw.toString('utf8')).get('token');
    if (!token) throw new HttpError(400, 'form field token is required', 'malformed_payload');
    try {
      const status = await withSecretRefresh(
        deps.secrets,
        [tiendaSecretId(tienda.id, 'flow-api-key'), tiendaSecretId(tienda.id, 'flow-secret-key')],
        ([apiKey, secretKey]) => deps.flow.getStatus(token, { apiKey: apiKey!, secretKey: secretKey! }),
      );
      await publishOutcome(ctx, deps, flowPaymentToEvent(status, tienda.id, token));
    } catch (e) {
      if (e instanceof ProviderNotFoundError) {
        getLogger().warn('flow confirmation with a token Flow does not know: refused');
        throw new HttpError(401, 'token not recognised by Flow', 'invalid_token');
      }
      throw e;
    }
  });

  router.post('/webhooks/paypal/:tiendaId', async (ctx) => {
    const tienda = await requireTienda(ctx, deps, 'paypal');
    const raw = await readRawBody(ctx, deps.config.maxBodyBytes);
    const webhookId = await deps.secrets.get(PLATFORM_SECRETS.paypalWebhookId);
    await deps.paypalVerifier.verify(ctx.headers, raw, webhookId);
    const body = parseJson(raw);
    try {
      const outcome = await withSecretRefresh(
        deps.secrets,
        [tiendaSecretId(tienda.id, 'paypal-client-id'), tiendaSecretId(tienda.id, 'paypal-client-secret')],
        ([clientId, clientSecret]) => {
          const credentials = { clientId: clientId!, clientSecret: clientSecret! };
          // The buyer approved: capture now (idempotent) and publish the capture's state under the key the later
          // PAYMENT.CAPTURE.COMPLETED webhook produces, so that webhook is a duplicate.
          const approved = deps.paypalOrders ? approvedPayPalOrderId(body) : undefined;
          if (approved) return settlePayPalApproval(approved, { tiendaId: tienda.id, orders: deps.paypalOrders!, credentials });
          return payPalWebhookToPayment(body, { tiendaId: tienda.id, client: deps.paypal, credentials });
        },
      );
      await publishOutcome(ctx, deps, outcome);
    } catch (e) {
      if (e instanceof ProviderNotFoundError) return answerNotFound(ctx, e, field(body, 'create_time'), now());
      if (e instanceof PaymentProviderRefusedError) {
        // PayPal refused the capture (instrument declined…): the buyer can approve again; a redelivery cannot help.
        getLogger().warn('paypal capture refused; acknowledged', { code: e.code, error: e.message });
        ctx.body = { status: 'acknowledged', published: 0, note: e.code };
        return;
      }
      throw e;
    }
  });
}
