import { ProviderAuthError } from '../providers/provider-errors.js';
import type { SecretSource } from '../secrets/secret-source.js';

/** Per-tienda secret ids (DESIGN §5): `tienda-<tienda_id>-<name>` → env `TIENDA_<ID>_<NAME>` locally. */
export const tiendaSecretId = (tiendaId: string, name: string) => `tienda-${tiendaId}-${name}`;

export const PLATFORM_SECRETS = {
  metaAppSecret: 'meta-app-secret',
  metaVerifyToken: 'meta-verify-token',
  paypalWebhookId: 'paypal-webhook-id',
  eventsHmacSecret: 'events-hmac-secret',
} as const;

/**
 * Calls a provider with a secret; if the provider rejects the credentials, re-reads the secret once
 * (it may have been rotated since it was cached) and tries again. A second rejection propagates (→ 503).
 */
export async function withSecretRefresh<T>(secrets: SecretSource, ids: string[], call: (values: string[]) => Promise<T>): Promise<T> {
  const values = await Promise.all(ids.map((id) => secrets.get(id)));
  try {
    return await call(values);
  } catch (e) {
    if (!(e instanceof ProviderAuthError)) throw e;
    const fresh = await Promise.all(ids.map((id) => secrets.refresh(id)));
    return call(fresh);
  }
}
