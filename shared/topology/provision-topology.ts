import type { PubSub } from '@google-cloud/pubsub';
import { getLogger } from '../logging/logger.js';
import {
  CONSUMERS,
  DEAD_LETTER_HOLD,
  MAIN_MAX_DELIVERY_ATTEMPTS,
  NATIVE_RETRY_POLICY,
  RETRY_MAX_DELIVERY_ATTEMPTS,
  SUBSCRIPTION_MESSAGE_RETENTION_SECONDS,
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

export interface ProvisionResult {
  /** `topic:<name>` / `subscription:<name>` created by this run. */
  created: string[];
  /** `subscription:<name> (field, …)`: existing subscriptions brought back to the declared settings. */
  updated: string[];
  /** What could not be converged, and why (e.g. the emulator refuses to update an expiration policy). */
  unconverged: string[];
}

const ALREADY_EXISTS = 6;
/** Each admin call has a deadline: a stalled connection fails the run instead of hanging it. */
const CALL_TIMEOUT_MS = 30_000;
const gaxOpts = { timeout: CALL_TIMEOUT_MS };

function isAlreadyExists(e: unknown): boolean {
  return (e as { code?: number })?.code === ALREADY_EXISTS;
}

interface Duration {
  seconds: number;
}

/** The settings a subscription must have: exactly what terraform/modules/pubsub declares. */
export interface DesiredSubscription {
  name: string;
  topic: string;
  pushConfig?: { pushEndpoint: string; oidcToken?: { serviceAccountEmail: string; audience: string } };
  ackDeadlineSeconds: number;
  messageRetentionDuration: Duration;
  retainAckedMessages?: boolean;
  retryPolicy?: { minimumBackoff: Duration; maximumBackoff: Duration };
  deadLetterPolicy?: { deadLetterTopic: string; maxDeliveryAttempts: number };
  /** `{}` = no ttl = never expires. Left out, Pub/Sub applies its default: delete after 31 days without activity. */
  expirationPolicy: Record<string, never>;
}

/** The subscription settings the topology declares for the given consumers, main + retry push and DLQ hold. */
export function desiredSubscriptions(project: string, options: ProvisionOptions): DesiredSubscription[] {
  const consumers = options.consumers ?? CONSUMERS;
  const nativeRetry = options.nativeRetry ?? NATIVE_RETRY_POLICY;
  const out: DesiredSubscription[] = [];
  for (const c of consumers) {
    const base = options.endpoints[c.service];
    if (!base) throw new Error(`provision: no endpoint given for service "${c.service}" (consumer of ${c.topic})`);
    const pushConfig = {
      pushEndpoint: new URL(c.path, base).toString(),
      ...(options.pushServiceAccount
        ? { oidcToken: { serviceAccountEmail: options.pushServiceAccount, audience: new URL(base).origin } }
        : {}),
    };
    const deadLetterTopic = `projects/${project}/topics/${c.deadLetterTopic}`;
    const push = {
      pushConfig,
      ackDeadlineSeconds: c.ackDeadlineSeconds,
      messageRetentionDuration: { seconds: SUBSCRIPTION_MESSAGE_RETENTION_SECONDS },
      retryPolicy: {
        minimumBackoff: { seconds: nativeRetry.minimumBackoffSeconds },
        maximumBackoff: { seconds: nativeRetry.maximumBackoffSeconds },
      },
      expirationPolicy: {},
    };
    out.push(
      { name: c.subscription, topic: c.topic, ...push, deadLetterPolicy: { deadLetterTopic, maxDeliveryAttempts: MAIN_MAX_DELIVERY_ATTEMPTS } },
      { name: c.retrySubscription, topic: c.retryTopic, ...push, deadLetterPolicy: { deadLetterTopic, maxDeliveryAttempts: RETRY_MAX_DELIVERY_ATTEMPTS } },
      // Pull subscription on the DLQ: a topic without a subscription drops messages. It must never expire:
      // a quiet one (nothing dead-lettered for a month) would otherwise be deleted with what it holds.
      {
        name: c.deadLetterSubscription,
        topic: c.deadLetterTopic,
        ackDeadlineSeconds: DEAD_LETTER_HOLD.ackDeadlineSeconds,
        retainAckedMessages: false,
        messageRetentionDuration: { seconds: DEAD_LETTER_HOLD.messageRetentionSeconds },
        expirationPolicy: {},
      },
    );
  }
  return out;
}

// --- comparing what a subscription has with what it should have -------------------------------------------

type Json = Record<string, unknown> | null | undefined;

const seconds = (d: unknown): number | null => {
  if (!d || typeof d !== 'object') return null;
  const { seconds: s, nanos } = d as { seconds?: unknown; nanos?: unknown };
  return Number(s ?? 0) + Number(nanos ?? 0) / 1e9;
};

function samePush(current: Json, desired: DesiredSubscription['pushConfig']): boolean {
  const endpoint = (current?.pushEndpoint as string | undefined) || undefined;
  if (endpoint !== desired?.pushEndpoint) return false;
  const oidc = current?.oidcToken as { serviceAccountEmail?: string; audience?: string } | null | undefined;
  const want = desired?.oidcToken;
  return (oidc?.serviceAccountEmail || undefined) === want?.serviceAccountEmail && (oidc?.audience || undefined) === want?.audience;
}

function sameRetry(current: Json, desired: DesiredSubscription['retryPolicy']): boolean {
  if (!desired) return !current;
  return seconds(current?.minimumBackoff) === desired.minimumBackoff.seconds && seconds(current?.maximumBackoff) === desired.maximumBackoff.seconds;
}

function sameDeadLetter(current: Json, desired: DesiredSubscription['deadLetterPolicy']): boolean {
  if (!desired) return !current?.deadLetterTopic;
  return current?.deadLetterTopic === desired.deadLetterTopic && Number(current?.maxDeliveryAttempts) === desired.maxDeliveryAttempts;
}

/**
 * "Never expires" reads back as an expiration policy without a ttl. A missing policy is drift: Pub/Sub then
 * applies its 31-day default (the emulator shows it as null instead of the 31 days).
 */
function neverExpires(current: Json): boolean {
  return !!current && !seconds(current.ttl);
}

/** The fields of `desired` that `current` (a getMetadata result) does not match. */
export function subscriptionDrift(current: Record<string, unknown>, desired: DesiredSubscription): Array<keyof DesiredSubscription> {
  const drift: Array<keyof DesiredSubscription> = [];
  if (!samePush(current.pushConfig as Json, desired.pushConfig)) drift.push('pushConfig');
  if (Number(current.ackDeadlineSeconds) !== desired.ackDeadlineSeconds) drift.push('ackDeadlineSeconds');
  if (seconds(current.messageRetentionDuration) !== desired.messageRetentionDuration.seconds) drift.push('messageRetentionDuration');
  if (desired.retainAckedMessages !== undefined && Boolean(current.retainAckedMessages) !== desired.retainAckedMessages) drift.push('retainAckedMessages');
  if (!sameRetry(current.retryPolicy as Json, desired.retryPolicy)) drift.push('retryPolicy');
  if (!sameDeadLetter(current.deadLetterPolicy as Json, desired.deadLetterPolicy)) drift.push('deadLetterPolicy');
  if (!neverExpires(current.expirationPolicy as Json)) drift.push('expirationPolicy');
  return drift;
}

/** The emulator refuses `UpdateSubscription` on expiration_policy ("currently unsupported in the Pub/Sub Emulator"). */
function isEmulatorExpirationRefusal(e: unknown): boolean {
  return (e as { code?: number })?.code === 3 && /expiration_policy.*unsupported in the Pub\/Sub Emulator/i.test(String((e as Error)?.message));
}

/**
 * Creates the topology and converges it: missing topics and subscriptions are created; an existing
 * subscription is read back and every declared setting that differs (push endpoint and OIDC identity, ack
 * deadline, retention, retry policy, dead-letter policy, expiration) is updated, field by field. Re-running
 * after a hand edit, a URL change or an older version's defaults puts it back to what Terraform declares.
 */
export async function provisionTopology(pubsub: PubSub, options: ProvisionOptions): Promise<ProvisionResult> {
  const log = getLogger();
  const result: ProvisionResult = { created: [], updated: [], unconverged: [] };
  const consumers = options.consumers ?? CONSUMERS;
  const project = (await pubsub.getClientConfig(), pubsub.projectId);
  const desired = desiredSubscriptions(project, options);

  const topics = new Set(allTopics().filter((t) => consumers.some((c) => [c.topic, c.retryTopic, c.deadLetterTopic].includes(t as never))));
  for (const name of topics) {
    try {
      await pubsub.createTopic(name, gaxOpts);
      result.created.push(`topic:${name}`);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  }

  for (const want of desired) {
    const { name, topic, ...settings } = want;
    try {
      await pubsub.topic(topic).createSubscription(name, { ...settings, gaxOpts });
      result.created.push(`subscription:${name}`);
      continue;
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    const subscription = pubsub.subscription(name);
    const [current] = await subscription.getMetadata(gaxOpts);
    const currentTopic = String(current.topic ?? '');
    if (currentTopic !== `projects/${project}/topics/${topic}`) {
      // A subscription's topic cannot be changed: only deleting it (and what it holds) would.
      result.unconverged.push(`subscription:${name}: on ${currentTopic}, declared on ${topic} (delete and re-run to fix)`);
      continue;
    }
    const drift = subscriptionDrift(current as Record<string, unknown>, want);
    if (drift.length === 0) continue;
    const update = (fields: Array<keyof DesiredSubscription>) =>
      // An absent push config means pull: sent as an empty one, which is how the API turns push off.
      subscription.setMetadata(Object.fromEntries(fields.map((f) => [f, f === 'pushConfig' ? (want.pushConfig ?? {}) : want[f]])) as never, gaxOpts);
    try {
      await update(drift);
    } catch (e) {
      if (!isEmulatorExpirationRefusal(e)) throw e;
      const rest = drift.filter((f) => f !== 'expirationPolicy');
      if (rest.length > 0) await update(rest);
      result.unconverged.push(`subscription:${name}: expirationPolicy (the emulator cannot update it; Pub/Sub can)`);
      if (rest.length === 0) continue;
      result.updated.push(`subscription:${name} (${rest.join(', ')})`);
      continue;
    }
    result.updated.push(`subscription:${name} (${drift.join(', ')})`);
  }
  for (const u of result.unconverged) log.warn('topology setting not converged', { what: u });
  log.info('topology provisioned', { project, created: result.created.length, updated: result.updated.length, unconverged: result.unconverged.length });
  return result;
}
