/**
 * The scripted demo live of `npm start`: a few hundred comments drawn from data/demo-live-script.json with a
 * seeded generator (the same comments every run for the same count), each with what its buyer will do when a
 * payment link reaches them. Only the comments go through the pipeline; the behaviours drive the buyers'
 * stand-in actions (pay, fail to pay, let the link expire). What happened is read back from the stores.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { LiveInput } from '../../shared/tiendas/live-store.js';

export type CommentKind = 'chatter' | 'question' | 'purchase' | 'burst' | 'missing_variant' | 'cancel';
/** What a buyer does with a payment link: pays, pays and is refused, lets it expire, or cancels by comment. */
export type BuyerBehaviour = 'pay' | 'fail' | 'expire' | 'cancel';

export interface ScriptedComment {
  index: number;
  authorId: string;
  author: string;
  text: string;
  kind: CommentKind;
  /** Milliseconds after the live's start at which Meta delivers it. */
  atMs: number;
}

export interface ScriptedLive {
  comments: ScriptedComment[];
  /** Per buyer (author id): what they do when their link arrives. */
  behaviours: Map<string, BuyerBehaviour>;
}

const scriptSchema = z.object({
  names: z.array(z.string()).min(1),
  surnames: z.array(z.string()).min(1),
  chatter: z.array(z.string()).min(1),
  questions: z.array(z.string()).min(1),
  purchases: z.record(z.string(), z.array(z.string()).min(1)),
  burst: z.object({ product: z.string(), color: z.string(), size: z.string(), buyers: z.number().int().min(0), texts: z.array(z.string()).min(1) }),
  missing_variant: z.array(z.string()).min(1),
  cancels: z.array(z.string()).min(1),
  mix: z.object({ chatter: z.number(), questions: z.number(), purchases: z.number(), missing_variant: z.number(), cancels: z.number() }),
  buyers: z.object({ pay: z.number(), fail: z.number(), expire: z.number() }),
});
export type LiveScript = z.infer<typeof scriptSchema>;

export function loadScript(path = 'data/demo-live-script.json'): LiveScript {
  return scriptSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}

/** mulberry32: small, seeded, good enough to pick phrases. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const plural = (color: string) => (/[aeiou]$/.test(color) ? `${color}s` : `${color}es`);

/** Variants of a product that the live sells (its variant_stock, or every combination of a pooled product). */
function sellable(product: LiveInput['products'][number]): Array<{ color?: string; size?: string }> {
  if (product.variant_stock) return product.variant_stock.map((v) => ({ ...(v.color ? { color: v.color } : {}), ...(v.size ? { size: v.size } : {}) }));
  const colors = product.variants?.color ?? [undefined];
  const sizes = product.variants?.size ?? [undefined];
  return colors.flatMap((color) => sizes.map((size) => ({ ...(color ? { color } : {}), ...(size ? { size } : {}) })));
}

/**
 * `count` comments spread over `durationMs`: chatter, questions, purchases (typos included), one burst of buyers
 * on the low-stock variant a third of the way in, variants the shop lacks, and cancellations by earlier buyers.
 */
export function scriptLive(script: LiveScript, live: Pick<LiveInput, 'products'>, count: number, durationMs: number, seed = 11): ScriptedLive {
  const random = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const comments: ScriptedComment[] = [];
  const behaviours = new Map<string, BuyerBehaviour>();
  const purchasers: string[] = [];
  let people = 0;
  const newPerson = () => {
    people++;
    return { authorId: `5${String(people).padStart(14, '0')}`, author: `${pick(script.names)} ${pick(script.surnames)}` };
  };
  const behaviour = (): BuyerBehaviour => {
    const r = random() * (script.buyers.pay + script.buyers.fail + script.buyers.expire);
    return r < script.buyers.pay ? 'pay' : r < script.buyers.pay + script.buyers.fail ? 'fail' : 'expire';
  };
  const products = live.products.filter((p) => script.purchases[p.code]);
  const burstAt = Math.floor(count / 3);
  const burstSize = count >= 20 ? Math.min(script.burst.buyers, Math.floor(count / 6)) : 0;
  const mix = script.mix;
  const total = mix.chatter + mix.questions + mix.purchases + mix.missing_variant + mix.cancels;
  const at = (i: number) => Math.round((i / Math.max(1, count)) * durationMs);

  for (let i = 0; comments.length < count; i++) {
    const atMs = at(comments.length);
    if (comments.length === burstAt && burstSize > 0) {
      // Several buyers want the same low-stock variant at once: the allocator serves them in comment order.
      for (let b = 0; b < burstSize && comments.length < count; b++) {
        const p = newPerson();
        behaviours.set(p.authorId, behaviour());
        purchasers.push(p.authorId);
        comments.push({ index: comments.length, ...p, text: script.burst.texts[b % script.burst.texts.length]!, kind: 'burst', atMs });
      }
      continue;
    }
    let r = random() * total;
    const take = (w: number) => (r -= w) < 0;
    if (take(mix.chatter)) comments.push({ index: comments.length, ...newPerson(), text: pick(script.chatter), kind: 'chatter', atMs });
    else if (take(mix.questions)) comments.push({ index: comments.length, ...newPerson(), text: pick(script.questions), kind: 'question', atMs });
    else if (take(mix.purchases)) {
      const product = pick(products);
      const variant = pick(sellable(product));
      const text = pick(script.purchases[product.code]!)
        .replace('{colors}', plural(variant.color ?? ''))
        .replace('{color}', variant.color ?? '')
        .replace('{size}', variant.size ?? '');
      const p = newPerson();
      behaviours.set(p.authorId, behaviour());
      purchasers.push(p.authorId);
      comments.push({ index: comments.length, ...p, text, kind: 'purchase', atMs });
    } else if (take(mix.missing_variant)) comments.push({ index: comments.length, ...newPerson(), text: pick(script.missing_variant), kind: 'missing_variant', atMs });
    else {
      // A buyer who would have let the link expire changes their mind in the comments instead.
      const who = purchasers.find((id) => behaviours.get(id) === 'expire');
      if (!who) continue;
      behaviours.set(who, 'cancel');
      const author = comments.find((c) => c.authorId === who)!.author;
      comments.push({ index: comments.length, authorId: who, author, text: pick(script.cancels), kind: 'cancel', atMs });
    }
  }
  return { comments, behaviours };
}
