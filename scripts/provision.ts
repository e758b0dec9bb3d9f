/**
 * `npm run provision`: creates the Pub/Sub topology (topics, push subscriptions with retry and dead-letter
 * policies, retry topics, dead-letter hold subscriptions) on the emulator or a real project, idempotently, and
 * brings existing subscriptions back to the declared settings (see shared/topology/provision-topology.ts).
 */
import { PubSub } from '@google-cloud/pubsub';
import { ConfigError } from '../shared/config/define-config.js';
import { provisionConfig } from './provision-config.js';
import { provisionTopology } from '../shared/topology/provision-topology.js';
import { createLogger, setLogger } from '../shared/logging/logger.js';


async function main() {
  const config = provisionConfig.load();
  setLogger(createLogger({ projectId: config.projectId, base: { service: 'provision' } }));
  const pubsub = new PubSub({ projectId: config.projectId });
  const { created, updated, unconverged } = await provisionTopology(pubsub, {
    endpoints: { worker: config.workerUrl, notifier: config.notifierUrl },
    ...(config.pushServiceAccount ? { pushServiceAccount: config.pushServiceAccount } : {}),
  });
  if (created.length) console.log(`created:\n  ${created.join('\n  ')}`);
  if (updated.length) console.log(`updated:\n  ${updated.join('\n  ')}`);
  if (unconverged.length) console.log(`not converged:\n  ${unconverged.join('\n  ')}`);
  if (!created.length && !updated.length && !unconverged.length) console.log('topology already up to date');
  await pubsub.close();
}

main().catch((e) => {
  console.error(e instanceof ConfigError ? e.message : e);
  process.exit(1);
});
