import { afterAll, describe, expect, it } from 'vitest';
import { desiredSubscriptions, provisionTopology, subscriptionDrift, type ProvisionOptions } from '../../shared/topology/provision-topology.js';
import {
  consumerFor,
  DEAD_LETTER_HOLD,
  MAIN_MAX_DELIVERY_ATTEMPTS,
  NATIVE_RETRY_POLICY,
  RETRY_MAX_DELIVERY_ATTEMPTS,
  SUBSCRIPTION_MESSAGE_RETENTION_SECONDS,
  TOPIC_NAMES,
} from '../../shared/topology/topology.js';
import { emulatorClients } from '../helpers/test-kit.js';

/**
 * `npm run provision` converges: what Terraform declares (terraform/modules/pubsub/main.tf) is what every
 * subscription has after a run, whether it was missing, created by an older version, or changed by hand.
 * Read back with getMetadata on the emulator.
 *
 * What the emulator hides (checked here where it matters):
 * - a subscription created without an expiration policy reads back `expirationPolicy: null`, where Pub/Sub
 *   shows (and applies) its 31-day default; one created with `{}` reads back `{ ttl: null }` (never);
 * - it refuses to UPDATE expiration_policy ("currently unsupported in the Pub/Sub Emulator"), so on the
 *   emulator an existing subscription's expiration can only be reported, not converged;
 * - it stores push config (endpoint, OIDC identity), ack deadline, retention, retry and dead-letter policies
 *   and returns them as set, but never expires anything nor signs push requests.
 */
const consumer = consumerFor(TOPIC_NAMES.notificationDelivery);
const base = 'http://127.0.0.1:8083';

describe('npm run provision converges to the declared topology', () => {
  const { pubsub, projectId } = emulatorClients();
  const options: ProvisionOptions = { endpoints: { notifier: base }, consumers: [consumer] };
  const meta = async (name: string) => (await pubsub.subscription(name).getMetadata())[0];
  afterAll(() => pubsub.close());

  it('creates every subscription with the declared settings, never expiring', async () => {
    const first = await provisionTopology(pubsub, options);
    expect(first.created).toContain(`subscription:${consumer.deadLetterSubscription}`);
    for (const [name, attempts] of [
      [consumer.subscription, MAIN_MAX_DELIVERY_ATTEMPTS],
      [consumer.retrySubscription, RETRY_MAX_DELIVERY_ATTEMPTS],
    ] as const) {
      const m = await meta(name);
      expect(m.pushConfig?.pushEndpoint).toBe(`${base}${consumer.path}`);
      expect(m.ackDeadlineSeconds).toBe(consumer.ackDeadlineSeconds);
      expect(Number(m.messageRetentionDuration?.seconds)).toBe(SUBSCRIPTION_MESSAGE_RETENTION_SECONDS);
      expect(Number(m.retryPolicy?.minimumBackoff?.seconds)).toBe(NATIVE_RETRY_POLICY.minimumBackoffSeconds);
      expect(Number(m.retryPolicy?.maximumBackoff?.seconds)).toBe(NATIVE_RETRY_POLICY.maximumBackoffSeconds);
      expect(m.deadLetterPolicy).toEqual({ deadLetterTopic: `projects/${projectId}/topics/${consumer.deadLetterTopic}`, maxDeliveryAttempts: attempts });
      expect(m.expirationPolicy).toEqual({ ttl: null });
    }
    const hold = await meta(consumer.deadLetterSubscription);
    expect(hold.ackDeadlineSeconds).toBe(DEAD_LETTER_HOLD.ackDeadlineSeconds);
    expect(Number(hold.messageRetentionDuration?.seconds)).toBe(DEAD_LETTER_HOLD.messageRetentionSeconds);
    // The hold subscription must never expire: a quiet DLQ would otherwise be deleted with what it holds.
    expect(hold.expirationPolicy).toEqual({ ttl: null });
    expect(hold.pushConfig?.pushEndpoint || '').toBe('');

    const again = await provisionTopology(pubsub, options);
    expect(again).toEqual({ created: [], updated: [], unconverged: [] });
  });

  it('puts back every setting changed by hand on existing subscriptions', async () => {
    await pubsub.subscription(consumer.subscription).setMetadata({
      ackDeadlineSeconds: 99,
      messageRetentionDuration: { seconds: 700 },
      retryPolicy: { minimumBackoff: { seconds: 1 }, maximumBackoff: { seconds: 2 } },
      deadLetterPolicy: { deadLetterTopic: `projects/${projectId}/topics/${consumer.deadLetterTopic}`, maxDeliveryAttempts: 5 },
      pushConfig: { pushEndpoint: 'http://127.0.0.1:9/elsewhere' },
    } as never);
    await pubsub.subscription(consumer.retrySubscription).setMetadata({
      pushConfig: { pushEndpoint: `${base}${consumer.path}`, oidcToken: { serviceAccountEmail: 'someone@x.iam.gserviceaccount.com', audience: base } },
    } as never);
    await pubsub.subscription(consumer.deadLetterSubscription).setMetadata({ ackDeadlineSeconds: 10, messageRetentionDuration: { seconds: 600 } } as never);

    const run = await provisionTopology(pubsub, options);
    expect(run.unconverged).toEqual([]);
    expect(run.updated.sort()).toEqual(
      [
        `subscription:${consumer.subscription} (pushConfig, ackDeadlineSeconds, messageRetentionDuration, retryPolicy, deadLetterPolicy)`,
        `subscription:${consumer.retrySubscription} (pushConfig)`,
        `subscription:${consumer.deadLetterSubscription} (ackDeadlineSeconds, messageRetentionDuration)`,
      ].sort(),
    );
    for (const want of desiredSubscriptions(projectId, options)) expect(subscriptionDrift((await meta(want.name)) as never, want), want.name).toEqual([]);
    expect((await meta(consumer.retrySubscription)).pushConfig?.oidcToken ?? null).toBeNull();
    expect(await provisionTopology(pubsub, options)).toEqual({ created: [], updated: [], unconverged: [] });
  });

  it('sets the push identity when one is given, and reports what the emulator cannot converge', async () => {
    const other = consumerFor(TOPIC_NAMES.aiProcessing);
    // A hold subscription as an older `npm run provision` made it: no expiration policy (Pub/Sub: 31 days).
    await pubsub.createTopic(other.deadLetterTopic);
    await pubsub.topic(other.deadLetterTopic).createSubscription(other.deadLetterSubscription, { ackDeadlineSeconds: 60 });
    expect((await meta(other.deadLetterSubscription)).expirationPolicy).toBeNull();

    const withAccount = { endpoints: { worker: base }, consumers: [other], pushServiceAccount: 'lss-pubsub-push@p.iam.gserviceaccount.com' };
    const run = await provisionTopology(pubsub, withAccount);
    expect(run.unconverged).toEqual([`subscription:${other.deadLetterSubscription}: expirationPolicy (the emulator cannot update it; Pub/Sub can)`]);
    expect((await meta(other.subscription)).pushConfig?.oidcToken).toEqual({ serviceAccountEmail: withAccount.pushServiceAccount, audience: base });
  });
});

describe('subscriptionDrift on what Pub/Sub itself returns', () => {
  const [main, , hold] = desiredSubscriptions('p', { endpoints: { notifier: base }, consumers: [consumer] });
  const asPubSubShowsIt = (d: typeof main, expirationPolicy: unknown) => ({
    topic: `projects/p/topics/${d!.topic}`,
    pushConfig: d!.pushConfig ? { pushEndpoint: d!.pushConfig.pushEndpoint, attributes: {} } : { pushEndpoint: '', attributes: {} },
    ackDeadlineSeconds: d!.ackDeadlineSeconds,
    messageRetentionDuration: { seconds: String(d!.messageRetentionDuration.seconds), nanos: 0 },
    retainAckedMessages: false,
    retryPolicy: d!.retryPolicy
      ? { minimumBackoff: { seconds: String(d!.retryPolicy.minimumBackoff.seconds), nanos: 0 }, maximumBackoff: { seconds: String(d!.retryPolicy.maximumBackoff.seconds), nanos: 0 } }
      : null,
    deadLetterPolicy: d!.deadLetterPolicy ?? null,
    expirationPolicy,
  });

  it('sees the 31-day default expiration as drift, and no ttl as "never"', () => {
    expect(subscriptionDrift(asPubSubShowsIt(hold, { ttl: { seconds: '2678400', nanos: 0 } }), hold!)).toEqual(['expirationPolicy']);
    expect(subscriptionDrift(asPubSubShowsIt(hold, { ttl: null }), hold!)).toEqual([]);
    expect(subscriptionDrift(asPubSubShowsIt(main, { ttl: { seconds: '2678400', nanos: 0 } }), main!)).toEqual(['expirationPolicy']);
    expect(subscriptionDrift(asPubSubShowsIt(main, { ttl: null }), main!)).toEqual([]);
  });
});
