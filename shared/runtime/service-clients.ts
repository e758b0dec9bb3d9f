import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { createPublisher, type Publisher } from '../pubsub/publisher.js';
import { createSecretSource } from '../secrets/create-secret-source.js';
import type { SecretSource } from '../secrets/secret-source.js';
import { lazyAuthClientOption } from './lazy-google-auth.js';

export interface ServiceClients {
  pubsub: PubSub;
  firestore: Firestore;
  secrets: SecretSource;
  publisher: Publisher;
  /** Flushes the publisher, then closes every client (bounded by runServer's shutdown budget). */
  close(): Promise<void>;
}

/** The Google clients every service uses, built from the common settings (emulators via their env vars). */
export function createServiceClients(
  config: { projectId: string; secretsSource: 'env' | 'secret-manager'; secretsCacheTtl: number; secretManagerEndpoint?: string | undefined },
  env: Record<string, string | undefined>,
): ServiceClients {
  // One lazily resolved credential for all clients: a missing credential fails a call (503), never the process.
  const auth = lazyAuthClientOption();
  const pubsub = new PubSub({ projectId: config.projectId, ...auth });
  const firestore = new Firestore({ projectId: config.projectId, ...auth });
  const secrets = createSecretSource({
    ...auth,
    source: config.secretsSource,
    projectId: config.projectId,
    env,
    cacheTtlMs: config.secretsCacheTtl,
    ...(config.secretManagerEndpoint ? { secretManagerEndpoint: config.secretManagerEndpoint } : {}),
  });
  const publisher = createPublisher(pubsub);
  return {
    pubsub,
    firestore,
    secrets,
    publisher,
    async close() {
      await publisher.close();
      await Promise.allSettled([pubsub.close(), firestore.terminate(), secrets.close?.()]);
    },
  };
}
