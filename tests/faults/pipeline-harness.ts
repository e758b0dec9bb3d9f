import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';
import { PubSub, type Message } from '@google-cloud/pubsub';
import { signMetaBody } from '../../services/ingress/providers/meta-signature.js';
import type { Order } from '../../services/worker/orders/order-model.js';
import { catalogUnits } from '../../services/worker/orders/catalog-stock.js';
import { LiveStore, type LiveInput } from '../../shared/tiendas/live-store.js';
import { TiendaStore } from '../../shared/tiendas/tienda-store.js';
import { DeadLetters } from '../../shared/pubsub/dead-letters.js';
import { provisionTopology } from '../../shared/topology/provision-topology.js';
import { ATTR, CONSUMERS, TOPIC_NAMES, allTopics } from '../../shared/topology/topology.js';
import { freePort, startEmulator, type RunningEmulator } from '../../scripts/lib/emulators.js';
import { startBigQueryFake } from '../fakes/bigquery-fake.js';
import { startGeminiFake } from '../fakes/gemini-fake.js';
import { startMercadoPagoFake } from '../fakes/mercadopago-fake.js';
import { startMetaGraphFake } from '../fakes/meta-graph-fake.js';
import { waitUntil } from '../helpers/test-kit.js';
import { startProviderSwitch } from './provider-switch.js';

/**
 * The whole pipeline for the fault suite, every part a real process on real wires: this file's OWN Pub/Sub and
 * Firestore emulators (never the shared ones: the suite pauses and kills them), the ingress, worker and notifier
 * as child processes (`node --import tsx services/<x>/main.ts`, configured only through their environment, so a
 * SIGKILL is a real crash), and the wire-level stand-ins for Mercado Pago, Gemini, the Graph API and BigQuery in
 * this process. The test process's own Google clients talk to the same emulators.
 */

export const FAULT_TIENDA = 'tienda-faults';
export const PAGE_ID = '100000000000077';
export const LIVE_ID = 'live-faults-1';
export const LIVE_POST = `${PAGE_ID}_900000000000077`;
export const META_APP_SECRET = 'faults-meta-app-secret';
const PAGE_TOKEN = 'faults-page-access-token';
const MP_TOKEN = 'TEST-faults-mp-access-token';
const GEMINI_KEY = 'faults-gemini-key';
/** Every secret value the services are given: none of them may ever appear in a log line. */
export const SECRET_VALUES = [META_APP_SECRET, PAGE_TOKEN, MP_TOKEN, GEMINI_KEY, 'faults-verify-token', 'faults-events-hmac-secret', 'faults-mp-webhook-secret'];

/** A catalog with room for every test's purchases (no waitlist unless a test asks for one). */
export const FAULT_PRODUCTS: LiveInput['products'] = [
  { code: '101', name: 'Polera básica', keywords: ['polera', 'polerita'], price: 9990, variants: { color: ['roja', 'azul', 'negra', 'blanca'], size: ['S', 'M', 'L'] }, stock: 400 },
  { code: '102', name: 'Jeans mom fit', keywords: ['jeans', 'jean'], price: 24990, variants: { size: ['36', '38', '40'] }, stock: 400 },
];

export type ServiceName = 'ingress' | 'worker' | 'notifier';

export class ChildService {
  child: ChildProcess | null = null;
  private out = '';
  /** Everything every incarnation of this service wrote (stdout and stderr). */
  logs = '';
  readonly url: string;

  constructor(
    readonly name: ServiceName,
    readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    this.out = '';
    const child = spawn(process.execPath, ['--import', 'tsx', `services/${this.name}/main.ts`], {
      env: { ...this.env, PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const take = (b: Buffer) => {
      const s = b.toString('utf8');
      this.out += s;
      this.logs += s;
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    await waitUntil(
      async () => {
        if (child.exitCode !== null) throw new Error(`${this.name} exited ${child.exitCode}:\n${this.out.slice(-3000)}`);
        try {
          return (await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1000) })).ok;
        } catch {
          return false;
        }
      },
      60_000,
      `${this.name} listening on ${this.port}`,
    );
  }

  get alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Ends the process with `signal`; resolves with its exit code and signal once it is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = this.child;
    if (!child || !this.alive) return { code: child?.exitCode ?? null, signal: child?.signalCode ?? null };
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, sig) => r({ code, signal: sig })));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const result = await exited;
    clearTimeout(timer);
    return result;
  }
}

/**
 * The environment a service or CLI process needs to run on these emulators and nothing else: no inherited settings
 * (the test's own environment may point elsewhere), no metadata-server probing, secrets from the environment.
 */
export function emulatorProcessEnv(hosts: { pubsub: string; firestore: string }, projectId: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    METADATA_SERVER_DETECTION: 'none',
    PUBSUB_EMULATOR_HOST: hosts.pubsub,
    FIRESTORE_EMULATOR_HOST: hosts.firestore,
    GOOGLE_CLOUD_PROJECT: projectId,
    SECRETS_SOURCE: 'env',
  };
}

/** The process group of whatever listens on `host` (the emulator's java and its gcloud parent share one). */
function processGroupListeningOn(host: string): number {
  const port = host.split(':')[1];
  const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
  const pid = /pid=(\d+)/.exec(out)?.[1];
  if (!pid) throw new Error(`no process listens on ${host}: ${out}`);
  return Number(execFileSync('ps', ['-o', 'pgid=', '-p', pid], { encoding: 'utf8' }).trim());
}

export interface PipelineOptions {
  /** The push consumers' retry schedule, compressed (default 1s,2s,3s,5s,8s). */
  retrySchedule?: string;
  extraEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  products?: LiveInput['products'];
  /**
   * Only the ingress: its emulators, the topics (no push subscriptions: nothing consumes) and the tienda and live.
   * For tests of what the ingress accepts and publishes (read them with `pullSubscription`); no warm-up comment.
   */
  ingressOnly?: boolean;
  /**
   * Where each service reaches the emulators (default: the emulators themselves). The round-trip bench puts a
   * counting proxy per service in between.
   */
  emulatorHosts?: (hosts: { pubsub: string; firestore: string }) => Promise<Partial<Record<ServiceName, { pubsub: string; firestore: string }>>>;
}

export async function startPipeline(options: PipelineOptions = {}) {
  const projectId = `faults-${randomBytes(4).toString('hex')}`;
  const [pubsubEmu, firestoreEmu] = await Promise.all([startEmulator('pubsub', { projectId }), startEmulator('firestore', { projectId })]);
  const emulators: { pubsub: RunningEmulator; firestore: RunningEmulator } = { pubsub: pubsubEmu, firestore: firestoreEmu };
  // This test process (its own fork) talks only to its own emulators.
  process.env.PUBSUB_EMULATOR_HOST = pubsubEmu.host;
  process.env.FIRESTORE_EMULATOR_HOST = firestoreEmu.host;
  process.env.METADATA_SERVER_DETECTION = 'none';

  const mp = await startMercadoPagoFake({ accessTokens: [MP_TOKEN] });
  const gemini = await startGeminiFake({ apiKey: GEMINI_KEY });
  const bq = await startBigQueryFake({ dataset: 'livestreamsell' });
  const graph = await startMetaGraphFake({ pageTokens: { [PAGE_ID]: PAGE_TOKEN }, appSecret: META_APP_SECRET });
  // Each provider behind a switch the tests turn to down (5xx, 429, hang) and back (provider-switch.ts).
  const switches = {
    gemini: await startProviderSwitch(gemini.url, (f) => gemini.enqueue(f === 'hang' ? { kind: 'hang' } : { kind: 'error', status: f.status })),
    mercadopago: await startProviderSwitch(mp.url, (f) => (f === 'hang' ? mp.delayNext(30_000, 1) : mp.failNext(f.status, 1))),
    graph: await startProviderSwitch(graph.origin, (f) => graph.failNext(f === 'hang' ? 'timeout' : f.status, 1)),
  };
  const [ingressPort, workerPort, notifierPort] = [await freePort(), await freePort(), await freePort()];

  const T = `TIENDA_${FAULT_TIENDA.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  const base: NodeJS.ProcessEnv = {
    ...emulatorProcessEnv({ pubsub: pubsubEmu.host, firestore: firestoreEmu.host }, projectId),
    LOG_LEVEL: 'INFO',
    MERCADOPAGO_API_URL: switches.mercadopago.url,
    GEMINI_API_URL: switches.gemini.url,
    META_GRAPH_URL: `${switches.graph.url}${new URL(graph.url).pathname}`,
    BIGQUERY_API_URL: bq.url,
    PUSH_AUTH_ENABLED: 'false',
    INGRESS_PUBLIC_URL: `http://127.0.0.1:${ingressPort}`,
    RETRY_SCHEDULE: options.retrySchedule ?? '1s,2s,3s,5s,8s',
    META_APP_SECRET,
    META_VERIFY_TOKEN: 'faults-verify-token',
    EVENTS_HMAC_SECRET: 'faults-events-hmac-secret',
    GEMINI_API_KEY: GEMINI_KEY,
    // IDEMPOTENCY_LEASE stays at its default (30 s): the ingress refuses one below the publish deadline plus one
    // Firestore operation (16 s), which would never let a claim's holder publish.
    LLM_TIMEOUT: '2s',
    PROVIDER_TIMEOUT: '2s',
    META_TIMEOUT: '2s',
    ALLOCATION_GATHER: '100ms',
    // A Gemini outage opens its breaker after 5 failures; a short cooldown lets the tests see it close again.
    LLM_BREAKER_COOLDOWN: '3s',
    [`${T}_META_PAGE_TOKEN`]: PAGE_TOKEN,
    [`${T}_MERCADOPAGO_ACCESS_TOKEN`]: MP_TOKEN,
    [`${T}_MERCADOPAGO_WEBHOOK_SECRET`]: 'faults-mp-webhook-secret',
  };
  const routed = (await options.emulatorHosts?.({ pubsub: pubsubEmu.host, firestore: firestoreEmu.host })) ?? {};
  const envOf = (name: ServiceName): NodeJS.ProcessEnv => ({
    ...base,
    ...(routed[name] ? { PUBSUB_EMULATOR_HOST: routed[name].pubsub, FIRESTORE_EMULATOR_HOST: routed[name].firestore } : {}),
    ...options.extraEnv?.[name],
  });
  const services = {
    ingress: new ChildService('ingress', ingressPort, envOf('ingress')),
    worker: new ChildService('worker', workerPort, envOf('worker')),
    notifier: new ChildService('notifier', notifierPort, envOf('notifier')),
  };
  await Promise.all((options.ingressOnly ? [services.ingress] : Object.values(services)).map((s) => s.start()));

  let pubsub = new PubSub({ projectId });
  const firestore = new Firestore({ projectId });
  const provision = async () => {
    if (options.ingressOnly) {
      for (const t of allTopics()) await pubsub.createTopic(t).catch((e: { code?: number }) => { if (e.code !== 6) throw e; });
      return;
    }
    await provisionTopology(pubsub, {
      endpoints: { worker: services.worker.url, notifier: services.notifier.url },
      consumers: CONSUMERS,
      // Pub/Sub's native redelivery after a push that got no answer (a crashed service): 10 attempts
      // (MAIN_MAX_DELIVERY_ATTEMPTS) then the native dead-letter. 2–10 s backoffs give a restarting service
      // (tsx start on a loaded 2-core machine: 10–20 s) about a minute before anything is dead-lettered natively;
      // production's 10–600 s give it hours.
      nativeRetry: { minimumBackoffSeconds: 2, maximumBackoffSeconds: 10 },
    });
  };
  await provision();
  const pump = options.ingressOnly ? null : startRedeliveryPump(() => pubsub);
  const products = options.products ?? FAULT_PRODUCTS;
  await new TiendaStore(firestore).upsert({ id: FAULT_TIENDA, name: 'Tienda de fallas', country: 'CL', currency: 'CLP', payment_provider: 'mercadopago', meta_page_id: PAGE_ID });
  await new LiveStore(firestore).upsert({ tienda_id: FAULT_TIENDA, live_id: LIVE_ID, platform: 'facebook', post_id: LIVE_POST, status: 'live', started_at: '2026-01-01T00:00:00.000Z', title: 'Live de fallas', currency: 'CLP', featured_product: products[0]!.code, products });

  const orderOf = async (commentId: string): Promise<Order[]> =>
    (await firestore.collection('orders').where('comment_id', '==', commentId).get()).docs.map((d) => d.data() as Order);

  const pipeline = {
    projectId,
    emulators,
    services,
    pubsub: () => pubsub,
    firestore,
    mp,
    gemini,
    bq,
    graph,
    switches,
    products,
    provision,
    orderOf,
    async orders(): Promise<Order[]> {
      return (await firestore.collection('orders').get()).docs.map((d) => d.data() as Order);
    },
    /** SIGSTOP / SIGCONT the whole Firestore emulator (requests hang, connections stay open). */
    pauseFirestore() {
      process.kill(-processGroupListeningOn(emulators.firestore.host), 'SIGSTOP');
    },
    resumeFirestore() {
      process.kill(-processGroupListeningOn(emulators.firestore.host), 'SIGCONT');
    },
    /** Kills the Pub/Sub emulator (its state is in memory: topics and subscriptions go with it). */
    async killPubSub() {
      await emulators.pubsub.stop();
    },
    /**
     * Starts a Pub/Sub emulator on the same port and provisions the topology again — the emulator forgets it
     * with its process, where production's topics outlive any outage (Terraform owns them).
     */
    async restartPubSub(): Promise<{ listeningAt: number }> {
      const port = Number(emulators.pubsub.host.split(':')[1]);
      emulators.pubsub = await startEmulator('pubsub', { projectId, port });
      const listeningAt = Date.now();
      await pubsub.close().catch(() => undefined);
      pubsub = new PubSub({ projectId });
      await provision();
      return { listeningAt };
    },
    /** Every unit: available + reserved by orders = declared (nothing lost, nothing counted twice). */
    async stockBalance(): Promise<Array<{ unit: string; declared: number; available: number; reserved: number }>> {
      const snap = await firestore.collection('tiendas').doc(FAULT_TIENDA).collection('lives').doc(LIVE_ID).collection('allocation').doc('stock').get();
      const state = snap.data() as { available: Record<string, number>; declared: Record<string, number> } | undefined;
      const declared = state?.declared ?? catalogUnits(products as Parameters<typeof catalogUnits>[0]);
      const available = state?.available ?? declared;
      const reserved: Record<string, number> = {};
      for (const o of await this.orders()) if (o.reserved) for (const it of o.items) reserved[it.unit] = (reserved[it.unit] ?? 0) + it.quantity;
      return Object.keys(declared).map((unit) => ({ unit, declared: declared[unit]!, available: available[unit] ?? 0, reserved: reserved[unit] ?? 0 }));
    },
    logs(): string {
      return Object.values(services).map((s) => s.logs).join('\n');
    },
    /** Where the pipeline stands (for failure messages): orders and their pending steps, replies, warnings per service. */
    async progress(): Promise<string> {
      const orders = await this.orders();
      const counts = `${orders.length} orders (${orders.filter((o) => o.alloc_pending).length} awaiting allocation, ${orders.filter((o) => !o.payment).length} without link, ${orders.filter((o) => o.delivery_pending).length} awaiting delivery), ${graph.replies.length} replies`;
      const dl = new DeadLetters(pubsub);
      const letters = await Promise.all(CONSUMERS.map(async (c) => `${c.deadLetterTopic} ${(await dl.list(c, 100).catch(() => [])).length}`)).finally(() => dl.close());
      return [counts, `dead letters: ${letters.join(', ')}`, ...Object.values(services).map((s) => `-- ${s.name}${s.alive ? '' : ' (down)'}:\n${logSummary(s.logs)}`)].join('\n');
    },
    /** Pub/Sub's redelivery of every unacknowledged message now (after a service restarted). */
    redeliver: () => pump?.now(),
    async close() {
      pump?.stop();
      for (const s of Object.values(services)) await s.kill('SIGKILL');
      try {
        this.resumeFirestore();
      } catch {
        /* not paused, or gone */
      }
      await Promise.allSettled([pubsub.close(), firestore.terminate()]);
      await Promise.allSettled([...Object.values(switches).map((x) => x.close()), mp.close(), gemini.close(), bq.close(), graph.close()]);
      await Promise.allSettled([emulators.pubsub.stop(), emulators.firestore.stop()]);
    },
  };
  if (options.ingressOnly) return pipeline;
  // Warm up: a fresh emulator answers its first batched writes only after seconds (a first claim past its 5 s
  // deadline, committed later, would hold its keys for a lease). One comment end to end before any test starts.
  const warm = purchaseComments('warmup', 1);
  await deliverLikeMeta(services.ingress.url, warm, Date.now() + 60_000);
  await waitForOutcomes(pipeline, warm, 60_000).catch(async (e) => {
    const logs = pipeline.logs();
    await pipeline.close();
    throw new Error(`the pipeline did not warm up: ${(e as Error).message}\n${logSummary(logs)}\n${logs.split('\n').filter((l) => /"severity":"(WARNING|ERROR)"/.test(l)).slice(0, 5).join('\n')}`);
  });
  return pipeline;
}
export type Pipeline = Awaited<ReturnType<typeof startPipeline>>;

/**
 * Production Pub/Sub redelivers an unacknowledged push message for as long as the subscription keeps it (after
 * the retry policy's backoff, at most 600 s). The emulator does not: after about three failed pushes of a message
 * (at ~1 s, ~2 s, ~6 s) it stops pushing it at all (measured: none in the next 300 s), so a consumer that was down
 * for 10 s, or a retry message answered 429 until its `not_before` 10 s later, would wait for ever. Seeking a
 * subscription to a past time makes its unacknowledged messages deliverable again at once (measured: pushed within
 * ~0.1 s), so this pump does what Pub/Sub's backoff does: the retry subscriptions (whose pushes are answered
 * quickly, 429 or done) every 4 s, the main ones every 30 s (their ack deadline: in production an unanswered push
 * is redelivered after it), and all of them on `now()` after a crashed service is back.
 */
function startRedeliveryPump(pubsub: () => PubSub): { now(): Promise<void>; stop(): void } {
  const seek = async (names: string[]) => {
    const past = new Date(Date.now() - 3600_000);
    await Promise.allSettled(names.map((n) => pubsub().subscription(n).seek(past)));
  };
  const retrySubs = CONSUMERS.map((c) => c.retrySubscription);
  const mainSubs = CONSUMERS.map((c) => c.subscription);
  const fast = setInterval(() => void seek(retrySubs), 4000);
  const slow = setInterval(() => void seek(mainSubs), 30_000);
  return {
    now: () => seek([...mainSubs, ...retrySubs]),
    stop() {
      clearInterval(fast);
      clearInterval(slow);
    },
  };
}

/**
 * Every message the ingress publishes to `incoming_comments` from now on, counted by idempotency key (a pull
 * subscription `name` of the test's own, acked as read).
 */
export async function probePublished(p: Pick<Pipeline, 'pubsub'>, name: string): Promise<{ published: Map<string, number>; close(): Promise<void> }> {
  const published = new Map<string, number>();
  const [sub] = await p.pubsub().topic(TOPIC_NAMES.incomingComments).createSubscription(name, { ackDeadlineSeconds: 60 });
  sub.on('message', (m: Message) => {
    const key = m.attributes[ATTR.idempotencyKey] ?? '?';
    published.set(key, (published.get(key) ?? 0) + 1);
    m.ack();
  });
  return { published, close: () => sub.close().catch(() => undefined) };
}

/** `work`, or its error with where the pipeline stood when it failed. */
export async function withProgress<T>(p: Pick<Pipeline, 'progress'>, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${await p.progress().catch((x: unknown) => String(x))}`, { cause: e });
  }
}

/** The distinct WARNING/ERROR messages a service logged, with counts (for failure messages). */
export function logSummary(logs: string): string {
  const counts = new Map<string, number>();
  for (const line of logs.split('\n')) {
    const m = /"severity":"(WARNING|ERROR|CRITICAL)","message":"([^"]*)"/.exec(line);
    if (m) counts.set(`${m[1]} ${m[2]}`, (counts.get(`${m[1]} ${m[2]}`) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${n}× ${k}`).join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Meta as a sender

export interface Comment {
  id: string;
  author: string;
  text: string;
}

/**
 * Purchase comments the local classifier decides alone; with `uncertainEvery: n`, every n-th one is a shared-size
 * list ("roja y azul M") it is unsure of, which goes to the LLM chain (Gemini).
 */
export function purchaseComments(prefix: string, count: number, options: { uncertainEvery?: number } = {}): Comment[] {
  const colors = ['roja', 'azul', 'negra', 'blanca'];
  const sizes = ['S', 'M', 'L'];
  const every = options.uncertainEvery ?? 0;
  return Array.from({ length: count }, (_, i) => ({
    id: `${LIVE_POST}_${prefix}${i}`,
    author: `buyer-${prefix}-${i}`,
    text:
      every > 0 && i % every === every - 1
        ? `${colors[i % 4]} y ${colors[(i + 1) % 4]} ${sizes[i % 3]}`
        : i % 5 === 4
          ? `quiero el jeans talla ${['36', '38', '40'][i % 3]}`
          : `quiero la polera ${colors[i % 4]} talla ${sizes[i % 3]}`,
  }));
}

export function signedBatch(comments: readonly Comment[]): { body: string; headers: Record<string, string> } {
  const now = Math.floor(Date.now() / 1000);
  const changes = comments.map((c) => ({
    field: 'feed',
    value: { from: { id: c.author, name: `Cliente ${c.author}` }, item: 'comment', verb: 'add', comment_id: c.id, post_id: LIVE_POST, parent_id: LIVE_POST, created_time: now, message: c.text },
  }));
  const body = JSON.stringify({ object: 'page', entry: [{ id: PAGE_ID, time: now, changes }] });
  return { body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(body, META_APP_SECRET) } };
}

export interface Attempt {
  status: number | 'error';
  ms: number;
  at: number;
}

/**
 * Delivers one webhook the way Meta does: anything but 200 (or no answer within its timeout) is sent again,
 * with growing pauses (compressed: 0.5 s doubling to 4 s), until `giveUpAt`.
 */
export async function deliverLikeMeta(ingressUrl: string, comments: readonly Comment[], giveUpAt: number, timeoutMs = 20_000): Promise<Attempt[]> {
  const { body, headers } = signedBatch(comments);
  const attempts: Attempt[] = [];
  let pause = 500;
  while (Date.now() < giveUpAt) {
    const t0 = performance.now();
    let status: number | 'error';
    try {
      const res = await fetch(`${ingressUrl}/webhooks/meta`, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
      await res.arrayBuffer();
      status = res.status;
    } catch {
      status = 'error';
    }
    attempts.push({ status, ms: performance.now() - t0, at: Date.now() });
    if (status === 200) return attempts;
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(pause * 2, 4000);
  }
  return attempts;
}

/** Waits until every comment has one order that is decided and told (no delivery pending) and one private reply. */
export async function waitForOutcomes(p: Pick<Pipeline, 'orders' | 'graph'>, comments: readonly Comment[], timeoutMs: number): Promise<void> {
  const ids = new Set(comments.map((c) => c.id));
  await waitUntil(
    async () => {
      const orders = (await p.orders()).filter((o) => ids.has(o.comment_id));
      const replied = new Set(p.graph.replies.map((r) => r.commentId).filter((id) => ids.has(id)));
      return orders.length >= ids.size && orders.every((o) => !o.delivery_pending && !o.alloc_pending && o.payment) && replied.size >= ids.size;
    },
    timeoutMs,
    `an order, a link and a reply for each of ${ids.size} comments`,
  ).catch(async (e) => {
    const orders = (await p.orders()).filter((o) => ids.has(o.comment_id));
    const replied = new Set(p.graph.replies.map((r) => r.commentId));
    const missing = comments.filter((c) => !orders.some((o) => o.comment_id === c.id) || !replied.has(c.id)).slice(0, 5);
    throw new Error(`${(e as Error).message}: ${orders.length} orders, ${replied.size} replied; e.g. missing ${JSON.stringify(missing)}`);
  });
}

/** What "exactly once" means per comment, as numbers the test asserts. */
export async function outcomeCounts(p: Pipeline, comments: readonly Comment[]) {
  const orders = await p.orders();
  const prefs = [...p.mp.preferences.values()];
  const perComment = comments.map((c) => {
    const mine = orders.filter((o) => o.comment_id === c.id);
    return {
      id: c.id,
      orders: mine.length,
      links: mine.length === 1 ? new Set(prefs.filter((x) => x.external_reference === mine[0]!.order_id).map((x) => x.id)).size : -1,
      replies: p.graph.replies.filter((r) => r.commentId === c.id).length,
    };
  });
  return {
    notExactlyOnce: perComment.filter((x) => x.orders !== 1 || x.links !== 1 || x.replies !== 1),
    orders: perComment.reduce((n, x) => n + x.orders, 0),
  };
}
