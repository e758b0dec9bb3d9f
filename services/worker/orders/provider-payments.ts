import type { PaymentLinks } from '../../../shared/payments/payment-links.js';
import { notificationUrlFor } from '../../../shared/payments/payment-types.js';
import type { PaymentLinkPort, PaymentStatusPort } from './payment-link-port.js';

/**
 * The order step's ports over the providers' module: links notify the tienda's ingress route, and a
 * reconciliation read that finds nothing (or only a pending payment) publishes nothing.
 */
export function providerPayments(links: PaymentLinks, ingressPublicUrl: string): { links: PaymentLinkPort; paymentStatus: PaymentStatusPort } {
  return {
    links: {
      create: async (r) => {
        const link = await links.create({ ...r, notificationUrl: notificationUrlFor(ingressPublicUrl, r.provider, r.tiendaId) });
        return { provider: link.provider, url: link.url, providerRef: link.providerRef };
      },
    },
    paymentStatus: {
      find: async (o) => {
        const found = await links.findPayment(o.tiendaId, o.provider, o.orderId, o.providerRef);
        if (found.outcome === 'none') return null;
        return { event: found.event, data: found.data, idempotencyKey: found.idempotencyKey };
      },
    },
  };
}
