import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSecretSource, plaintextEndpointOptions } from '../../shared/secrets/create-secret-source.js';
import { EnvSecretSource, secretIdToEnvName } from '../../shared/secrets/env-secret-source.js';
import {
  SecretManagerSecretSource,
  type SecretManagerSecretSourceOptions,
} from '../../shared/secrets/secret-manager-source.js';
import { SecretAccessError, SecretNotFoundError } from '../../shared/secrets/secret-source.js';
import { startSecretManagerFake, type SecretManagerFake } from '../fakes/secret-manager-fake.js';

describe('secretIdToEnvName', () => {
  it('upper-cases and turns every non-alphanumeric character into _', () => {
    expect(secretIdToEnvName('meta-app-secret')).toBe('META_APP_SECRET');
    expect(secretIdToEnvName('tienda-6f1c2d9e-3b7a-4c1d-9e2f-0a1b2c3d4e5f-mercadopago-access-token')).toBe(
      'TIENDA_6F1C2D9E_3B7A_4C1D_9E2F_0A1B2C3D4E5F_MERCADOPAGO_ACCESS_TOKEN',
    );
    expect(secretIdToEnvName('a.b/c d:ñ')).toBe('A_B_C_D__');
  });
});

describe('EnvSecretSource', () => {
  it('reads the value from the env var named by the rule', async () => {
    const source = new EnvSecretSource({ env: { META_APP_SECRET: 's3cr3t' } });
    await expect(source.get('meta-app-secret')).resolves.toBe('s3cr3t');
    await expect(source.getOptional('meta-app-secret')).resolves.toBe('s3cr3t');
  });

  it('a missing secret fails with SecretNotFoundError naming the env var', async () => {
    const source = new EnvSecretSource({ env: { OTHER: 'x', PAYPAL_CLIENT_SECRET: '' } });
    const err = await source.get('flow-secret-key').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretNotFoundError);
    expect((err as SecretNotFoundError).id).toBe('flow-secret-key');
    expect((err as Error).message).toContain('FLOW_SECRET_KEY');
    // An empty value is never a usable secret.
    await expect(source.get('paypal-client-secret')).rejects.toThrow(/PAYPAL_CLIENT_SECRET/);
    await expect(source.getOptional('flow-secret-key')).resolves.toBeUndefined();
  });

  it('refresh re-reads the env map', async () => {
    const env: Record<string, string> = { TOKEN_A: 'one' };
    const source = new EnvSecretSource({ env });
    await expect(source.get('token-a')).resolves.toBe('one');
    env.TOKEN_A = 'two';
    await expect(source.refresh('token-a')).resolves.toBe('two');
  });
});

describe('SecretManagerSecretSource through the real client against the gRPC fake', () => {
  let fake: SecretManagerFake;
  let clock: number;
  const sources: SecretManagerSecretSource[] = [];

  const makeSource = (options: Partial<SecretManagerSecretSourceOptions> = {}) => {
    const source = new SecretManagerSecretSource({
      projectId: 'demo',
      clientOptions: plaintextEndpointOptions(fake.endpoint),
      cacheTtlMs: 60_000,
      totalTimeoutMs: 400,
      initialRetryDelayMs: 5,
      now: () => clock,
      ...options,
    });
    sources.push(source);
    return source;
  };

  beforeAll(async () => {
    fake = await startSecretManagerFake();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    clock = 1_000_000;
    fake.clearFailures();
    fake.setSecret('meta-app-secret', 'app-secret-v1');
  });
  afterEach(async () => {
    await Promise.all(sources.splice(0).map((s) => s.close()));
    fake.deleteSecret('meta-app-secret');
  });

  it('reads versions/latest of the secret in the configured project, without auth', async () => {
    const source = makeSource();
    const before = fake.calls;
    await expect(source.get('meta-app-secret')).resolves.toBe('app-secret-v1');
    expect(fake.calls - before).toBe(1);
    const last = fake.requests.at(-1);
    expect(last?.name).toBe('projects/demo/secrets/meta-app-secret/versions/latest');
    expect(last?.authorized).toBe(false);
  });

  it('serves repeated and concurrent reads from one RPC', async () => {
    const source = makeSource();
    const before = fake.calls;
    const values = await Promise.all(Array.from({ length: 20 }, () => source.get('meta-app-secret')));
    expect(new Set(values)).toEqual(new Set(['app-secret-v1']));
    for (let i = 0; i < 5; i++) await source.get('meta-app-secret');
    expect(fake.calls - before).toBe(1);
  });

  it('re-reads after the TTL, not before', async () => {
    const source = makeSource({ cacheTtlMs: 60_000 });
    const before = fake.calls;
    await source.get('meta-app-secret');
    fake.setSecret('meta-app-secret', 'app-secret-v2');
    clock += 59_999;
    await expect(source.get('meta-app-secret')).resolves.toBe('app-secret-v1');
    expect(fake.calls - before).toBe(1);
    clock += 1;
    await expect(source.get('meta-app-secret')).resolves.toBe('app-secret-v2');
    expect(fake.calls - before).toBe(2);
  });

  it('refresh bypasses the cache, picks up a rotated value and updates the cache', async () => {
    const source = makeSource();
    await expect(source.get('meta-app-secret')).resolves.toBe('app-secret-v1');
    fake.setSecret('meta-app-secret', 'app-secret-v2');
    await expect(source.get('meta-app-secret')).resolves.toBe('app-secret-v1');
    const before = fake.calls;
    const [a, b] = await Promise.all([source.refresh('meta-app-secret'), source.refresh('meta-app-secret')]);
    expect([a, b]).toEqual(['app-secret-v2', 'app-secret-v2']);
    expect(fake.calls - before).toBe(1);
    await expect(source.get('meta-app-secret')).resolves.toBe('app-secret-v2');
    expect(fake.calls - before).toBe(1);
  });

  it('NOT_FOUND becomes SecretNotFoundError; getOptional gives undefined; the absence is cached for the TTL', async () => {
    const source = makeSource();
    const before = fake.calls;
    const err = await source.get('tienda-x-flow-secret-key').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretNotFoundError);
    expect((err as SecretNotFoundError).id).toBe('tienda-x-flow-secret-key');
    await expect(source.getOptional('tienda-x-flow-secret-key')).resolves.toBeUndefined();
    expect(fake.calls - before).toBe(1);
    // Created later: seen after the TTL, or at once through refresh.
    fake.setSecret('tienda-x-flow-secret-key', 'flow-key');
    await expect(source.refresh('tienda-x-flow-secret-key')).resolves.toBe('flow-key');
    fake.deleteSecret('tienda-x-flow-secret-key');
  });

  it('an id that cannot be a Secret Manager id is not found, without an RPC', async () => {
    const source = makeSource();
    const before = fake.calls;
    await expect(source.get('../../other-project/secrets/x')).rejects.toBeInstanceOf(SecretNotFoundError);
    expect(fake.calls).toBe(before);
  });

  it('a single UNAVAILABLE is retried by the client and the read succeeds', async () => {
    const source = makeSource();
    const before = fake.calls;
    fake.failNext(grpc.status.UNAVAILABLE, 1);
    await expect(source.get('meta-app-secret')).resolves.toBe('app-secret-v1');
    expect(fake.calls - before).toBe(2);
  });

  it('Secret Manager down with nothing cached → SecretAccessError (callers answer 503)', async () => {
    const source = makeSource();
    fake.failNext(grpc.status.UNAVAILABLE, Infinity);
    const err = await source.get('meta-app-secret').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretAccessError);
    expect(err).not.toBeInstanceOf(SecretNotFoundError);
    expect((err as SecretAccessError).id).toBe('meta-app-secret');
  });

  it('a non-retryable error (PERMISSION_DENIED) is a SecretAccessError carrying the code, after one RPC', async () => {
    const source = makeSource();
    const before = fake.calls;
    fake.failNext(grpc.status.PERMISSION_DENIED, 1, 'Permission denied on resource');
    const err = await source.get('meta-app-secret').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretAccessError);
    expect((err as SecretAccessError).code).toBe(grpc.status.PERMISSION_DENIED);
    expect(fake.calls - before).toBe(1);
  });

  it('an expired value is served stale while Secret Manager is down, but refresh() never serves stale', async () => {
    const source = makeSource({ cacheTtlMs: 60_000, staleIfErrorMs: 600_000, staleRetryIntervalMs: 30_000 });
    await source.get('meta-app-secret');
    clock += 60_000;
    fake.failNext(grpc.status.UNAVAILABLE, Infinity);
    await expect(source.get('meta-app-secret')).resolves.toBe('app-secret-v1');
    // Within the retry interval no RPC is attempted: an outage must not add a timeout to every request.
    const during = fake.calls;
    clock += 29_999;
    await expect(source.get('meta-app-secret')).resolves.toBe('app-secret-v1');
    expect(fake.calls).toBe(during);
    await expect(source.refresh('meta-app-secret')).rejects.toBeInstanceOf(SecretAccessError);
    // Past the stale window the error surfaces.
    clock += 600_000;
    await expect(source.get('meta-app-secret')).rejects.toBeInstanceOf(SecretAccessError);
    // Back up: a fresh value again.
    fake.clearFailures();
    fake.setSecret('meta-app-secret', 'app-secret-v2');
    await expect(source.get('meta-app-secret')).resolves.toBe('app-secret-v2');
  });

  it('an expired value whose secret was deleted is not served stale', async () => {
    const source = makeSource();
    await source.get('meta-app-secret');
    fake.deleteSecret('meta-app-secret');
    clock += 60_000;
    await expect(source.get('meta-app-secret')).rejects.toBeInstanceOf(SecretNotFoundError);
  });
});

describe('createSecretSource', () => {
  let fake: SecretManagerFake;
  beforeAll(async () => {
    fake = await startSecretManagerFake({ secrets: { 'meta-app-secret': 'from-secret-manager' } });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('builds an env source from the env map it is given', async () => {
    const source = createSecretSource({ source: 'env', projectId: 'demo', env: { META_APP_SECRET: 'from-env' } });
    await expect(source.get('meta-app-secret')).resolves.toBe('from-env');
  });

  it('builds a Secret Manager source that reaches a plaintext endpoint', async () => {
    const source = createSecretSource({
      source: 'secret-manager',
      projectId: 'demo',
      env: { META_APP_SECRET: 'from-env' },
      secretManagerEndpoint: fake.endpoint,
    });
    try {
      await expect(source.get('meta-app-secret')).resolves.toBe('from-secret-manager');
    } finally {
      await source.close?.();
    }
  });

  it('rejects a malformed endpoint', () => {
    expect(() =>
      createSecretSource({ source: 'secret-manager', projectId: 'demo', env: {}, secretManagerEndpoint: 'http://x' }),
    ).toThrow(TypeError);
  });
});
