import type { Context, Middleware, Next } from 'koa';
import { OAuth2Client, type Certificates } from 'google-auth-library';
import { getLogger } from '../logging/logger.js';

export interface PushAuthOptions {
  enabled: boolean;
  /** Expected `aud` (the push endpoint's service URL). Required when enabled. */
  audience?: string;
  /** Service-account emails allowed to push; empty = any verified Google-signed token (not recommended). */
  allowedServiceAccounts: readonly string[];
  /**
   * Where the signing certificates come from. Production: Google's federated certs, fetched and cached by
   * google-auth-library. Tests pass locally made certs — the verification code path is the same.
   */
  getCerts?: () => Promise<Certificates>;
}

const GOOGLE_ISSUERS = ['https://accounts.google.com', 'accounts.google.com'];

/**
 * Verifies the OIDC token Pub/Sub attaches to push requests (`Authorization: Bearer <JWT>`): Google
 * signature, issuer, audience, `email_verified` and an allowed service account. Off against the emulator,
 * which sends no token.
 */
export function createPushAuth(options: PushAuthOptions): Middleware {
  if (!options.enabled) return async (_ctx: Context, next: Next) => next();
  if (!options.audience) throw new Error('push auth is enabled but no audience (PUSH_AUTH_AUDIENCE) is configured');
  const audience = options.audience;
  const client = new OAuth2Client();
  const getCerts = options.getCerts ?? (async () => (await client.getFederatedSignonCertsAsync()).certs);
  const allowed = new Set(options.allowedServiceAccounts.map((s) => s.toLowerCase()));
  const log = getLogger();

  return async (ctx: Context, next: Next) => {
    const header = ctx.get('authorization');
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) {
      ctx.status = 401;
      ctx.body = { error: 'missing bearer token', code: 'unauthenticated' };
      return;
    }
    try {
      const ticket = await client.verifySignedJwtWithCertsAsync(m[1]!, await getCerts(), audience, GOOGLE_ISSUERS);
      const payload = ticket.getPayload();
      if (!payload?.email || payload.email_verified !== true) throw new Error('token has no verified email');
      if (allowed.size > 0 && !allowed.has(payload.email.toLowerCase())) throw new Error(`service account ${payload.email} is not allowed`);
    } catch (e) {
      log.warn('push request refused: invalid OIDC token', { error: (e as Error).message });
      ctx.status = 401;
      ctx.body = { error: 'invalid token', code: 'unauthenticated' };
      return;
    }
    await next();
  };
}

/** The push-auth options from a push consumer's config (`PUSH_AUTH_*`). */
export function pushAuthFromConfig(config: { pushAuthEnabled: boolean; pushAuthAudience?: string | undefined; pushAuthServiceAccounts: string[] }): PushAuthOptions {
  return {
    enabled: config.pushAuthEnabled,
    ...(config.pushAuthAudience ? { audience: config.pushAuthAudience } : {}),
    allowedServiceAccounts: config.pushAuthServiceAccounts,
  };
}
