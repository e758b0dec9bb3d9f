import { spawn, execFile } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { Order } from '../../services/worker/orders/order-model.js';
import { DEMO, startDemoStack, type DemoStack } from '../../scripts/demo/demo-stack.js';
import { formatSummary } from '../../scripts/demo/demo-summary.js';
import { replayScriptedLive, type ReplayResult } from '../../scripts/demo/run-demo.js';
import { assertPortFree } from '../../scripts/lib/cli-env.js';
import { traceComment } from '../../scripts/lib/comment-trace.js';
import { freePort } from '../../scripts/lib/emulators.js';
import { uniqueProjectId } from '../helpers/test-kit.js';

const run = promisify(execFile);
const TSX = path.join('node_modules', '.bin', 'tsx');

/**
 * `npm start`'s scripted live, shortened (60 comments): the same stack and replay as the command, in this process
 * so the invariants can be checked against the stand-ins and the stores themselves.
 */
describe('npm start: a shortened scripted live', () => {
  const stops: Array<() => Promise<unknown>> = [];
  let stack: DemoStack;
  let result: ReplayResult;
  afterAll(async () => {
    for (const s of stops.reverse()) await Promise.race([s().catch(() => undefined), new Promise((r) => setTimeout(r, 3000))]);
  });

  it('settles, and its summary agrees with what the stand-ins and the stores saw', async () => {
    const [ingressPort, workerPort, notifierPort] = [await freePort(), await freePort(), await freePort()];
    stack = await startDemoStack(
      { projectId: uniqueProjectId('start'), ingressPort, workerPort, notifierPort, logLevel: 'ERROR', retrySchedule: '1s,2s,4s', reservationTtl: '6s', liveFile: 'data/demo-live.json' },
      stops,
    );
    result = await replayScriptedLive(stack, { comments: 60, durationMs: 4000, jobsIntervalMs: 1000, settleTimeoutMs: 70_000, buyerThinkMs: 500, say: () => undefined, progress: 'off' });
    const s = result.summary;
    expect(result.settled).toBe(true);

    // Every comment went through: the BigQuery stand-in holds one comment and one intent row each.
    expect(s.funnel.comments).toBe(60);
    expect(s.funnel.classified).toBe(60);

    // Replies received by the Graph stand-in = replies in the summary = private replies the notifier recorded as sent.
    expect(s.replies).toBe(stack.graph.replies.length);
    const sentPrivate = stack.bq.rows('notifications').filter((r) => r.channel === 'private_reply' && r.status === 'sent');
    expect(new Set(sentPrivate.map((r) => r.comment_id)).size).toBe(stack.graph.replies.length);
    expect(s.replies).toBeGreaterThan(0);

    // paid ≤ links ≤ purchase intents, from independent sources.
    const orders = (await stack.firestore.collection('orders').where('live_key', '==', `${DEMO.tienda}/${stack.live.live_id}`).get()).docs.map((d) => d.data() as Order);
    const paid = orders.filter((o) => o.status === 'paid');
    const links = orders.filter((o) => o.payment);
    expect(paid.length).toBeGreaterThan(0);
    expect(paid.length).toBeLessThanOrEqual(links.length);
    expect(links.length).toBeLessThanOrEqual(s.funnel.purchaseIntents);
    expect(links.length).toBe(stack.mp.preferences.size);
    expect(s.funnel.paid).toBe(paid.length);

    // Revenue = the sum of the paid orders = what the Mercado Pago stand-in approved for them.
    const revenue = paid.reduce((sum, o) => sum + o.total, 0);
    expect(s.revenue).toBe(revenue);
    expect(s.mpApprovedForPaid).toBe(revenue);
    expect(s.funnel.revenue).toBe(revenue);

    // Stock never negative, never above what the catalog declared; the burst's variant sold out.
    expect(s.stock.length).toBeGreaterThan(0);
    for (const u of s.stock) {
      expect(u.available, u.unit).toBeGreaterThanOrEqual(0);
      expect(u.available, u.unit).toBeLessThanOrEqual(u.declared);
    }
    const reserved = orders.filter((o) => o.reserved && o.items.some((i) => i.unit === '101:roja:M')).length;
    expect(reserved).toBeLessThanOrEqual(3);

    // Nothing left half-way, and the latency figures exist.
    expect(orders.filter((o) => ['queued', 'releasing', 'retaking', 'pending_payment'].includes(o.status))).toEqual([]);
    expect(s.latencyP50Ms).not.toBeNull();
    expect(s.latencyP95Ms!).toBeGreaterThanOrEqual(s.latencyP50Ms!);
    expect(formatSummary(s, stack.live).join('\n')).toMatch(/comment → reply\s+p50 [\d.]+ m?s\s+p95 [\d.]+ m?s/);
    // `npm run trace` of a paid comment tells its whole story in order, from the stores alone. (A buyer promoted from
    // the waitlist was told "waitlisted" before their link existed: take one who was reserved at once.)
    const direct = paid.find((o) => !o.promoted) ?? paid[0]!;
    const story = await traceComment(stack.firestore, direct.comment_id);
    expect(story.steps.map((x) => x.step)).toEqual(
      direct.promoted ? ['webhook', 'comment', 'intent', 'order', 'reply', 'link', 'payment'] : ['webhook', 'comment', 'intent', 'order', 'link', 'reply', 'payment'],
    );
    expect(story.steps.every((x) => x.at !== null)).toBe(true);
    // The live-metrics job read the Graph stand-in's live video into live_metrics.
    expect(stack.bq.rows('live_metrics').some((r) => r.video_status === 'LIVE' && Number(r.live_views) > 0)).toBe(true);
  }, 150_000);
});

describe('npm start as a command', () => {
  it('names the setting that moves a taken port', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const out = await run(TSX, ['scripts/start-local.ts', '--once', '--comments', '5'], {
        env: { ...process.env, GOOGLE_CLOUD_PROJECT: uniqueProjectId('start'), INGRESS_PORT: String(taken), WORKER_PORT: String(await freePort()), NOTIFIER_PORT: String(await freePort()) },
        timeout: 60_000,
      }).catch((e: { code: number; stderr: string }) => e);
      expect((out as { code: number }).code).toBe(1);
      expect((out as { stderr: string }).stderr.trim()).toMatch(new RegExp(`^npm start: port ${taken} \\(the ingress\\) is taken by another program: set INGRESS_PORT=`));
    } finally {
      blocker.close();
    }
  });

  it('Ctrl-C stops everything it started, within seconds', async () => {
    const ports = { INGRESS_PORT: await freePort(), WORKER_PORT: await freePort(), NOTIFIER_PORT: await freePort() };
    const child = spawn(TSX, ['scripts/start-local.ts', '--comments', '40', '--seconds', '4'], {
      env: { ...process.env, GOOGLE_CLOUD_PROJECT: uniqueProjectId('start'), ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so Ctrl-C can be sent the way a terminal sends it: to the whole group.
      detached: true,
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const deadline = Date.now() + 60_000;
    while (!/comments [1-9]\d*\/40/.test(out) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
    expect(out).toMatch(/Replaying a scripted live/);
    const t0 = Date.now();
    process.kill(-child.pid!, 'SIGINT');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))]);
    if (code === 'hung') process.kill(-child.pid!, 'SIGKILL');
    // 0 from npm start itself; tsx, in front of it, reports an interrupted run as 130 (128 + SIGINT), like a shell.
    expect([0, 130]).toContain(code);
    expect(out).toMatch(/Stopping everything npm start started/);
    expect(out).not.toMatch(/Error:|unhandled rejection/);
    expect(Date.now() - t0).toBeLessThan(15_000);
    // Its services are gone: every port is free again.
    for (const [setting, port] of Object.entries(ports)) await assertPortFree(port, setting, setting);
  }, 90_000);
});
