/**
 * `npm run tienda -- add <tienda.json> | list | show <id>` — registers and reads tiendas in Firestore
 * (the emulator when FIRESTORE_EMULATOR_HOST is set). `add` is idempotent, and refuses (exit 2, naming the
 * providers that can) a tienda whose payment provider cannot charge its currency — e.g. PayPal in CLP
 * (shared/payments/currency-rules.ts).
 */
import { readFileSync } from 'node:fs';
import { Firestore } from '@google-cloud/firestore';
import { ZodError } from 'zod';
import { commonSettings } from '../shared/config/common-settings.js';
import { ConfigError, defineConfig } from '../shared/config/define-config.js';
import { TiendaConflictError, TiendaStore } from '../shared/tiendas/tienda-store.js';
import { CliUsageError, oneLine, quietGoogleAuth, requireEmulatorEnv } from './lib/cli-env.js';

const cliConfig = defineConfig('tienda-cli', {
  projectId: commonSettings.projectId,
  firestoreEmulatorHost: commonSettings.firestoreEmulatorHost,
});

const USAGE = 'usage: npm run tienda -- add <tienda.json> | list | show <tienda-id>';

async function main(argv: string[]): Promise<number> {
  const [cmd, arg] = argv;
  if (!cmd || !['add', 'list', 'show'].includes(cmd) || (cmd !== 'list' && !arg)) {
    console.error(USAGE);
    return 2;
  }
  quietGoogleAuth();
  requireEmulatorEnv(['firestore']);
  const config = cliConfig.load();
  const db = new Firestore({ projectId: config.projectId });
  const store = new TiendaStore(db, { cacheTtlMs: 0 });
  try {
    if (cmd === 'add') {
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(arg!, 'utf8'));
      } catch (e) {
        console.error(`cannot read ${arg}: ${(e as Error).message}`);
        return 2;
      }
      const { status, tienda } = await store.upsert(json as never);
      console.log(JSON.stringify({ status, tienda }, null, 2));
    } else if (cmd === 'list') {
      const all = await store.list();
      console.log(JSON.stringify(all, null, 2));
    } else {
      const t = await store.get(arg!);
      if (!t) {
        console.error(`no tienda with id ${arg}`);
        return 1;
      }
      console.log(JSON.stringify(t, null, 2));
    }
    return 0;
  } catch (e) {
    if (e instanceof ZodError) {
      console.error(`invalid tienda:\n${e.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n')}`);
      return 2;
    }
    if (e instanceof TiendaConflictError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  } finally {
    await db.terminate();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof ConfigError || e instanceof CliUsageError ? e.message : oneLine(e));
    process.exit(1);
  },
);
