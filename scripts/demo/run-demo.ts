/**
 * Replays the scripted demo live through the running stack: comments in signed Meta webhooks, paced like a live;
 * buyers answering and paying through the stand-ins; the worker's jobs called on an interval (locally there is
 * no Cloud Scheduler); a progress line; then the summary, read back from the stores and stand-ins.
 */
import { signMetaBody } from '../../services/ingress/providers/meta-signature.js';
import type { Order } from '../../services/worker/orders/order-model.js';
import { WORKER_JOBS } from '../../services/worker/app.js';
import { DemoBuyers } from './demo-buyers.js';
import { DEMO, type DemoStack } from './demo-stack.js';
import { collectSummary, type DemoSummary } from './demo-summary.js';
import { loadScript, scriptLive, type ScriptedComment, type ScriptedLive } from './scripted-live.js';

export interface ReplayOptions {
  comments: number;
  /** How long Meta takes to deliver all the comments (the live's length, compressed). */
  durationMs: number;
  /** The worker's jobs are called this often. */
  jobsIntervalMs: number;
  /** Longest wait for the pipeline to settle after the last comment (then the summary shows what is still open). */
  settleTimeoutMs: number;
  /** How long a buyer takes to pay once their link exists. */
  buyerThinkMs: number;
  say: (line: string) => void;
  /** Progress as one rewritten line (a terminal) or a line every few seconds (a log). */
  progress: 'line' | 'log' | 'off';
  signal?: AbortSignal;
}

export interface ReplayResult {
  scripted: ScriptedLive;
  /** comment id → scripted comment. */
  ids: Map<string, ScriptedComment>;
  summary: DemoSummary;
  settled: boolean;
  elapsedMs: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const onAbort = () => (clearTimeout(t), resolve());
    const t = setTimeout(() => (signal?.removeEventListener('abort', onAbort), resolve()), Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Calls the worker's Scheduler jobs on an interval until stopped; a slow run is never overlapped by the next. */
export function startJobTicker(workerUrl: string, intervalMs: number): { stop(): void; runOnce(name: string): Promise<unknown> } {
  const runOnce = async (name: string) => {
    const job = WORKER_JOBS.find((j) => j.name === name)!;
    const res = await fetch(`${workerUrl}${job.path}`, { method: 'POST', signal: AbortSignal.timeout(20_000) });
    return res.json().catch(() => null);
  };
  let tick = 0;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    tick++;
    // Expiry every tick (Scheduler: every minute), reconciliation every 5th, live metrics every 3rd.
    const names = ['expire-reservations', ...(tick % 5 === 0 ? ['reconcile-payments'] : []), ...(tick % 3 === 0 ? ['record-live-metrics'] : [])];
    void Promise.all(names.map((n) => runOnce(n).catch(() => null))).finally(() => (busy = false));
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer), runOnce };
}

const OPEN: Order['status'][] = ['queued', 'releasing', 'retaking', 'pending_payment'];

export async function replayScriptedLive(stack: DemoStack, o: ReplayOptions, liveScriptFile = 'data/demo-live-script.json'): Promise<ReplayResult> {
  const started = Date.now();
  const { graph, bq, firestore, live, ingressUrl } = stack;
  const scripted = scriptLive(loadScript(liveScriptFile), live, o.comments, o.durationMs);
  const tag = Date.now().toString(36);
  const ids = new Map<string, ScriptedComment>();
  const idOf = (c: ScriptedComment) => `${DEMO.postId}_${tag}${String(c.index).padStart(4, '0')}`;
  for (const c of scripted.comments) ids.set(idOf(c), c);
  const videoId = DEMO.postId.split('_')[1]!;
  graph.setLiveVideo(DEMO.pageId, { id: DEMO.liveVideoId, video_id: videoId, status: 'LIVE', live_views: 12, title: live.title ?? 'Live', broadcast_start_time: new Date().toISOString() });

  const jobs = startJobTicker(stack.workerUrl, o.jobsIntervalMs);
  const buyers = new DemoBuyers(stack, scripted.behaviours, ids, o.buyerThinkMs);
  let sent = 0;
  let orders: Order[] = [];
  const aborted = () => o.signal?.aborted === true;

  // Buyers and progress run beside the sender.
  let looping = true;
  const buyerLoop = (async () => {
    while (looping && !aborted()) {
      await buyers.tick().catch(() => undefined);
      await sleep(300, o.signal);
    }
  })();
  const progressLine = () => {
    const intents = bq.rows('intents').filter((r) => r.live_id === live.live_id);
    const count = (s: Order['status']) => orders.filter((x) => x.status === s).length;
    return `  comments ${sent}/${o.comments} · intents ${intents.length} (purchase ${intents.filter((r) => r.intent === 'purchase').length}) · orders ${orders.length} (reserved ${count('pending_payment')}, waitlisted ${count('waitlisted')}) · replies ${graph.replies.length} · paid ${count('paid')} failed ${count('failed')} expired ${count('expired')} · ${((Date.now() - started) / 1000).toFixed(0)} s`;
  };
  let lastLog = 0;
  const refresh = async () => {
    orders = (await firestore.collection('orders').where('live_key', '==', `${DEMO.tienda}/${live.live_id}`).get()).docs.map((d) => d.data() as Order);
    if (o.progress === 'line') process.stdout.write(`\r\x1b[2K${progressLine()}`);
    else if (o.progress === 'log' && Date.now() - lastLog > 5000) ((lastLog = Date.now()), o.say(progressLine()));
  };
  const progressLoop = (async () => {
    while (looping && !aborted()) {
      await refresh().catch(() => undefined);
      await sleep(700, o.signal);
    }
  })();

  try {
    // 1. Meta delivers the comments in small batches, as a live's comments arrive.
    const slots = new Map<number, ScriptedComment[]>();
    for (const c of scripted.comments) {
      const slot = Math.floor(c.atMs / 250) * 250;
      slots.set(slot, [...(slots.get(slot) ?? []), c]);
    }
    const t0 = Date.now();
    for (const [slot, batch] of [...slots.entries()].sort((a, b) => a[0] - b[0])) {
      if (aborted()) break;
      await sleep(t0 + slot - Date.now(), o.signal);
      const now = Math.floor(Date.now() / 1000);
      const changes = batch.map((c) => ({
        field: 'feed',
        value: { from: { id: c.authorId, name: c.author }, item: 'comment', verb: 'add', comment_id: idOf(c), post_id: DEMO.postId, parent_id: DEMO.postId, created_time: now, message: c.text },
      }));
      const raw = JSON.stringify({ object: 'page', entry: [{ id: DEMO.pageId, time: now, changes }] });
      const res = await fetch(`${ingressUrl}/webhooks/meta`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(raw, DEMO.metaAppSecret) }, body: raw, signal: AbortSignal.timeout(30_000) });
      if (res.status !== 200) o.say(`\n  POST /webhooks/meta → ${res.status} ${await res.text()}`);
      sent += batch.length;
      graph.setLiveVideo(DEMO.pageId, { id: DEMO.liveVideoId, video_id: videoId, status: 'LIVE', live_views: 12 + Math.round(sent * 0.6), title: live.title ?? 'Live' });
    }

    // 2. Wait until every comment is decided, every reservation is paid, refused or expired, and nothing moves.
    const until = Date.now() + o.settleTimeoutMs;
    let settled = false;
    let lastSig = '';
    let stableSince = Date.now();
    while (!aborted() && Date.now() < until) {
      await sleep(500, o.signal);
      const decided = new Set(bq.rows('intents').map((r) => r.comment_id));
      const snapshot = (await firestore.collection('orders').where('live_key', '==', `${DEMO.tienda}/${live.live_id}`).get()).docs.map((d) => d.data() as Order);
      const sig = `${graph.replies.length}/${graph.threadMessages.length}/${snapshot.map((x) => x.status[0]).join('')}`;
      if (sig !== lastSig) ((lastSig = sig), (stableSince = Date.now()));
      const quiet = [...ids.keys()].every((id) => decided.has(id)) && snapshot.every((x) => !OPEN.includes(x.status) && !x.delivery_pending);
      if (quiet && Date.now() - stableSince >= 1500) {
        settled = true;
        break;
      }
    }
    // One last metrics read while on air, then the broadcast ends.
    await jobs.runOnce('record-live-metrics').catch(() => null);
    graph.setLiveVideo(DEMO.pageId, { id: DEMO.liveVideoId, video_id: videoId, status: 'LIVE_STOPPED', live_views: 0, title: live.title ?? 'Live' });
    looping = false;
    await Promise.all([buyerLoop, progressLoop]);
    if (o.progress === 'line') process.stdout.write(`\r\x1b[2K${progressLine()}\n`);
    else if (o.progress === 'log') o.say(progressLine());
    return { scripted, ids, summary: await collectSummary(stack), settled, elapsedMs: Date.now() - started };
  } finally {
    looping = false;
    jobs.stop();
  }
}
