/**
 * `npm run dlq -- list <topic> [--max N]` — show what a consumer dead-lettered, with reason and history.
 * `npm run dlq -- replay <topic> [--max N]` — put it back on the topic (the retry schedule starts afresh).
 */
import { PubSub } from '@google-cloud/pubsub';
import { commonSettings } from '../shared/config/common-settings.js';
import { ConfigError, defineConfig } from '../shared/config/define-config.js';
import { DeadLetters } from '../shared/pubsub/dead-letters.js';
import { createPublisher } from '../shared/pubsub/publisher.js';
import { CONSUMERS } from '../shared/topology/topology.js';

const config = defineConfig('dlq-cli', { projectId: commonSettings.projectId, pubsubEmulatorHost: commonSettings.pubsubEmulatorHost });
const USAGE = `usage: npm run dlq -- list|replay <${CONSUMERS.map((c) => c.topic).join('|')}> [--max N]`;

async function main(argv: string[]): Promise<number> {
  const [cmd, topic] = argv;
  const maxIdx = argv.indexOf('--max');
  const max = maxIdx >= 0 ? Number(argv[maxIdx + 1]) : 100;
  const consumer = CONSUMERS.find((c) => c.topic === topic);
  if (!cmd || !['list', 'replay'].includes(cmd) || !consumer || !Number.isInteger(max) || max < 1) {
    console.error(USAGE);
    return 2;
  }
  const { projectId } = config.load();
  const pubsub = new PubSub({ projectId });
  const dl = new DeadLetters(pubsub);
  try {
    if (cmd === 'list') {
      const letters = await dl.list(consumer, max);
      for (const l of letters) {
        console.log(JSON.stringify({ messageId: l.messageId, reason: l.reason, history: l.history, attributes: l.attributes, data: l.data.toString('utf8') }));
      }
      console.error(`${letters.length} dead letter(s) on ${consumer.deadLetterTopic}`);
    } else {
      const publisher = createPublisher(pubsub);
      const n = await dl.replay(consumer, publisher, max);
      await publisher.close();
      console.error(`replayed ${n} message(s) to ${consumer.topic}`);
    }
    return 0;
  } finally {
    await dl.close();
    await pubsub.close();
  }
}

main(process.argv.slice(2)).then(
  (c) => process.exit(c),
  (e) => {
    console.error(e instanceof ConfigError ? e.message : e);
    process.exit(1);
  },
);
