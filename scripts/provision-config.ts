import { z } from 'zod';
import { commonSettings } from '../shared/config/common-settings.js';
import { defineConfig, optionalStr } from '../shared/config/define-config.js';

/** Settings of `npm run provision`. */
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
