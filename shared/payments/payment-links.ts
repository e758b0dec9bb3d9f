import type { PayPalCredentials } from '../providers/paypal-client.js';
import { ProviderNotFoundError } from '../providers/provider-errors.js';
import { tiendaSecretId, withSecretRefresh } from '../tiendas/tienda-secrets.js';
import type { PaymentProvider } from '../events/event-schemas.js';
import { getLogger } from '../logging/logger.js';
import type { SecretSource } from '../secrets/secret-source.js';
import { currencyRefusal, formatProviderAmount, providerDecimals } from './currency-rules.js';
import { createFlowPayment, findFlowPayment } from './flow-payments.js';
import { createMercadoPagoPreference, findMercadoPagoPayment } from './mercadopago-preferences.js';
import { PaymentLinkRefusedError } from './payment-errors.js';
import type { PaymentLinkStore } from './payment-link-store.js';
import type { PaymentLink, PaymentLinkRequest, PaymentLookup } from './payment-types.js';
import { settlePayPalApproval } from './paypal-approval.js';
import { createPayPalOrdersClient, payPalPayerLink, type PayPalOrdersClient } from './paypal-orders.js';
import { DEFAULT_PROVIDER_TIMEOUT_MS, NO_PAYMENT, lookupFromOutcome, toPaymentError, type ProviderEndpoint } from './provider-call.js';

export interface PaymentLinksOptions {
  secrets: SecretSource;
  /** Default https://api.mercadopago.com (`MERCADOPAGO_API_URL`). */
  mercadopagoApiUrl?: string;
  /** Default https://www.flow.cl/api (`FLOW_API_URL`). */
  flowApiUrl?: string;
  /** Default https://api-m.paypal.com (`PAYPAL_API_URL`). */
  paypalApiUrl?: string;
  /** Deadline of each provider call (`PROVIDER_TIMEOUT`). Default 8 s. */
  timeoutMs?: number;
  /**
   * Shortest reservation left for which a link is still created (default 60 s). The worker lowers it only when
   * its whole `RESERVATION_TTL` is shorter (a time-compressed demo): never below half the TTL.
   */
  minLifetimeMs?: number;
  /** Where buyers land after paying when a request names none (`PAYMENT_RETURN_URL`). Flow and PayPal need one. */
  returnUrl?: string;
  /** Flow requires a payer email and Meta gives none (`FLOW_PAYER_EMAIL`); Flow's checkout lets the buyer change it. */
  flowPayerEmail?: string;
  /** Remembers Flow links so a retried creation returns the same one (see payment-link-store.ts). */
  linkStore?: PaymentLinkStore;
  now?: () => Date;
}

/** Credentials of each provider, as per-tienda secrets (`tienda-<id>-<name>`). */
const SECRET_NAMES: Record<PaymentProvider, string[]> = {
  mercadopago: ['mercadopago-access-token'],
  flow: ['flow-api-key', 'flow-secret-key'],
  paypal: ['paypal-client-id', 'paypal-client-secret'],
};

/** A link must live at least this long, or the buyer cannot pay before it dies. */
const MIN_LINK_LIFETIME_MS = 60_000;
/** PayPal's limit on custom_id / invoice_id. */
const MAX_PAYPAL_REFERENCE = 127;

/**
 * Payment links, reconciliation reads and PayPal capture for the tiendas' providers. Every call has a deadline;
 * credentials come from the SecretSource per tienda and are re-read once when a provider rejects them (rotation).
 * Failures come out as `PaymentLinkRefusedError` / `PaymentProviderRefusedError` (permanent, with a code) or
 * `PaymentProviderUnavailableError` (transient: the retry schedule retries).
 */
export class PaymentLinks {
  /** The PayPal Orders client (the ingress's approval hook uses the same one). */
  readonly paypalOrders: PayPalOrdersClient;
  private readonly mp: ProviderEndpoint;
  private readonly flow: ProviderEndpoint;
  private readonly now: () => Date;

  constructor(private readonly options: PaymentLinksOptions) {
    const timeoutMs = options.timeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS;
    this.mp = { baseUrl: options.mercadopagoApiUrl ?? 'https://api.mercadopago.com', timeoutMs };
    this.flow = { baseUrl: options.flowApiUrl ?? 'https://www.flow.cl/api', timeoutMs };
    this.paypalOrders = createPayPalOrdersClient({ baseUrl: options.paypalApiUrl ?? 'https://api-m.paypal.com', timeoutMs });
    this.now = options.now ?? (() => new Date());
  }

  /** Creates (or, for the same order id, returns again) the buyer's payment link at the tienda's provider. */
  async create(request: PaymentLinkRequest): Promise<PaymentLink> {
    const { provider } = request;
    try {
      const checked = this.check(request);
      const link = await this.withCredentials(request.tiendaId, provider, (secrets) => this.createAt(request, checked, secrets));
      getLogger().info('payment link created', { provider, order_id: request.orderId, tienda_id: request.tiendaId, provider_ref: link.providerRef });
      return link;
    } catch (e) {
      throw toPaymentError(provider, e, true);
    }
  }

  /**
   * What the provider says about the order's payment now (reconciliation). PayPal needs `providerRef` (the
   * PayPal order id: Orders v2 has no search by our reference); an APPROVED PayPal order is captured here, and
   * the capture's state is the answer.
   */
  async findPayment(tiendaId: string, provider: PaymentProvider, orderId: string, providerRef?: string | null): Promise<PaymentLookup> {
    try {
      return await this.withCredentials(tiendaId, provider, async (secrets) => {
        if (provider === 'mercadopago') return findMercadoPagoPayment(this.mp, secrets[0]!, tiendaId, orderId);
        if (provider === 'flow') return findFlowPayment(this.flow, { apiKey: secrets[0]!, secretKey: secrets[1]! }, tiendaId, orderId);
        if (!providerRef) {
          getLogger().warn('paypal payment lookup without the PayPal order id: nothing to read', { order_id: orderId, tienda_id: tiendaId });
          return NO_PAYMENT;
        }
        const lookup = await this.settlePayPal(tiendaId, providerRef, paypalCredentials(secrets));
        if (lookup.data && lookup.data.order_reference !== null && lookup.data.order_reference !== orderId) {
          getLogger().warn('paypal order belongs to another order of ours; ignored', { order_id: orderId, paypal_order_id: providerRef, custom_id: lookup.data.order_reference });
          return NO_PAYMENT;
        }
        return lookup;
      });
    } catch (e) {
      throw toPaymentError(provider, e, false);
    }
  }

  /**
   * Captures an approved PayPal order (idempotent: `PayPal-Request-Id` = `capture-<our order id>`, an order
   * already captured is re-read) and reports the capture: COMPLETED → success with the key the
   * PAYMENT.CAPTURE.COMPLETED webhook produces.
   */
  async capturePayPalOrder(tiendaId: string, paypalOrderId: string): Promise<PaymentLookup> {
    try {
      return await this.withCredentials(tiendaId, 'paypal', (secrets) => this.settlePayPal(tiendaId, paypalOrderId, paypalCredentials(secrets)));
    } catch (e) {
      throw toPaymentError('paypal', e, false);
    }
  }

  private async settlePayPal(tiendaId: string, paypalOrderId: string, credentials: PayPalCredentials): Promise<PaymentLookup> {
    try {
      return lookupFromOutcome(await settlePayPalApproval(paypalOrderId, { tiendaId, orders: this.paypalOrders, credentials }));
    } catch (e) {
      if (e instanceof ProviderNotFoundError) return NO_PAYMENT;
      throw e;
    }
  }

  private withCredentials<T>(tiendaId: string, provider: PaymentProvider, call: (secrets: string[]) => Promise<T>): Promise<T> {
    return withSecretRefresh(this.options.secrets, SECRET_NAMES[provider].map((name) => tiendaSecretId(tiendaId, name)), call);
  }

  /** Everything that can be refused before calling anyone: currency, amounts, expiry, return URL. */
  private check(request: PaymentLinkRequest): CheckedRequest {
    const { provider, currency } = request;
    const refuse = (code: ConstructorParameters<typeof PaymentLinkRefusedError>[1], message: string) => new PaymentLinkRefusedError(provider, code, message);
    const decimals = providerDecimals(provider, currency);
    if (decimals === undefined) throw refuse('currency_not_supported', currencyRefusal(provider, currency) ?? `${provider} cannot charge ${currency}`);
    if (request.items.length === 0) throw refuse('invalid_amount', 'an order without items has nothing to charge');
    const unitPrices: string[] = [];
    let sumMinor = 0;
    for (const item of request.items) {
      const price = formatProviderAmount(provider, currency, item.unitPrice);
      if (price === null || !Number.isInteger(item.quantity) || item.quantity < 1) {
        throw refuse('invalid_amount', `item ${item.code}: ${item.quantity} × ${item.unitPrice} ${currency} is not chargeable in ${decimals} decimals`);
      }
      unitPrices.push(price);
      sumMinor += Math.round(item.unitPrice * 10 ** decimals) * item.quantity;
    }
    const total = formatProviderAmount(provider, currency, request.total);
    if (total === null || Math.round(request.total * 10 ** decimals) !== sumMinor) {
      throw refuse('invalid_amount', `total ${request.total} ${currency} is not the sum of the items (${sumMinor / 10 ** decimals})`);
    }
    const lifetimeMs = request.expiresAt.getTime() - this.now().getTime();
    if (!(lifetimeMs >= (this.options.minLifetimeMs ?? MIN_LINK_LIFETIME_MS))) throw refuse('reservation_expired', `the reservation ends at ${request.expiresAt.toISOString()}: too soon for a link`);
    const returnUrl = request.returnUrl ?? this.options.returnUrl;
    if (!returnUrl && provider !== 'mercadopago') throw refuse('missing_return_url', `${provider} needs a return URL: set PAYMENT_RETURN_URL`);
    if (provider === 'paypal' && request.orderId.length > MAX_PAYPAL_REFERENCE) {
      throw refuse('validation_failed', `order id longer than PayPal's ${MAX_PAYPAL_REFERENCE}-character custom_id`);
    }
    return { unitPrices, total, returnUrl, timeoutSeconds: Math.floor(lifetimeMs / 1000) };
  }

  private async createAt(request: PaymentLinkRequest, checked: CheckedRequest, secrets: string[]): Promise<PaymentLink> {
    const withReturn = { ...request, ...(checked.returnUrl ? { returnUrl: checked.returnUrl } : {}) };
    if (request.provider === 'mercadopago') {
      return createMercadoPagoPreference(this.mp, secrets[0]!, withReturn, checked.unitPrices.map(Number), this.now());
    }
    if (request.provider === 'flow') {
      const email = request.buyerEmail || this.options.flowPayerEmail;
      if (!email) throw new PaymentLinkRefusedError('flow', 'validation_failed', 'Flow needs a payer email and the buyer gave none: set FLOW_PAYER_EMAIL');
      const store = this.options.linkStore;
      const known = await store?.get('flow', request.orderId);
      if (known) return known;
      const link = await createFlowPayment(this.flow, { apiKey: secrets[0]!, secretKey: secrets[1]! }, withReturn, {
        amount: checked.total,
        email,
        urlReturn: checked.returnUrl!,
        timeoutSeconds: checked.timeoutSeconds,
      });
      await store?.put(link, request.orderId).catch((e: unknown) =>
        // The link exists and is returned; only a retry of this very creation would make a second Flow token.
        getLogger().warn('flow link made but not remembered', { order_id: request.orderId, error: e }),
      );
      return link;
    }
    const order = await this.paypalOrders.createOrder(payPalOrderBody(withReturn, checked), request.orderId, paypalCredentials(secrets));
    const url = payPalPayerLink(order);
    if (!url) throw new PaymentLinkRefusedError('paypal', 'validation_failed', `PayPal order ${order.id} came back ${order.status} without a payer-action link`);
    return { provider: 'paypal', url, providerRef: order.id, expiresAt: request.expiresAt };
  }
}

interface CheckedRequest {
  /** In the provider's format for the currency. */
  unitPrices: string[];
  total: string;
  returnUrl: string | undefined;
  /** Seconds left on the reservation (Flow `timeout`). */
  timeoutSeconds: number;
}

function paypalCredentials(secrets: string[]): PayPalCredentials {
  return { clientId: secrets[0]!, clientSecret: secrets[1]! };
}

/** `POST /v2/checkout/orders`: our order id as reference_id, custom_id (echoed on captures) and invoice_id (PayPal refuses a second payment of one invoice). */
export function payPalOrderBody(request: PaymentLinkRequest, checked: { unitPrices: string[]; total: string; returnUrl: string | undefined }): Record<string, unknown> {
  const money = (value: string) => ({ currency_code: request.currency, value });
  const description = request.items.map((i) => `${i.title} x${i.quantity}`).join(', ');
  return {
    intent: 'CAPTURE',
    purchase_units: [
      {
        reference_id: request.orderId,
        custom_id: request.orderId,
        invoice_id: request.orderId,
        description: description.length > 127 ? `${description.slice(0, 126)}…` : description,
        amount: { ...money(checked.total), breakdown: { item_total: money(checked.total) } },
        items: request.items.map((item, i) => ({
          name: item.title.slice(0, 127),
          sku: item.code.slice(0, 127),
          quantity: String(item.quantity),
          unit_amount: money(checked.unitPrices[i]!),
          category: 'PHYSICAL_GOODS',
        })),
      },
    ],
    payment_source: {
      paypal: {
        experience_context: {
          return_url: checked.returnUrl,
          cancel_url: checked.returnUrl,
          user_action: 'PAY_NOW',
          shipping_preference: 'NO_SHIPPING',
        },
      },
    },
  };
}
