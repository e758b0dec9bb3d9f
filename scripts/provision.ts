/**
 * `npm run provision`: creates the Pub/Sub topology (topics, push subscriptions with retry and dead-letter
 * policies, retry topics, dead-letter hold subscriptions) on the emulator or a real project, idempotently.
 */
import { PubSub } from '@google-cloud/pubsub';
import { z } from 'zod';
import { commonSettings } from '../shared/config/common-settings.js';
import { defineConfig, optionalStr, ConfigError } from '../shared/config/define-config.js';
import { provisionTopology } from '../shared/topology/provision-topology.js';
import { createLogger, setLogger } from '../shared/logging/logger.js';

export const provisionConfig = defineConfig('provision', {
  projectId: commonSettings.projectId,
  pubsubEmulatorHost: commonSettings.pubsubEmulatorHost,
  workerUrl: { env: 'WORKER_URL', doc: 'Base URL of the worker service (push endpoint host).', schema: z.url() },
  notifierUrl: { env: 'NOTIFIER_URL', doc: 'Base URL of the notifier service (push endpoint host).', schema: z.url() },
  pushServiceAccount: {
    env: 'PUSH_SERVICE_ACCOUNT',
    doc: 'Service account that signs push requests (OIDC). Leave unset against the emulator.',
    schema: optionalStr(),
  },
});

async function main() {
  const config = provisionConfig.load();
  setLogger(createLogger({ projectId: config.projectId, base: { service: 'provision' } }));
  const pubsub = new PubSub({ projectId: config.projectId });
  const { created } = await provisionTopology(pubsub, {
    endpoints: { worker: config.workerUrl, notifier: config.notifierUrl },
    ...(config.pushServiceAccount ? { pushServiceAccount: config.pushServiceAccount } : {}),
  });
  console.log(created.length ? `created:\n  ${created.join('\n  ')}` : 'topology already up to date');
  await pubsub.close();
}

main().catch((e) => {
  console.error(e instanceof ConfigError ? e.message : e);
  process.exit(1);
});
