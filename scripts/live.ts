/**
 * `npm run live -- add <live.json> | list <tienda-id> | show <tienda-id> <live-id>
 *                 | status <tienda-id> <live-id> scheduled|live|ended | feature <tienda-id> <live-id> <code>
 *                 | stock <tienda-id> <live-id>`
 * Registers a live with its catalog (idempotent), puts it on or off air, sets the featured product, and shows
 * the stock per unit (declared in the catalog, left to reserve, buyers waiting). Re-adding a live with more stock
 * for a unit restocks it (the allocator applies the difference and serves the waitlist).
 */
import { readFileSync } from 'node:fs';
import { Firestore } from '@google-cloud/firestore';
import { ZodError } from 'zod';
import { commonSettings } from '../shared/config/common-settings.js';
import { ConfigError, defineConfig } from '../shared/config/define-config.js';
import { LIVE_STATUSES, LiveStore, type Live } from '../shared/tiendas/live-store.js';
import { OrderStore } from '../services/worker/orders/order-store.js';
import { StockAllocator } from '../services/worker/orders/stock-allocator.js';
import { liveKey } from '../services/worker/orders/order-model.js';
import { catalogUnitList } from '../services/worker/orders/catalog-stock.js';
import { CliUsageError, oneLine, quietGoogleAuth, requireEmulatorEnv } from './lib/cli-env.js';

const cliConfig = defineConfig('live-cli', { projectId: commonSettings.projectId, firestoreEmulatorHost: commonSettings.firestoreEmulatorHost });
const USAGE = 'usage: npm run live -- add <live.json> | list <tienda-id> | show <tienda-id> <live-id> | status <tienda-id> <live-id> scheduled|live|ended | feature <tienda-id> <live-id> <code> | stock <tienda-id> <live-id>';
const ARITY: Record<string, number> = { add: 1, list: 1, show: 2, status: 3, feature: 3, stock: 2 };

async function main(argv: string[]): Promise<number> {
  const [cmd, ...args] = argv;
  if (!cmd || ARITY[cmd] !== args.length) {
    console.error(USAGE);
    return 2;
  }
  quietGoogleAuth();
  requireEmulatorEnv(['firestore']);
  const { projectId } = cliConfig.load();
  const db = new Firestore({ projectId });
  const lives = new LiveStore(db);
  try {
    switch (cmd) {
      case 'add': {
        let json: unknown;
        try {
          json = JSON.parse(readFileSync(args[0]!, 'utf8'));
        } catch (e) {
          console.error(`cannot read ${args[0]}: ${(e as Error).message}`);
          return 2;
        }
        console.log(JSON.stringify(await lives.upsert(json as never), null, 2));
        return 0;
      }
      case 'list':
        console.log(JSON.stringify((await lives.list(args[0]!)).map((l) => ({ live_id: l.live_id, platform: l.platform, post_id: l.post_id, status: l.status, featured_product: l.featured_product, products: l.products.length })), null, 2));
        return 0;
      case 'show': {
        const live = await lives.get(args[0]!, args[1]!);
        if (!live) {
          console.error(`no live ${args[0]}/${args[1]}`);
          return 1;
        }
        console.log(JSON.stringify(live, null, 2));
        return 0;
      }
      case 'status': {
        const status = args[2] as Live['status'];
        if (!LIVE_STATUSES.includes(status)) {
          console.error(`status must be one of ${LIVE_STATUSES.join(', ')}`);
          return 2;
        }
        const window = await lives.setStatus(args[0]!, args[1]!, status);
        console.log(`live ${args[0]}/${args[1]} is now ${status} (on air from ${window.started_at ?? '-'} to ${window.ended_at ?? (status === 'live' ? 'now' : '-')})`);
        return 0;
      }
      case 'stock': {
        const live = await lives.get(args[0]!, args[1]!);
        if (!live) {
          console.error(`no live ${args[0]}/${args[1]}`);
          return 1;
        }
        const orders = new OrderStore(db);
        const stock = await new StockAllocator(db, orders, { reservationMs: 0 }).stock(live);
        const waiting = await orders.waitlist(liveKey(live.tienda_id, live.live_id), 1000);
        // In catalog order (the stored map has none).
        const rows = catalogUnitList(live.products).map(([unit]) => ({
          unit,
          declared: stock.declared[unit] ?? 0,
          available: stock.available[unit] ?? 0,
          waitlisted: waiting.filter((o) => o.items.some((i) => i.unit === unit)).length,
        }));
        console.log(JSON.stringify(rows, null, 2));
        return 0;
      }
      default:
        await lives.setFeatured(args[0]!, args[1]!, args[2]!);
        console.log(`live ${args[0]}/${args[1]} now features ${args[2]}`);
        return 0;
    }
  } catch (e) {
    if (e instanceof ZodError) {
      console.error(`invalid live:\n${e.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n')}`);
      return 2;
    }
    console.error(oneLine(e));
    return 1;
  } finally {
    await db.terminate();
  }
}

main(process.argv.slice(2)).then(
  (c) => process.exit(c),
  (e) => {
    console.error(e instanceof ConfigError || e instanceof CliUsageError ? e.message : oneLine(e));
    process.exit(1);
  },
);
