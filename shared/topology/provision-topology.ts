import type { PubSub } from '@google-cloud/pubsub';
import { getLogger } from '../logging/logger.js';
import {
  CONSUMERS,
  MAIN_MAX_DELIVERY_ATTEMPTS,
  NATIVE_RETRY_POLICY,
  RETRY_MAX_DELIVERY_ATTEMPTS,
  allTopics,
  type ConsumerDefinition,
} from './topology.js';

export interface ProvisionOptions {
  /** Base URL of each push-consuming service, e.g. `{ worker: 'http://127.0.0.1:8081' }`. */
  endpoints: Partial<Record<ConsumerDefinition['service'], string>>;
  /** Service account the push requests are signed as (production). Omit against the emulator. */
  pushServiceAccount?: string;
  /** Only provision these consumers (tests). Default: all. */
  consumers?: readonly ConsumerDefinition[];
  /** Override the native retry policy (tests shorten it: the emulator honours it between redeliveries). */
  nativeRetry?: { minimumBackoffSeconds: number; maximumBackoffSeconds: number };
}

const ALREADY_EXISTS = 6;

function isAlreadyExists(e: unknown): boolean {
  return (e as { code?: number })?.code === ALREADY_EXISTS;
}

/**
 * Creates the topology idempotently: existing topics are kept, existing subscriptions get their push
 * endpoint updated (so re-running after a port or URL change converges). Returns what it created.
 */
export async function provisionTopology(pubsub: PubSub, options: ProvisionOptions): Promise<{ created: string[] }> {
  const log = getLogger();
  const created: string[] = [];
  const consumers = options.consumers ?? CONSUMERS;
  const nativeRetry = options.nativeRetry ?? NATIVE_RETRY_POLICY;
  const project = (await pubsub.getClientConfig(), pubsub.projectId);

  const topics = new Set(allTopics().filter((t) => consumers.some((c) => [c.topic, c.retryTopic, c.deadLetterTopic].includes(t as never))));
  for (const name of topics) {
    try {
      await pubsub.createTopic(name);
      created.push(`topic:${name}`);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  }

  for (const c of consumers) {
    const base = options.endpoints[c.service];
    if (!base) throw new Error(`provision: no endpoint given for service "${c.service}" (consumer of ${c.topic})`);
    const pushEndpoint = new URL(c.path, base).toString();
    const pushConfig = {
      pushEndpoint,
      ...(options.pushServiceAccount
        ? { oidcToken: { serviceAccountEmail: options.pushServiceAccount, audience: new URL(base).origin } }
        : {}),
    };
    const deadLetterTopic = `projects/${project}/topics/${c.deadLetterTopic}`;
    const common = {
      pushConfig,
      ackDeadlineSeconds: c.ackDeadlineSeconds,
      retryPolicy: {
        minimumBackoff: { seconds: nativeRetry.minimumBackoffSeconds },
        maximumBackoff: { seconds: nativeRetry.maximumBackoffSeconds },
      },
    };
    const subs: Array<[string, string, object]> = [
      [c.subscription, c.topic, { ...common, deadLetterPolicy: { deadLetterTopic, maxDeliveryAttempts: MAIN_MAX_DELIVERY_ATTEMPTS } }],
      [c.retrySubscription, c.retryTopic, { ...common, deadLetterPolicy: { deadLetterTopic, maxDeliveryAttempts: RETRY_MAX_DELIVERY_ATTEMPTS } }],
      // Pull subscription on the DLQ: a topic without a subscription drops messages.
      [c.deadLetterSubscription, c.deadLetterTopic, { ackDeadlineSeconds: 60, retainAckedMessages: false, messageRetentionDuration: { seconds: 7 * 24 * 3600 } }],
    ];
    for (const [name, topic, opts] of subs) {
      try {
        await pubsub.topic(topic).createSubscription(name, opts);
        created.push(`subscription:${name}`);
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
        if ('pushConfig' in opts) await pubsub.subscription(name).modifyPushConfig(pushConfig);
      }
    }
  }
  log.info('topology provisioned', { project, created: created.length });
  return { created };
}
