import type { IdempotencyStore } from '../../shared/idempotency/idempotency-store.js';
import type { Publisher } from '../../shared/pubsub/publisher.js';
import type { SecretSource } from '../../shared/secrets/secret-source.js';
import type { TiendaStore } from '../../shared/tiendas/tienda-store.js';
import type { IngressConfig } from './config.js';
import type { FlowClient } from '../../shared/providers/flow-client.js';
import type { MercadoPagoClient } from '../../shared/providers/mercadopago-client.js';
import type { PayPalClient } from '../../shared/providers/paypal-client.js';
import type { PayPalVerifier } from './providers/paypal-verify.js';
import type { PayPalOrdersClient } from '../../shared/payments/paypal-orders.js';

/** Everything the ingress app needs, built by main.ts (or a test) — the app never builds clients itself. */
export interface IngressDeps {
  config: Pick<IngressConfig, 'maxBodyBytes' | 'signatureTolerance' | 'mercadopagoSignatureTolerance'> &
    Partial<Pick<IngressConfig, 'metaMaxBatchChanges'>>;
  secrets: SecretSource;
  tiendas: TiendaStore;
  idempotency: IdempotencyStore;
  publisher: Publisher;
  mercadopago: MercadoPagoClient;
  flow: FlowClient;
  paypal: PayPalClient;
  paypalVerifier: PayPalVerifier;
  /** Captures orders on CHECKOUT.ORDER.APPROVED; without it that event is acknowledged as before. */
  paypalOrders?: PayPalOrdersClient;
  now?: () => number;
}
