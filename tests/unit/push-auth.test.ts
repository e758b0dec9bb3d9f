import { generateKeyPairSync, sign } from 'node:crypto';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPushAuth } from '../../shared/pubsub/push-auth.js';
import { listen } from '../helpers/test-kit.js';

/** Google-style ID tokens signed by a key this test makes; verified by google-auth-library's real code. */
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const KID = 'test-kid-1';
const AUD = 'https://worker-abc.a.run.app';
const SA = 'pubsub-push@demo.iam.gserviceaccount.com';

function b64url(v: object | Buffer): string {
  const buf = Buffer.isBuffer(v) ? v : Buffer.from(JSON.stringify(v));
  return buf.toString('base64url');
}
function token(claims: Record<string, unknown>, key = privateKey, kid = KID): string {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url({ alg: 'RS256', typ: 'JWT', kid });
  const payload = b64url({ iss: 'https://accounts.google.com', aud: AUD, email: SA, email_verified: true, iat: now, exp: now + 600, sub: '1', ...claims });
  const sig = sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), key);
  return `${header}.${payload}.${b64url(sig)}`;
}

describe('push OIDC verification', () => {
  let srv: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    const app = new Koa();
    app.use(
      createPushAuth({
        enabled: true,
        audience: AUD,
        allowedServiceAccounts: [SA],
        getCerts: async () => ({ [KID]: publicKey.export({ type: 'spki', format: 'pem' }).toString() }),
      }),
    );
    app.use((ctx) => {
      ctx.status = 204;
    });
    srv = await listen(app);
  });
  afterAll(() => srv.close());

  const call = (auth?: string) => fetch(`${srv.url}/pubsub/x`, { method: 'POST', headers: auth ? { authorization: auth } : {} });

  it('accepts a valid token from an allowed service account', async () => {
    expect((await call(`Bearer ${token({})}`)).status).toBe(204);
  });
  it.each([
    ['no token', undefined],
    ['wrong audience', `Bearer ${token({ aud: 'https://elsewhere' })}`],
    ['wrong issuer', `Bearer ${token({ iss: 'https://evil.example' })}`],
    ['expired', `Bearer ${token({ iat: 1000, exp: 2000 })}`],
    ['unverified email', `Bearer ${token({ email_verified: false })}`],
    ['other service account', `Bearer ${token({ email: 'intruder@demo.iam.gserviceaccount.com' })}`],
    ['signed by another key', `Bearer ${token({}, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey)}`],
    ['unknown key id', `Bearer ${token({}, privateKey, 'other-kid')}`],
    ['garbage', 'Bearer abc.def.ghi'],
  ])('refuses %s with 401', async (_name, auth) => {
    expect((await call(auth)).status).toBe(401);
  });

  it('is a pass-through when disabled (emulator)', async () => {
    const app = new Koa();
    app.use(createPushAuth({ enabled: false, allowedServiceAccounts: [] }));
    app.use((ctx) => {
      ctx.status = 204;
    });
    const s = await listen(app);
    expect((await fetch(s.url, { method: 'POST' })).status).toBe(204);
    await s.close();
  });

  it('refuses to start enabled without an audience', () => {
    expect(() => createPushAuth({ enabled: true, allowedServiceAccounts: [] })).toThrow(/audience/);
  });
});
