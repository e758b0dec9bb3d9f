import { createRequire } from 'node:module';
import type * as GrpcModule from '@grpc/grpc-js';
import { EnvSecretSource } from './env-secret-source.js';
import { SecretManagerSecretSource, type SecretManagerClientOptions } from './secret-manager-source.js';
import type { SecretSource } from './secret-source.js';

export interface CreateSecretSourceOptions {
  source: 'env' | 'secret-manager';
  /** Project that owns the secrets (used by the Secret Manager source). */
  projectId: string;
  /** Variables for the env source (never defaults to `process.env`: the caller wires config). */
  env: Readonly<Record<string, string | undefined>>;
  /**
   * `host:port` of a plaintext gRPC Secret Manager (a local fake or a sandbox). Unset in production, where the
   * client talks TLS to secretmanager.googleapis.com with Application Default Credentials.
   */
  secretManagerEndpoint?: string;
  /** Cache TTL of the Secret Manager source. Default 5 minutes. */
  cacheTtlMs?: number;
  /**
   * Credentials for Google's endpoint (ignored for a plaintext endpoint). The services pass a lazily resolved ADC
   * client (shared/runtime/lazy-google-auth.ts) so a missing credential fails a read, never the process.
   */
  authClient?: SecretManagerClientOptions['authClient'];
}

export function createSecretSource(options: CreateSecretSourceOptions): SecretSource {
  if (options.source === 'env') return new EnvSecretSource({ env: options.env });
  const clientOptions: SecretManagerClientOptions = options.secretManagerEndpoint
    ? plaintextEndpointOptions(options.secretManagerEndpoint)
    : options.authClient
      ? { authClient: options.authClient }
      : {};
  return new SecretManagerSecretSource({
    projectId: options.projectId,
    clientOptions,
    ...(options.cacheTtlMs !== undefined ? { cacheTtlMs: options.cacheTtlMs } : {}),
  });
}

/**
 * Client options for a plaintext endpoint. With `sslCreds` set, google-gax uses those channel credentials as
 * they are and skips Google auth, which is what a local fake needs. `universeDomain` is stated so that gax's
 * universe check does not go looking for credentials (which probes the GCE metadata server when there are none).
 * @grpc/grpc-js is loaded only on this path (it is always present as google-gax's own dependency) so production
 * code never touches it.
 */
export function plaintextEndpointOptions(endpoint: string): SecretManagerClientOptions {
  const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(endpoint.trim());
  if (!match?.[1] || !match[2]) {
    throw new TypeError(`secretManagerEndpoint must be host:port, got "${endpoint}"`);
  }
  const grpc = createRequire(import.meta.url)('@grpc/grpc-js') as typeof GrpcModule;
  return {
    apiEndpoint: match[1].replace(/^\[(.*)\]$/, '$1'),
    port: Number(match[2]),
    sslCreds: grpc.credentials.createInsecure(),
    universeDomain: 'googleapis.com',
  };
}
