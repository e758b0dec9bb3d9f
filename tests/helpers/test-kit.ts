import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type Koa from 'koa';
import { PubSub, type Message } from '@google-cloud/pubsub';
import { Firestore } from '@google-cloud/firestore';
import { createPublisher, type Publisher } from '../../shared/pubsub/publisher.js';

/** A project id of its own per test file: emulator resources keep their real names and never collide. */
export function uniqueProjectId(prefix = 't'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export function emulatorClients(projectId = uniqueProjectId()) {
  return {
    projectId,
    pubsub: new PubSub({ projectId }),
    firestore: new Firestore({ projectId }),
  };
}

/**
 * Listens on a free port. `close()` first lets in-flight requests finish (up to 5 s): a push still being
 * handled when the test tears down its clients would otherwise fail on a terminated client.
 */
export async function listen(app: Koa, port = 0): Promise<{ url: string; port: number; server: Server; close(): Promise<void> }> {
  let inFlight = 0;
  return new Promise((resolve) => {
    const server = app.listen(port, '127.0.0.1', () => {
      const { port: p } = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${p}`,
        port: p,
        server,
        close: async () => {
          const closed = new Promise<void>((r) => server.close(() => r()));
          server.closeIdleConnections();
          const deadline = Date.now() + 5000;
          while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
          server.closeAllConnections();
          await closed;
        },
      });
    });
    server.on('request', (_req, res) => {
      inFlight++;
      res.once('close', () => inFlight--);
    });
  });
}

export interface CollectedMessage {
  id: string;
  data: Buffer;
  attributes: Record<string, string>;
  json<T = unknown>(): T;
}

/** Streams a pull subscription into an array (acking each), for asserting what reached a topic. */
export function collect(pubsub: PubSub, subscription: string) {
  const messages: CollectedMessage[] = [];
  const sub = pubsub.subscription(subscription, { flowControl: { maxMessages: 100 } });
  sub.on('message', (m: Message) => {
    messages.push({
      id: m.id,
      data: m.data,
      attributes: { ...m.attributes },
      json: <T>() => JSON.parse(m.data.toString('utf8')) as T,
    });
    m.ack();
  });
  sub.on('error', () => undefined);
  return {
    messages,
    async waitFor(count: number, timeoutMs = 30_000): Promise<CollectedMessage[]> {
      await waitUntil(() => messages.length >= count, timeoutMs, `${count} message(s) on ${subscription} (got ${messages.length})`);
      return messages;
    },
    async close() {
      sub.removeAllListeners('message');
      await sub.close();
    },
  };
}

export async function createPullSubscription(pubsub: PubSub, topic: string, name: string): Promise<void> {
  try {
    await pubsub.createTopic(topic);
  } catch (e) {
    if ((e as { code?: number }).code !== 6) throw e;
  }
  try {
    await pubsub.topic(topic).createSubscription(name);
  } catch (e) {
    if ((e as { code?: number }).code !== 6) throw e;
  }
}

export async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A Pub/Sub client that cannot reach anything (simulated outage) and a publisher on it. */
export function unreachablePublisher(timeoutMs = 1500): { pubsub: PubSub; publisher: Publisher } {
  const prev = process.env.PUBSUB_EMULATOR_HOST;
  process.env.PUBSUB_EMULATOR_HOST = '127.0.0.1:9';
  const pubsub = new PubSub({ projectId: 'unreachable' });
  process.env.PUBSUB_EMULATOR_HOST = prev;
  return { pubsub, publisher: createPublisher(pubsub, { timeoutMs }) };
}

/** A Firestore client that cannot reach anything (simulated outage). */
export function unreachableFirestore(): Firestore {
  const prev = process.env.FIRESTORE_EMULATOR_HOST;
  process.env.FIRESTORE_EMULATOR_HOST = '127.0.0.1:9';
  const fs = new Firestore({ projectId: 'unreachable' });
  process.env.FIRESTORE_EMULATOR_HOST = prev;
  return fs;
}

