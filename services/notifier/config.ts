import { analyticsSettings, commonSettings, pushConsumerSettings } from '../../shared/config/common-settings.js';
import { z } from 'zod';
import { defineConfig, duration, port, urlWithDefault, type ConfigOf } from '../../shared/config/define-config.js';

/** The notifier's one configuration schema, validated at start (`tsx services/notifier/main.ts`). */
export const notifierConfig = defineConfig('notifier', {
  port: { env: 'PORT', doc: 'HTTP port (Cloud Run sets it).', schema: port(8082) },
  ...commonSettings,
  ...pushConsumerSettings,
  metaGraphUrl: {
    env: 'META_GRAPH_URL',
    doc: 'Meta Graph API base URL, version included (sandbox or local stand-in). Private replies are sent through it.',
    schema: urlWithDefault('https://graph.facebook.com/v21.0'),
  },
  metaTimeout: {
    env: 'META_TIMEOUT',
    doc: 'Timeout of one Send API call. A rejected token costs a second call, and both must fit in the 30 s push ack deadline.',
    schema: duration('8s'),
  },
  sendRatePerPage: {
    env: 'NOTIFIER_SEND_RATE_PER_PAGE',
    doc: 'Send API calls per second per Facebook Page / Instagram account, per instance (Meta: 300/s Messenger text, plan 100/s for Instagram). Slowed further by Meta\'s usage headers from 75 %.',
    schema: z.coerce.number().positive().max(1000).default(50),
  },
  sendQueueMaxWait: {
    env: 'NOTIFIER_SEND_QUEUE_MAX_WAIT',
    doc: 'Longest a message may wait for its Page\'s turn before it is handed to the retry schedule instead (must leave room for the Send API call within the 30 s push ack deadline).',
    schema: duration('15s'),
  },
  ...analyticsSettings,
});
export type NotifierConfig = ConfigOf<typeof notifierConfig.specs>;
