import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/**
 * A local Secret Manager: a real gRPC server built from the official client's own protos, implementing
 * `AccessSecretVersion` from memory. The real `SecretManagerServiceClient` reaches it with
 * `{ apiEndpoint: '127.0.0.1', port, sslCreds: grpc.credentials.createInsecure() }`
 * (or `createSecretSource({ secretManagerEndpoint: fake.endpoint })`).
 */

export interface SecretManagerFakeOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Secrets to start with (id → value). */
  secrets?: Record<string, string>;
}

export interface SecretManagerFakeRequest {
  method: 'AccessSecretVersion';
  /** Full resource name as the client sent it. */
  name: string;
  /** Whether an `authorization` metadata entry was present (it should not be against a plaintext fake). */
  authorized: boolean;
}

export interface SecretManagerFake {
  /** `127.0.0.1:PORT` */
  endpoint: string;
  port: number;
  /** Adds a new version of the secret (what a rotation does); `versions/latest` then returns it. */
  setSecret(id: string, value: string): void;
  /** Removes the secret and all its versions (later reads get NOT_FOUND). */
  deleteSecret(id: string): void;
  /** Number of RPCs received so far (including scripted failures). */
  readonly calls: number;
  /** Every RPC received, in order. */
  readonly requests: SecretManagerFakeRequest[];
  /** The next `times` RPCs fail with this gRPC status code (e.g. `grpc.status.UNAVAILABLE`); Infinity = until cleared. */
  failNext(code: grpc.status, times?: number, message?: string): void;
  /** Cancels scripted failures. */
  clearFailures(): void;
  close(): Promise<void>;
}

interface AccessRequest {
  name: string;
}

interface Version {
  value: Buffer;
}

function loadServiceDefinition(): grpc.ServiceDefinition {
  const require = createRequire(import.meta.url);
  const secretManagerProtos = path.join(
    path.dirname(require.resolve('@google-cloud/secret-manager')),
    '..',
    'protos',
  );
  // google-gax's package.json is not exported, so resolve its main file and walk up to build/protos.
  const gaxProtos = path.join(path.dirname(require.resolve('google-gax')), '..', 'protos');
  const packageDefinition = protoLoader.loadSync('google/cloud/secretmanager/v1/service.proto', {
    includeDirs: [secretManagerProtos, gaxProtos],
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(packageDefinition) as unknown as {
    google: { cloud: { secretmanager: { v1: { SecretManagerService: grpc.ServiceClientConstructor } } } };
  };
  return loaded.google.cloud.secretmanager.v1.SecretManagerService.service;
}

const VERSION_NAME = /^projects\/([^/]+)\/secrets\/([^/]+)\/versions\/([^/]+)$/;

export async function startSecretManagerFake(options: SecretManagerFakeOptions = {}): Promise<SecretManagerFake> {
  const store = new Map<string, Version[]>();
  const requests: SecretManagerFakeRequest[] = [];
  let failures: { code: grpc.status; remaining: number; message: string } | undefined;

  const setSecret = (id: string, value: string) => {
    const versions = store.get(id) ?? [];
    versions.push({ value: Buffer.from(value, 'utf8') });
    store.set(id, versions);
  };
  for (const [id, value] of Object.entries(options.secrets ?? {})) setSecret(id, value);

  const accessSecretVersion: grpc.handleUnaryCall<AccessRequest, unknown> = (call, callback) => {
    const name = call.request.name;
    requests.push({
      method: 'AccessSecretVersion',
      name,
      authorized: call.metadata.get('authorization').length > 0,
    });
    if (failures && failures.remaining > 0) {
      failures.remaining -= 1;
      const { code, message } = failures;
      if (failures.remaining <= 0) failures = undefined;
      callback({ code, details: message, metadata: new grpc.Metadata() });
      return;
    }
    const match = VERSION_NAME.exec(name);
    if (!match) {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: `Invalid resource field value in the request.` });
      return;
    }
    const [, project, id = '', versionRef = ''] = match;
    const versions = store.get(id);
    const index = versionRef === 'latest' ? (versions?.length ?? 0) - 1 : Number(versionRef) - 1;
    const version = versions?.[index];
    if (!versions || versions.length === 0) {
      // The real service's wording for an unknown secret.
      callback({
        code: grpc.status.NOT_FOUND,
        details: `Secret [projects/${project}/secrets/${id}] not found or has no versions.`,
      });
      return;
    }
    if (!version) {
      callback({ code: grpc.status.NOT_FOUND, details: `Secret Version [${name}] not found.` });
      return;
    }
    callback(null, {
      name: `projects/${project}/secrets/${id}/versions/${index + 1}`,
      payload: { data: version.value },
    });
  };

  const server = new grpc.Server();
  server.addService(loadServiceDefinition(), { accessSecretVersion });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    );
  });

  return {
    endpoint: `127.0.0.1:${port}`,
    port,
    setSecret,
    deleteSecret: (id) => {
      store.delete(id);
    },
    get calls() {
      return requests.length;
    },
    requests,
    failNext(code, times = 1, message = 'The service is currently unavailable.') {
      failures = { code, remaining: times, message };
    },
    clearFailures() {
      failures = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // Clients may keep channels open; do not let a lingering channel hold the shutdown forever.
        setTimeout(() => server.forceShutdown(), 1_000).unref();
      }),
  };
}
