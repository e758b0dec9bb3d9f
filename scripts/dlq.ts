/**
 * Dead letters, for operators (the hold subscription `<topic>-dlq-hold` of every consumer keeps them):
 *
 *   npm run dlq -- list [topic]                 every dead letter (or one topic's): id, topic, reason, when
 *   npm run dlq -- show <id>                    its data, attributes and failure history
 *   npm run dlq -- replay <id> | --all [topic]  back through the normal path (the topic), idempotency intact
 *   npm run dlq -- purge <id> | --all [topic]   gone for good; asks first unless --yes
 *
 * `--json` prints JSON lines. Needs GOOGLE_CLOUD_PROJECT (and PUBSUB_EMULATOR_HOST against `npm start`).
 */
import { createInterface } from 'node:readline/promises';
import { PubSub } from '@google-cloud/pubsub';
import { ConfigError } from '../shared/config/define-config.js';
import { DeadLetters, type DeadLetter } from '../shared/pubsub/dead-letters.js';
import { createPublisher } from '../shared/pubsub/publisher.js';
import { CONSUMERS, type ConsumerDefinition } from '../shared/topology/topology.js';
import { CliUsageError, oneLine, quietGoogleAuth, requireEmulatorEnv } from './lib/cli-env.js';

const TOPICS = CONSUMERS.map((c) => c.topic);
const USAGE = [
  'usage: npm run dlq -- list [topic] [--json]',
  '       npm run dlq -- show <id> [--json]',
  '       npm run dlq -- replay <id> | --all [topic]',
  '       npm run dlq -- purge <id> | --all [topic] [--yes]',
  `topics: ${TOPICS.join(', ')}`,
].join('\n');

interface Found {
  consumer: ConsumerDefinition;
  letter: DeadLetter;
}

const NOT_FOUND = 5;

async function main(argv: string[]): Promise<number> {
  const flags = new Set(argv.filter((a) => a.startsWith('--')));
  const [cmd, arg] = argv.filter((a) => !a.startsWith('--'));
  const json = flags.has('--json');
  const all = flags.has('--all');
  const known = new Set(['--json', '--all', '--yes']);
  const bad = [...flags].find((f) => !known.has(f));
  if (bad || !cmd || !['list', 'show', 'replay', 'purge'].includes(cmd)) return usage(bad ? `unknown option ${bad}` : undefined);
  if ((cmd === 'show' || ((cmd === 'replay' || cmd === 'purge') && !all)) && !arg) return usage(`${cmd} needs a dead letter id (from \`npm run dlq -- list\`)`);
  if ((cmd === 'replay' || cmd === 'purge') && !all && TOPICS.includes(arg as never)) {
    return usage(`${arg} is a topic: \`npm run dlq -- ${cmd} --all ${arg}\` takes all of its dead letters, \`${cmd} <id>\` one`);
  }
  const topicArg = cmd === 'list' || all ? arg : undefined;
  if (topicArg && !TOPICS.includes(topicArg as never)) return usage(`unknown topic ${topicArg}`);
  const consumers = topicArg ? CONSUMERS.filter((c) => c.topic === topicArg) : CONSUMERS;

  quietGoogleAuth();
  requireEmulatorEnv(['pubsub']);
  const pubsub = new PubSub({ projectId: process.env.GOOGLE_CLOUD_PROJECT });
  const dl = new DeadLetters(pubsub);
  const held: Found[] = [];
  const release = async () => {
    for (const c of consumers) await dl.release(c, held.filter((h) => h.consumer === c).map((h) => h.letter)).catch(() => undefined);
  };
  try {
    for (const consumer of consumers) {
      try {
        for (const letter of await dl.pullAll(consumer)) held.push({ consumer, letter });
      } catch (e) {
        if ((e as { code?: number }).code === NOT_FOUND) {
          throw new CliUsageError(`no subscription ${consumer.deadLetterSubscription} in project ${pubsub.projectId}: run \`npm run provision\` (npm start does it), or check GOOGLE_CLOUD_PROJECT`);
        }
        throw e;
      }
    }
    // A copy: `held` is cut down to what stays held below, and `--all` must not lose its choice with it.
    const chosen = all ? [...held] : held.filter((h) => h.letter.messageId === arg);
    if (cmd === 'list') {
      for (const { consumer, letter: l } of held) {
        if (json) console.log(JSON.stringify({ id: l.messageId, topic: consumer.topic, reason: l.reason, attempts: l.history.length, last_failure_at: l.history.at(-1)?.at ?? null, event: l.attributes.event ?? null, idempotency_key: l.attributes.idempotency_key ?? null }));
        else console.log(`${l.messageId.padEnd(12)} ${consumer.topic.padEnd(22)} ${(l.history.at(-1)?.at ?? '').padEnd(25)} ${l.reason ?? '(no reason recorded)'}`);
      }
      console.error(`${held.length} dead letter(s)${topicArg ? ` on ${topicArg}` : ` on ${consumers.length} topics`}`);
      await release();
      return 0;
    }
    if (chosen.length === 0) {
      await release();
      console.error(all ? 'no dead letters' : `no dead letter with id ${arg}${topicArg ? ` on ${topicArg}` : ''} (\`npm run dlq -- list\` shows the ids)`);
      return all ? 0 : 1;
    }
    if (cmd === 'show') {
      const { consumer, letter: l } = chosen[0]!;
      const data = l.data.toString('utf8');
      let parsed: unknown = data;
      try {
        parsed = JSON.parse(data);
      } catch {
        /* not JSON: shown as text */
      }
      const shown = { id: l.messageId, topic: consumer.topic, subscription: consumer.deadLetterSubscription, reason: l.reason, attributes: l.attributes, history: l.history, data: parsed };
      console.log(json ? JSON.stringify(shown) : JSON.stringify(shown, null, 2));
      await release();
      return 0;
    }
    const rest = held.filter((h) => !chosen.includes(h));
    held.length = 0;
    held.push(...rest);
    if (cmd === 'replay') {
      const publisher = createPublisher(pubsub);
      try {
        for (const c of consumers) {
          const mine = chosen.filter((h) => h.consumer === c).map((h) => h.letter);
          if (mine.length > 0) console.error(`replayed ${await dl.replayLetters(c, publisher, mine)} dead letter(s) to ${c.topic}`);
        }
      } finally {
        await publisher.close();
      }
    } else {
      if (!flags.has('--yes') && !(await confirm(`purge ${chosen.length} dead letter(s) (${[...new Set(chosen.map((h) => h.consumer.topic))].join(', ')}) for good?`))) {
        await release();
        for (const h of chosen) await dl.release(h.consumer, [h.letter]).catch(() => undefined);
        console.error('nothing purged');
        return 1;
      }
      for (const h of chosen) await dl.acknowledge(h.consumer, [h.letter]);
      console.error(`purged ${chosen.length} dead letter(s)`);
    }
    await release();
    return 0;
  } finally {
    await dl.close();
    await pubsub.close();
  }
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    console.error(`${question} — not asked: no terminal. Add --yes to purge without asking.`);
    return false;
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

function usage(problem?: string): number {
  if (problem) console.error(problem);
  console.error(USAGE);
  return 2;
}

main(process.argv.slice(2)).then(
  (c) => process.exit(c),
  (e) => {
    console.error(e instanceof ConfigError || e instanceof CliUsageError ? e.message : `dlq: ${oneLine(e)}`);
    process.exit(1);
  },
);
