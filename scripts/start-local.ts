/**
 * `npm start` — the pipeline on this machine: the Cloud SDK's Pub/Sub and Firestore emulators (unless given),
 * the ingress, worker and notifier, and local stand-ins (the tests' wire-level fakes) for Meta, Mercado Pago,
 * Flow, PayPal, Gemini and BigQuery. It replays a scripted live of a few hundred comments through the signed
 * Meta webhook, with buyers who pay, fail to pay or let their link expire, prints a progress line and a summary
 * read from the stores and stand-ins, then keeps running with ready commands to follow a comment of your own.
 *
 *   npm start -- [--once] [--comments N] [--seconds S]
 */
import { defineConfig, duration, int, port, str, ConfigError } from '../shared/config/define-config.js';
import { DEMO, startDemoStack, type DemoStack } from './demo/demo-stack.js';
import { formatSummary } from './demo/demo-summary.js';
import { replayScriptedLive, startJobTicker, type ReplayResult } from './demo/run-demo.js';
import { formatTrace, traceComment } from './lib/comment-trace.js';
import { CliUsageError, oneLine } from './lib/cli-env.js';
import { checkEmulatorsInstalled, EmulatorsMissingError, startEmulator, type RunningEmulator } from './lib/emulators.js';

/** `npm start`'s own settings; the services it starts validate theirs as in production. */
const startConfig = defineConfig('npm start', {
  projectId: { env: 'GOOGLE_CLOUD_PROJECT', doc: 'Emulator project id.', schema: str().default('demo-livestreamsell') },
  ingressPort: { env: 'INGRESS_PORT', doc: 'Port of the ingress.', schema: port(8080) },
  workerPort: { env: 'WORKER_PORT', doc: 'Port of the worker.', schema: port(8081) },
  notifierPort: { env: 'NOTIFIER_PORT', doc: 'Port of the notifier.', schema: port(8082) },
  logLevel: { env: 'LOG_LEVEL', doc: 'Log level of the services (quiet by default so the report stays readable).', schema: str().default('ERROR') },
  retrySchedule: { env: 'RETRY_SCHEDULE', doc: 'Retry schedule of the push consumers, compressed for a demo.', schema: str().default('1s,2s,4s,8s,15s') },
  reservationTtl: { env: 'RESERVATION_TTL', doc: 'How long a demo reservation waits for its payment (compressed: 30m in production).', schema: str().default('12s') },
  jobsInterval: { env: 'JOBS_INTERVAL', doc: 'How often npm start calls the worker\'s Scheduler jobs (no Cloud Scheduler locally).', schema: duration('2s') },
  settleTimeout: { env: 'DEMO_SETTLE_TIMEOUT', doc: 'Longest wait for the demo to settle after its last comment.', schema: duration('75s') },
  buyerThink: { env: 'DEMO_BUYER_THINK', doc: 'How long a demo buyer takes to pay once the link exists.', schema: duration('1500ms') },
  comments: { env: 'DEMO_COMMENTS', doc: 'Comments in the scripted live (`--comments N`).', schema: int(300, 0, 5000) },
  seconds: { env: 'DEMO_SECONDS', doc: 'Seconds over which Meta delivers them (`--seconds S`).', schema: int(20, 1, 600) },
});

function argValue(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

const say = (line = '') => process.stdout.write(line + '\n');
/** Set by the first Ctrl-C: whatever fails after it (a request to a service being stopped) is part of stopping. */
let stopping = false;

async function main(argv: string[]) {
  const once = argv.includes('--once');
  const settings = startConfig.load({
    ...process.env,
    ...(argValue(argv, '--comments') !== undefined ? { DEMO_COMMENTS: argValue(argv, '--comments') } : {}),
    ...(argValue(argv, '--seconds') !== undefined ? { DEMO_SECONDS: argValue(argv, '--seconds') } : {}),
  });
  const stops: Array<() => Promise<unknown>> = [];
  const abort = new AbortController();
  const stopAll = async () => {
    abort.abort();
    // Each step is bounded (a client waiting on its own retries must not keep the emulators alive).
    for (const s of stops.splice(0).reverse()) await Promise.race([s().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
  };
  // Ctrl-C reaches us twice (from the terminal and relayed by npm/tsx): a second signal must not kill the
  // process half-way and orphan the emulators, so every signal is handled and only the first one acts.
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nStopping everything npm start started…\n');
    void stopAll().then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The services run in this process without their own process guards: background work (the allocator, a push
  // still in flight) that fails because its client was just closed must not turn Ctrl-C into a crash.
  process.on('unhandledRejection', (e) => {
    if (!stopping) console.error(`npm start: unhandled rejection: ${oneLine(e)}`);
  });

  // 1. Emulators (unless already given). Against emulators there is no metadata server to probe.
  process.env.METADATA_SERVER_DETECTION = 'none';
  if (!process.env.PUBSUB_EMULATOR_HOST || !process.env.FIRESTORE_EMULATOR_HOST) {
    checkEmulatorsInstalled();
    say('Starting the Pub/Sub and Firestore emulators…');
    const emulators: RunningEmulator[] = [];
    const [ps, fs] = await Promise.all([
      process.env.PUBSUB_EMULATOR_HOST ? null : startEmulator('pubsub', { projectId: settings.projectId }),
      process.env.FIRESTORE_EMULATOR_HOST ? null : startEmulator('firestore', { projectId: settings.projectId }),
    ]);
    if (ps) (emulators.push(ps), (process.env.PUBSUB_EMULATOR_HOST = ps.host));
    if (fs) (emulators.push(fs), (process.env.FIRESTORE_EMULATOR_HOST = fs.host));
    for (const e of emulators) stops.push(() => e.stop());
  }
  if (stopping) return;

  // 2. Stand-ins, services, topology, the demo tienda and its live on air.
  const stack = await startDemoStack(
    {
      projectId: settings.projectId,
      ingressPort: settings.ingressPort,
      workerPort: settings.workerPort,
      notifierPort: settings.notifierPort,
      logLevel: settings.logLevel,
      retrySchedule: settings.retrySchedule,
      reservationTtl: settings.reservationTtl,
      liveFile: 'data/demo-live.json',
    },
    stops,
  );
  if (stopping) return;
  const envLine = `export GOOGLE_CLOUD_PROJECT=${settings.projectId} PUBSUB_EMULATOR_HOST=${process.env.PUBSUB_EMULATOR_HOST} FIRESTORE_EMULATOR_HOST=${process.env.FIRESTORE_EMULATOR_HOST}`;
  say(`\nIngress  ${stack.ingressUrl}   Worker ${stack.workerUrl}   Notifier ${stack.notifierUrl}   (project ${settings.projectId})`);
  say(`Stand-ins: Meta Graph ${stack.graph.url}  Mercado Pago ${stack.mp.url}  Flow ${stack.flow.url}  PayPal ${stack.paypal.url}  Gemini ${stack.gemini.url}  BigQuery ${stack.bq.url}`);
  say(`For the CLIs in another terminal:  ${envLine}`);
  say(`\nReplaying a scripted live: ${settings.comments} comments over ${settings.seconds} s on ${DEMO.tiendaName} / ${stack.live.live_id} (reservations last ${settings.reservationTtl}, jobs every ${settings.jobsInterval / 1000} s)…`);

  // 3. The live.
  const result = await replayScriptedLive(stack, {
    comments: settings.comments,
    durationMs: settings.seconds * 1000,
    jobsIntervalMs: settings.jobsInterval,
    settleTimeoutMs: settings.settleTimeout,
    buyerThinkMs: settings.buyerThink,
    say,
    progress: process.stdout.isTTY ? 'line' : 'log',
    signal: abort.signal,
  });
  if (stopping) return;
  await tellTheStory(stack, result);
  say('');
  for (const line of formatSummary(result.summary, stack.live)) say(line);
  say(`\nThe demo took ${(result.elapsedMs / 1000).toFixed(0)} s${result.settled ? '' : ' (stopped waiting: some orders were still open)'}.`);

  // Seeded for the README's curl examples: a second approved MP payment, a paid Flow order, a PayPal capture.
  stack.mp.setPayment({ id: 20001, status: 'approved', external_reference: 'demo-order-2', transaction_amount: 24990, currency_id: 'CLP' });
  stack.flow.addPayment({ apiKey: DEMO.flowApiKey, commerceOrder: 'demo-order-3', amount: 19990, status: 2, token: 'DEMO0FLOW0TOKEN0000000000000000000000001' });
  const capture = stack.paypal.setCapture({ id: 'DEMOCAPTURE0001', status: 'COMPLETED', amount: { currency_code: 'USD', value: '12.34' }, custom_id: 'demo-order-4' });
  const ppSigned = stack.paypal.signedWebhook(stack.paypal.captureEvent(capture, 'PAYMENT.CAPTURE.COMPLETED'), { webhookId: 'WH-DEMO-0001' });

  if (once) {
    await stopAll();
    process.exit(0);
  }
  // Locally there is no Cloud Scheduler: keep the jobs running for what you send now.
  const jobs = startJobTicker(stack.workerUrl, settings.jobsInterval);
  stops.push(async () => jobs.stop());
  followOneComment(stack, envLine);
  say('\nReady-made PayPal request (signed with this run\'s stand-in key; the Flow token is fixed: see the README):');
  say(`  curl -s -X POST ${stack.ingressUrl}/webhooks/paypal/${DEMO.tienda} ${Object.entries(ppSigned.headers).map(([k, v]) => `-H '${k}: ${v}'`).join(' ')} --data-binary '${ppSigned.body.replace(/'/g, "'\\''")}'`);
  say(`\nRunning. Ctrl-C stops everything npm start started.`);
}

/** A few comments of the live, one of each kind, and the whole trace of one that was paid. */
async function tellTheStory(stack: DemoStack, result: ReplayResult): Promise<void> {
  const intents = new Map(stack.bq.rows('intents').map((r) => [r.comment_id as string, r]));
  const orders = new Map(result.summary.orders.map((o) => [o.comment_id, o]));
  const replies = new Map(stack.graph.replies.map((r) => [r.commentId, r]));
  const shown = new Set<string>();
  say('\nWhat the pipeline made of some of them:');
  for (const kind of ['chatter', 'question', 'purchase', 'burst', 'burst', 'burst', 'burst', 'missing_variant', 'cancel'] as const) {
    const entry = [...result.ids.entries()].find(([id, c]) => c.kind === kind && !shown.has(id) && (kind !== 'burst' || orders.has(id)));
    if (!entry) continue;
    const [id, c] = entry;
    shown.add(id);
    const row = intents.get(id);
    const items = ((row?.items as Array<Record<string, unknown>> | undefined) ?? []).map((it) => [it.product, it.color, it.size, it.quantity != null ? `x${it.quantity}` : null].filter(Boolean).join(' ')).join(' + ');
    const order = orders.get(id);
    const reply = replies.get(id);
    const outcome = order ? `order ${order.status}${order.promoted ? ' (from the waitlist)' : ''}` : reply ? `told: "${reply.text.split('\n')[0]!.slice(0, 70)}…"` : '';
    say(`  ${c.text.slice(0, 34).padEnd(34)} → ${row ? `${String(row.intent).padEnd(8)} ${items.padEnd(20)} (${row.source}, ${Number(row.confidence).toFixed(2)})` : 'not classified'}  ${outcome}`);
  }
  const paid = result.summary.orders.filter((o) => o.status === 'paid').sort((a, b) => a.alloc_order.localeCompare(b.alloc_order))[0];
  if (paid) {
    say(`\nOne buyer's whole story (npm run trace -- ${paid.comment_id}):`);
    for (const line of formatTrace(await traceComment(stack.firestore, paid.comment_id))) say(`  ${line}`);
    const thread = stack.graph.threadMessages.find((m) => m.text.includes('Pago recibido') && m.buyerId === stack.graph.replies.find((r) => r.commentId === paid.comment_id)?.recipientId);
    if (thread) say(`  and in ${paid.buyer.author_name}'s Messenger thread: "${thread.text}"`);
  }
}

function followOneComment(stack: DemoStack, envLine: string): void {
  say('\nFollow a comment of your own (another terminal):');
  say(`  ${envLine}`);
  say(`  NOW=$(date +%s); ID=${DEMO.postId}_mine$NOW`);
  say(`  BODY='{"object":"page","entry":[{"id":"${DEMO.pageId}","time":'$NOW',"changes":[{"field":"feed","value":{"from":{"id":"42","name":"Ana"},"item":"comment","verb":"add","comment_id":"'$ID'","post_id":"${DEMO.postId}","created_time":'$NOW',"message":"quiero la negra talla M"}}]}]}'`);
  say(`  SIG=$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac ${DEMO.metaAppSecret} | sed 's/^.* //')`);
  say(`  curl -s -X POST ${stack.ingressUrl}/webhooks/meta -H "X-Hub-Signature-256: sha256=$SIG" -H 'content-type: application/json' -d "$BODY"`);
  say('  sleep 3; npm run trace -- $ID            # webhook → intent → order → link → reply, with times');
  say('  npm run dlq -- list                       # dead letters on every topic (e.g. the README\'s payment 20001)');
}

main(process.argv.slice(2)).catch((e) => {
  if (stopping) return; // the signal handler exits once everything is stopped
  if (e instanceof CliUsageError || e instanceof ConfigError || e instanceof EmulatorsMissingError) console.error(`npm start: ${e.message}`);
  else console.error(`npm start: ${oneLine(e)}`, process.env.LOG_LEVEL === 'DEBUG' ? e : '');
  process.exit(1);
});
