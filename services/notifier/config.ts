import { analyticsSettings, commonSettings, pushConsumerSettings } from '../../shared/config/common-settings.js';
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
  ...analyticsSettings,
});
export type NotifierConfig = ConfigOf<typeof notifierConfig.specs>;
