import { v1, type PubSub } from '@google-cloud/pubsub';
import type { ConsumerDefinition } from '../topology/topology.js';
import { ATTR } from '../topology/topology.js';
import type { Publisher } from './publisher.js';
import { isRetryBookkeeping, readFailureHistory, type FailureRecord } from './retry-schedule.js';

export interface DeadLetter {
  ackId: string;
  messageId: string;
  data: Buffer;
  attributes: Record<string, string>;
  reason: string | null;
  history: FailureRecord[];
  /** Set when Pub/Sub's own dead-letter policy forwarded it (a handler that crashed or never answered). */
  nativeDeliveryCount: number | null;
}

/**
 * Reads and replays what landed in a consumer's dead-letter topic (kept by its pull "hold" subscription).
 * `list` does not consume: pulled messages are handed back at once (ack deadline 0).
 */
/** Every call to Pub/Sub here has a deadline (an operator's command must not hang on a stalled connection). */
const CALL_TIMEOUT_MS = 10_000;

export class DeadLetters {
  private client: v1.SubscriberClient | null = null;

  constructor(private readonly pubsub: PubSub) {}

  private async subscriber(): Promise<v1.SubscriberClient> {
    const cfg = await this.pubsub.getClientConfig();
    this.client ??= new v1.SubscriberClient({ ...cfg, port: cfg.port === undefined ? undefined : Number(cfg.port) });
    return this.client;
  }

  private subscriptionPath(consumer: ConsumerDefinition): string {
    return `projects/${this.pubsub.projectId}/subscriptions/${consumer.deadLetterSubscription}`;
  }

  async pull(consumer: ConsumerDefinition, max: number): Promise<DeadLetter[]> {
    const client = await this.subscriber();
    const [res] = await client.pull(
      { subscription: this.subscriptionPath(consumer), maxMessages: max, returnImmediately: true } as never,
      { timeout: CALL_TIMEOUT_MS },
    );
    return (res.receivedMessages ?? []).map((rm) => {
      const attributes = { ...(rm.message?.attributes ?? {}) } as Record<string, string>;
      const native = attributes['CloudPubSubDeadLetterSourceDeliveryCount'];
      return {
        ackId: rm.ackId!,
        messageId: rm.message?.messageId ?? '',
        data: Buffer.from(rm.message?.data ?? ''),
        attributes,
        reason: attributes[ATTR.deadLetterReason] ?? (native ? `native dead-letter policy after ${native} deliveries` : null),
        history: readFailureHistory(attributes),
        nativeDeliveryCount: native ? Number(native) : null,
      };
    });
  }

  async list(consumer: ConsumerDefinition, max = 100): Promise<DeadLetter[]> {
    const letters = await this.pull(consumer, max);
    if (letters.length > 0) {
      const client = await this.subscriber();
      await client.modifyAckDeadline(
        { subscription: this.subscriptionPath(consumer), ackIds: letters.map((l) => l.ackId), ackDeadlineSeconds: 0 },
        { timeout: CALL_TIMEOUT_MS },
      );
    }
    return letters;
  }

  /**
   * Re-publishes dead letters to the consumer's main topic with their original data and attributes (the
   * retry bookkeeping stripped, so the schedule starts afresh), then acks them. Publish first, ack second:
   * a crash in between replays a message twice, which the handlers' idempotency absorbs — never zero times.
   */
  async replay(consumer: ConsumerDefinition, publisher: Publisher, max = 100): Promise<number> {
    return this.replayLetters(consumer, publisher, await this.pull(consumer, max));
  }

  /**
   * Every dead letter the hold subscription holds right now (up to `max`), pulled in rounds: the emulator and
   * Pub/Sub may answer a pull with fewer than they hold. Nothing is consumed: call {@link release} or act on them.
   */
  async pullAll(consumer: ConsumerDefinition, max = 1000): Promise<DeadLetter[]> {
    const all: DeadLetter[] = [];
    let empty = 0;
    while (all.length < max && empty < 2) {
      const batch = await this.pull(consumer, Math.min(100, max - all.length));
      if (batch.length === 0) empty++;
      else all.push(...batch.filter((l) => !all.some((a) => a.ackId === l.ackId)));
    }
    return all;
  }

  /** Hands pulled letters back at once (ack deadline 0), so they stay for the next look. */
  async release(consumer: ConsumerDefinition, letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const client = await this.subscriber();
    await client.modifyAckDeadline(
      { subscription: this.subscriptionPath(consumer), ackIds: letters.map((l) => l.ackId), ackDeadlineSeconds: 0 },
      { timeout: CALL_TIMEOUT_MS },
    );
  }

  /** Removes letters for good (they were replayed, or an operator purged them). */
  async acknowledge(consumer: ConsumerDefinition, letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const client = await this.subscriber();
    await client.acknowledge({ subscription: this.subscriptionPath(consumer), ackIds: letters.map((l) => l.ackId) }, { timeout: CALL_TIMEOUT_MS });
  }

  /**
   * Re-publishes the given pulled letters to the consumer's main topic — the normal path, so the handler's
   * idempotency keys still hold — with the retry bookkeeping stripped, then acks each. Publish first, ack second.
   */
  async replayLetters(consumer: ConsumerDefinition, publisher: Publisher, letters: DeadLetter[]): Promise<number> {
    let replayed = 0;
    for (const l of letters) {
      const attrs = Object.fromEntries(Object.entries(l.attributes).filter(([k]) => !isRetryBookkeeping(k)));
      await publisher.publishRaw(consumer.topic, l.data, { ...attrs, replayed_from: l.messageId });
      await this.acknowledge(consumer, [l]);
      replayed++;
    }
    return replayed;
  }

  async close(): Promise<void> {
    await this.client?.close();
  }
}
