import { generateKeyPairSync, sign } from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import type Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startEmulator, type RunningEmulator } from '../../scripts/lib/emulators.js';
import { createPublisher } from '../../shared/pubsub/publisher.js';
import type { PushAuthOptions } from '../../shared/pubsub/push-auth.js';
import { consumerApps } from '../helpers/consumer-apps.js';
import { listen } from '../helpers/test-kit.js';
import { ChildService, SECRET_VALUES, emulatorProcessEnv } from './pipeline-harness.js';

/**
 * Access in production configuration (issue 13). Every POST route of the worker and the notifier — the push
 * endpoints and the Cloud Scheduler jobs, read from the apps' own routers so a new route cannot slip past — refuses
 * a request without a valid Google-signed OIDC token for its audience and service account, and lets a valid one
 * through. Tokens are signed by a key this test makes and verified by google-auth-library's real code (the approach
 * of tests/unit/push-auth.test.ts). Then the real services, as processes started with PUSH_AUTH_ENABLED=true and
 * DEBUG logs, refuse unauthenticated requests on every such route, and none of their log lines holds a secret value.
 */
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const KID = 'faults-kid-1';
const SA = 'pubsub-push@faults.iam.gserviceaccount.com';
const b64url = (v: object | Buffer) => (Buffer.isBuffer(v) ? v : Buffer.from(JSON.stringify(v))).toString('base64url');
function token(audience: string, claims: Record<string, unknown> = {}, key = privateKey): string {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url({ alg: 'RS256', typ: 'JWT', kid: KID });
  const payload = b64url({ iss: 'https://accounts.google.com', aud: audience, email: SA, email_verified: true, iat: now, exp: now + 600, sub: '1', ...claims });
  return `${header}.${payload}.${b64url(sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), key))}`;
}

/** POST routes of a Koa app built with @koa/router (push endpoints and jobs). */
function postRoutes(app: Koa): string[] {
  const routers = app.middleware.map((m) => (m as { router?: { stack: Array<{ path: string; methods: string[] }> } }).router).filter((r) => r !== undefined);
  return routers.flatMap((r) => r.stack.filter((l) => l.methods.includes('POST')).map((l) => l.path));
}

let pubsubEmu: RunningEmulator;
let firestoreEmu: RunningEmulator;
const projectId = 'faults-access';
beforeAll(async () => {
  [pubsubEmu, firestoreEmu] = await Promise.all([startEmulator('pubsub', { projectId }), startEmulator('firestore', { projectId })]);
  process.env.PUBSUB_EMULATOR_HOST = pubsubEmu.host;
  process.env.FIRESTORE_EMULATOR_HOST = firestoreEmu.host;
}, 120_000);
afterAll(async () => {
  await Promise.allSettled([pubsubEmu?.stop(), firestoreEmu?.stop()]);
});

describe('push and job endpoints in production configuration', () => {
  it('every POST route of the worker and the notifier refuses a missing, forged, foreign or mis-addressed token, and accepts a valid one', async () => {
    const pubsub = new PubSub({ projectId });
    const firestore = new Firestore({ projectId });
    const publisher = createPublisher(pubsub);
    const auth = (audience: string): PushAuthOptions => ({
      enabled: true,
      audience,
      allowedServiceAccounts: [SA],
      getCerts: async () => ({ [KID]: publicKey.export({ type: 'spki', format: 'pem' }).toString() }),
    });
    const built = consumerApps({ firestore, publisher, pushAuth: (service) => auth(`https://${service}.faults.run.app`) });
    const apps = { 'https://worker.faults.run.app': built.worker, 'https://notifier.faults.run.app': built.notifier };
    const refusals: Array<[string, (aud: string) => string | undefined]> = [
      ['no token', () => undefined],
      ['not a bearer token', () => 'Basic dXNlcjpwYXNz'],
      ['garbage', () => 'Bearer abc.def.ghi'],
      ['signed by another key', (aud) => `Bearer ${token(aud, {}, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey)}`],
      ['for another audience', () => `Bearer ${token('https://elsewhere.run.app')}`],
      ['from another service account', (aud) => `Bearer ${token(aud, { email: 'intruder@faults.iam.gserviceaccount.com' })}`],
      ['expired', (aud) => `Bearer ${token(aud, { iat: 1000, exp: 2000 })}`],
      ['not issued by Google', (aud) => `Bearer ${token(aud, { iss: 'https://evil.example' })}`],
    ];
    let checked = 0;
    try {
      for (const [audience, app] of Object.entries(apps)) {
        const routes = postRoutes(app);
        expect(routes.length, audience).toBeGreaterThan(0);
        const server = await listen(app);
        try {
          for (const route of routes) {
            for (const [what, header] of refusals) {
              const h = header(audience);
              const res = await fetch(`${server.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(h ? { authorization: h } : {}) }, body: '{}' });
              expect(res.status, `${audience}${route}: ${what}`).toBe(401);
              checked++;
            }
            // A valid token gets past the check: a push endpoint then refuses the body (not a push envelope, 400), a job runs (200).
            const ok = await fetch(`${server.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token(audience)}` }, body: '{}' });
            expect(ok.status, `${audience}${route}: valid token`).not.toBe(401);
            expect([200, 400], `${audience}${route}: valid token`).toContain(ok.status);
          }
          console.log(`[faults] access: ${audience} POST routes ${routes.join(', ')}`);
        } finally {
          await server.close();
        }
      }
    } finally {
      await publisher.close();
      await Promise.allSettled([pubsub.close(), firestore.terminate()]);
    }
    expect(checked).toBeGreaterThanOrEqual(7 * refusals.length);
  }, 120_000);

  it('the real worker and notifier processes with PUSH_AUTH_ENABLED=true refuse unauthenticated pushes and jobs, and log no secret', async () => {
    const secrets = { META_APP_SECRET: 'access-meta-app-secret', GEMINI_API_KEY: 'access-gemini-key', TIENDA_X_META_PAGE_TOKEN: 'access-page-token' };
    const env = (name: string): NodeJS.ProcessEnv => ({
      ...emulatorProcessEnv({ pubsub: pubsubEmu.host, firestore: firestoreEmu.host }, projectId),
      LOG_LEVEL: 'DEBUG',
      PUSH_AUTH_ENABLED: 'true',
      PUSH_AUTH_AUDIENCE: `https://${name}.faults.run.app`,
      PUSH_AUTH_SERVICE_ACCOUNTS: SA,
      GEMINI_API_URL: 'http://127.0.0.1:9',
      META_GRAPH_URL: 'http://127.0.0.1:9/v21.0',
      ...secrets,
    });
    const services = [new ChildService('worker', await freePort(), env('worker')), new ChildService('notifier', await freePort(), env('notifier'))];
    // The routes each process serves: the same apps' routers as above.
    const routes: Record<string, string[]> = {
      worker: ['/pubsub/incoming-comments', '/pubsub/ai-processing', '/pubsub/payment-events', '/jobs/expire-reservations', '/jobs/reconcile-payments'],
      notifier: ['/pubsub/notification-delivery', '/pubsub/buyer-messages'],
    };
    try {
      await Promise.all(services.map((s) => s.start()));
      for (const s of services) {
        for (const route of routes[s.name]!) {
          for (const authorization of [undefined, 'Basic dXNlcjpwYXNz', `${SA}`]) {
            const res = await fetch(`${s.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body: '{"message":{"data":"e30=","messageId":"1"}}' });
            expect(res.status, `${s.name}${route} ${authorization ?? 'no token'}`).toBe(401);
          }
        }
      }
    } finally {
      for (const s of services) await s.kill('SIGTERM');
    }
    const logs = services.map((s) => s.logs).join('\n');
    expect(logs).toMatch(/"severity":"DEBUG"|"severity":"INFO"/);
    for (const secret of [...Object.values(secrets), ...SECRET_VALUES]) expect(logs.includes(secret), secret.slice(0, 6)).toBe(false);
  }, 120_000);
});
