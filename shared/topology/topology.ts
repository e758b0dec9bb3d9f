/**
 * The Pub/Sub topology — one definition used by `npm run provision` (emulator or a real project), by the
 * services (which topic to retry / dead-letter into) and by the Terraform tests (which hold `terraform/`
 * against it so the two cannot drift).
 *
 * Retries follow DESIGN §3: the push handler re-publishes a transiently failed message to the consumer's
 * own retry topic with a `not_before` time; the retry subscription pushes to the same endpoint, which answers
 * 429 until that time. The native retry + dead-letter policies stay on every subscription as the safety net
 * for crashes (a handler that never answers).
 */

export const TOPIC_NAMES = {
  incomingComments: 'incoming_comments',
  aiProcessing: 'ai_processing',
  notificationDelivery: 'notification_delivery',
  paymentEvents: 'payment_events',
  /** Buyers' Messenger / Instagram messages (ingress → notifier): they open the 24 h window. */
  buyerMessages: 'buyer_messages',
} as const;
export type TopicName = (typeof TOPIC_NAMES)[keyof typeof TOPIC_NAMES];

export type ServiceName = 'ingress' | 'worker' | 'notifier';

export interface ConsumerDefinition {
  /** The main topic this consumer reads. */
  topic: TopicName;
  service: Exclude<ServiceName, 'ingress'>;
  /** Push endpoint path on the service. */
  path: string;
  /** Push subscription on the main topic. */
  subscription: string;
  /** The consumer's own retry topic and its push subscription (same endpoint). */
  retryTopic: string;
  retrySubscription: string;
  /** Dead-letter topic and the pull subscription that keeps what lands there. */
  deadLetterTopic: string;
  deadLetterSubscription: string;
  /** incoming_comments is high priority: its worker service gets its own concurrency and min instances. */
  priority: 'high' | 'normal';
  /** Push ack deadline = request timeout for push (10–600 s). */
  ackDeadlineSeconds: number;
}

function consumer(
  topic: TopicName,
  service: ConsumerDefinition['service'],
  path: string,
  priority: ConsumerDefinition['priority'],
  ackDeadlineSeconds: number,
): ConsumerDefinition {
  return {
    topic,
    service,
    path,
    subscription: `${topic}-${service}`,
    retryTopic: `${topic}-retry`,
    retrySubscription: `${topic}-retry-${service}`,
    deadLetterTopic: `${topic}-dlq`,
    deadLetterSubscription: `${topic}-dlq-hold`,
    priority,
    ackDeadlineSeconds,
  };
}

export const CONSUMERS: readonly ConsumerDefinition[] = [
  consumer(TOPIC_NAMES.incomingComments, 'worker', '/pubsub/incoming-comments', 'high', 30),
  consumer(TOPIC_NAMES.aiProcessing, 'worker', '/pubsub/ai-processing', 'normal', 60),
  consumer(TOPIC_NAMES.paymentEvents, 'worker', '/pubsub/payment-events', 'normal', 30),
  consumer(TOPIC_NAMES.notificationDelivery, 'notifier', '/pubsub/notification-delivery', 'normal', 30),
  consumer(TOPIC_NAMES.buyerMessages, 'notifier', '/pubsub/buyer-messages', 'normal', 30),
];

/**
 * Native policies (the safety net). Pub/Sub caps both backoffs at 600 s. The retry subscriptions hold a
 * message for up to an hour by answering 429, so they need many more native attempts than the main ones.
 */
export const NATIVE_RETRY_POLICY = { minimumBackoffSeconds: 10, maximumBackoffSeconds: 600 } as const;
export const MAIN_MAX_DELIVERY_ATTEMPTS = 10;
export const RETRY_MAX_DELIVERY_ATTEMPTS = 100;

/** How long a push subscription keeps an unacked message (Pub/Sub's maximum, 7 days). */
export const SUBSCRIPTION_MESSAGE_RETENTION_SECONDS = 7 * 24 * 3600;

/** The pull subscription that keeps what lands on a dead-letter topic until an operator lists / replays it. */
export const DEAD_LETTER_HOLD = { ackDeadlineSeconds: 60, messageRetentionSeconds: 7 * 24 * 3600 } as const;

/** Attribute names the pipeline uses on messages (DESIGN §2 plus the retry bookkeeping). */
export const ATTR = {
  event: 'event',
  idempotencyKey: 'idempotency_key',
  schemaVersion: 'schema_version',
  tiendaId: 'tienda_id',
  traceparent: 'traceparent',
  retryAttempt: 'retry_attempt',
  notBefore: 'not_before',
  /** `failure_1` … `failure_N`: one attribute per failed attempt (each value ≤ 1024 bytes). */
  failurePrefix: 'failure_',
  originalTopic: 'original_topic',
  originalMessageId: 'original_message_id',
  deadLetterReason: 'dead_letter_reason',
  deadLetteredAt: 'dead_lettered_at',
} as const;

export function consumerFor(topic: TopicName): ConsumerDefinition {
  const c = CONSUMERS.find((x) => x.topic === topic);
  if (!c) throw new Error(`no consumer defined for topic ${topic}`);
  return c;
}

export function consumerByPath(path: string): ConsumerDefinition | undefined {
  return CONSUMERS.find((x) => x.path === path);
}

/** Every topic the topology needs, main ones first. */
export function allTopics(): string[] {
  const names = new Set<string>(Object.values(TOPIC_NAMES));
  for (const c of CONSUMERS) {
    names.add(c.retryTopic);
    names.add(c.deadLetterTopic);
  }
  return [...names];
}
