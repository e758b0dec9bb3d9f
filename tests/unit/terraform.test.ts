/**
 * Holds the deployment code (terraform/, cloudbuild.yaml, Dockerfile) against the code's single sources of truth.
 *
 * Terraform cannot be applied here, so every .tf file is parsed with @cdktf/hcl2json and the parts that matter
 * are evaluated by a small interpreter below (variables, locals, for_each, module inputs, the few functions
 * the modules use). Nothing is mocked: the expected values come from shared/topology, shared/analytics/tables,
 * the services' config schemas and the secret ids the code reads.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getExpressionAst, parse } from '@cdktf/hcl2json';
import type { TFExpressionSyntaxTree } from '@cdktf/hcl2json';
import Koa from 'koa';
import { beforeAll, describe, expect, it } from 'vitest';
import { ingressConfig } from '../../services/ingress/config.js';
import { PLATFORM_SECRETS, tiendaSecretId } from '../../shared/tiendas/tienda-secrets.js';
import { WORKER_JOBS } from '../../services/worker/app.js';
import { workerConfig } from '../../services/worker/config.js';
import { ORDER_INDEXES } from '../../services/worker/orders/order-store.js';
import { provisionConfig } from '../../scripts/provision-config.js';
import {
  ANALYTICS_PARTITION_TYPE,
  ANALYTICS_TABLE_NAMES,
  ANALYTICS_TABLES,
  loadTableSchema,
  type TableField,
} from '../../shared/analytics/tables/index.js';
import { DEFAULT_RETRY_SCHEDULE } from '../../shared/config/common-settings.js';
import { createPushAuth, pushAuthFromConfig } from '../../shared/pubsub/push-auth.js';
import { notifierConfig } from '../../services/notifier/config.js';
import { pageTokenSecretId } from '../../services/notifier/handlers/notification-handler.js';
import {
  CONSUMERS,
  DEAD_LETTER_HOLD,
  MAIN_MAX_DELIVERY_ATTEMPTS,
  NATIVE_RETRY_POLICY,
  RETRY_MAX_DELIVERY_ATTEMPTS,
  SUBSCRIPTION_MESSAGE_RETENTION_SECONDS,
  TOPIC_NAMES,
  allTopics,
  type ConsumerDefinition,
} from '../../shared/topology/topology.js';
import { listen } from '../helpers/test-kit.js';
import { isIgnored, parseDockerignore } from '../../scripts/ci/dockerignore.js';
import { recordDeadLetter } from '../../shared/analytics/analytics-recorder.js';
import { parseDuration } from '../../shared/config/define-config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TF = path.join(ROOT, 'terraform');
const ENVIRONMENTS = ['staging', 'prod'] as const;
const SERVICES = ['ingress', 'worker', 'notifier'] as const;
type Service = (typeof SERVICES)[number];

/** What Terraform would know at plan time; any value works, the tests only need it to be consistent. */
const PROJECT_ID = 'lss-test';
const PROJECT_NUMBER = '123456789012';
const PUBSUB_SERVICE_AGENT = `serviceAccount:service-${PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com`;

/** Every platform secret DESIGN §5 names, plus the /events HMAC key. */
const PLATFORM_SECRET_IDS = [
  'meta-app-secret',
  'meta-verify-token',
  'gemini-api-key',
  'openai-api-key',
  'openrouter-api-key',
  'paypal-webhook-id',
  'events-hmac-secret',
];

// ---------------------------------------------------------------------------------------------------------------
// Loading: every .tf file, parsed one by one (a syntax error names its file), merged per directory.

type Body = Record<string, unknown>;
interface TfJson {
  resource?: Record<string, Record<string, Body[]>>;
  data?: Record<string, Record<string, Body[]>>;
  module?: Record<string, Body[]>;
  variable?: Record<string, Body[]>;
  output?: Record<string, Body[]>;
  locals?: Body[];
  terraform?: Body[];
  provider?: Record<string, Body[]>;
}

function listFiles(dir: string, suffix: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (name === '.terraform') return [];
    return statSync(p).isDirectory() ? listFiles(p, suffix) : name.endsWith(suffix) ? [p] : [];
  });
}

const TF_FILES = existsSync(TF) ? listFiles(TF, '.tf').sort() : [];
const rel = (p: string) => path.relative(ROOT, p);

async function parseTf(file: string): Promise<TfJson> {
  return (await parse(rel(file), readFileSync(file, 'utf8'))) as TfJson;
}

function mergeTf(into: TfJson, from: TfJson): void {
  for (const kind of ['resource', 'data'] as const) {
    for (const [type, byName] of Object.entries(from[kind] ?? {})) {
      const target = ((into[kind] ??= {})[type] ??= {});
      for (const [name, blocks] of Object.entries(byName)) (target[name] ??= []).push(...blocks);
    }
  }
  for (const kind of ['module', 'variable', 'output', 'provider'] as const) {
    for (const [name, blocks] of Object.entries(from[kind] ?? {})) ((into[kind] ??= {})[name] ??= []).push(...blocks);
  }
  for (const kind of ['locals', 'terraform'] as const) (into[kind] ??= []).push(...(from[kind] ?? []));
}

const perFile = new Map<string, TfJson>();
const perDir = new Map<string, TfJson>();
let loading: Promise<void> | undefined;

/** Parses every .tf file once per test file and merges them per directory (a module or a root). */
function loadTerraform(): Promise<void> {
  return (loading ??= (async () => {
    for (const file of TF_FILES) {
      const json = await parseTf(file);
      perFile.set(rel(file), json);
      const dir = path.dirname(file);
      if (!perDir.has(dir)) perDir.set(dir, {});
      mergeTf(perDir.get(dir)!, json);
    }
  })());
}

function dirJson(dir: string): TfJson {
  const json = perDir.get(path.join(TF, dir));
  if (!json) throw new Error(`no Terraform files in terraform/${dir}`);
  return json;
}

// ---------------------------------------------------------------------------------------------------------------
// A small HCL interpreter: enough of the expression language for what the modules write.

type Ast = TFExpressionSyntaxTree.ExpressionType;

/** A reference to something only known after apply (a resource attribute, a data source, a module output). */
class Ref {
  constructor(readonly address: string) {}
  toString(): string {
    return this.address;
  }
}

interface Scope {
  /** Directory of the module (for messages). */
  dir: string;
  json: TfJson;
  vars: Record<string, unknown>;
  /** `path.root`: the environment directory Terraform runs in. */
  pathRoot: string;
  /** Values for references Terraform only knows at plan time (e.g. the project number). */
  refs: Record<string, unknown>;
  each?: { key: unknown; value: unknown };
  bindings?: Record<string, unknown>;
}

const astCache = new Map<string, Promise<Ast | null>>();
function ast(source: string): Promise<Ast | null> {
  let p = astCache.get(source);
  if (!p) astCache.set(source, (p = getExpressionAst('expr.tf', source)));
  return p;
}

/** Index of the `}` closing an interpolation whose body starts at i (string-aware, nested). */
function closingBrace(s: string, i: number): number {
  let depth = 1;
  while (i < s.length) {
    const c = s[i];
    if (c === '"') {
      i = afterString(s, i + 1);
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
    i++;
  }
  throw new Error(`unbalanced interpolation in ${s}`);
}

function afterString(s: string, i: number): number {
  while (i < s.length) {
    if (s[i] === '\\') i += 2;
    else if (s[i] === '"') return i + 1;
    else if (s.startsWith('${', i)) i = closingBrace(s, i + 2) + 1;
    else i++;
  }
  throw new Error(`unterminated string in ${s}`);
}

/** Evaluates a string as hcl2json renders it: literal text with `${…}` interpolations. */
async function evalString(s: string, scope: Scope): Promise<unknown> {
  const parts: Array<{ lit: string } | { expr: string }> = [];
  let lit = '';
  for (let i = 0; i < s.length; ) {
    if (s.startsWith('$${', i)) {
      lit += '${';
      i += 3;
    } else if (s.startsWith('${', i)) {
      const end = closingBrace(s, i + 2);
      if (lit) parts.push({ lit });
      lit = '';
      parts.push({ expr: s.slice(i + 2, end) });
      i = end + 1;
    } else {
      lit += s[i++];
    }
  }
  if (lit) parts.push({ lit });
  const only = parts[0];
  if (parts.length === 1 && only && 'expr' in only) return evalSource(only.expr, scope);
  const out: string[] = [];
  for (const p of parts) out.push('lit' in p ? p.lit : String(await evalSource(p.expr, scope)));
  return out.join('');
}

async function evalSource(source: string, scope: Scope): Promise<unknown> {
  const node = await ast(source.trim());
  if (!node) throw new Error(`empty expression in ${scope.dir}`);
  return evalAst(node, scope);
}

/** Evaluates a value from the parsed JSON: strings are expressions, objects and lists recurse. */
async function evalValue(value: unknown, scope: Scope): Promise<unknown> {
  if (typeof value === 'string') return evalString(value, scope);
  if (Array.isArray(value)) return Promise.all(value.map((v) => evalValue(v, scope)));
  if (value && typeof value === 'object' && !(value instanceof Ref)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await evalValue(v, scope);
    return out;
  }
  return value;
}

function step(value: unknown, part: { type: string; segment: string } | { index: unknown }, where: string): unknown {
  const byName = !('index' in part) && part.type === 'nameTraversal';
  const key = 'index' in part ? part.index : byName ? part.segment : JSON.parse(part.segment);
  if (value instanceof Ref) return new Ref(`${value.address}${byName ? `.${String(key)}` : `[${JSON.stringify(key)}]`}`);
  if (value === null || typeof value !== 'object') throw new Error(`cannot read ${String(key)} of ${String(value)} in ${where}`);
  const next = (value as Record<string, unknown>)[String(key)];
  if (next === undefined) throw new Error(`no attribute ${String(key)} in ${where}`);
  return next;
}

function localValue(name: string, scope: Scope): unknown {
  for (const block of scope.json.locals ?? []) if (name in block) return block[name];
  throw new Error(`local.${name} is not defined in ${scope.dir}`);
}

async function evalTraversal(parts: TFExpressionSyntaxTree.TerraformTraversalPart[], scope: Scope, where: string): Promise<unknown> {
  const [root, first, ...rest] = parts;
  if (!root) throw new Error(`empty traversal in ${where}`);
  let value: unknown;
  let remaining = rest;
  const base = { ...scope, each: undefined };
  switch (root.segment) {
    case 'var':
      if (!first || !(first.segment in scope.vars)) throw new Error(`var.${first?.segment} has no value in ${scope.dir}`);
      value = scope.vars[first.segment];
      break;
    case 'local':
      value = await evalValue(localValue(first!.segment, scope), { ...base, bindings: undefined });
      break;
    case 'each':
      if (!scope.each) throw new Error(`each used outside for_each in ${where}`);
      value = first!.segment === 'key' ? scope.each.key : scope.each.value;
      break;
    case 'path':
      if (first!.segment !== 'root' && first!.segment !== 'module') throw new Error(`path.${first!.segment} unsupported`);
      value = scope.pathRoot;
      break;
    default:
      if (scope.bindings && root.segment in scope.bindings) {
        value = scope.bindings[root.segment];
        remaining = first ? [first, ...rest] : [];
      } else {
        // A resource, data source or module output: a reference, unless the test supplies its value.
        let ref: unknown = new Ref(root.segment);
        for (const p of first ? [first, ...rest] : []) {
          ref = step(ref, p, where);
          if (ref instanceof Ref && ref.address in scope.refs) ref = scope.refs[ref.address];
        }
        return ref;
      }
  }
  for (const p of remaining) value = step(value, p, where);
  return value;
}

/**
 * Entries of a collection. A whole resource with for_each (`google_service_account.runtime`) iterates as its
 * instances: key → reference to that instance.
 */
async function asEntries(collection: unknown, scope: Scope): Promise<Array<[unknown, unknown]>> {
  if (collection instanceof Ref) {
    const m = /^(\w+)\.(\w+)$/.exec(collection.address);
    if (!m) throw new Error(`cannot iterate over ${collection.address}`);
    const keys = (await instances(scope, m[1]!, m[2]!)).map((i) => i.key);
    return keys.map((k) => [k, new Ref(`${collection.address}[${JSON.stringify(k)}]`)]);
  }
  if (Array.isArray(collection)) return collection.map((v, i) => [i, v]);
  if (collection && typeof collection === 'object') return Object.entries(collection);
  throw new Error(`cannot iterate over ${String(collection)}`);
}

async function evalAst(node: Ast, scope: Scope): Promise<unknown> {
  const where = `${scope.dir}: ${node.meta?.value ?? node.type}`;
  const kids = node.children;
  // A parenthesised expression, `(a == null)`, is a node without a type around its one child.
  if ((node.type as string) === '' && kids.length === 1) return evalAst(kids[0]!, scope);
  switch (node.type) {
    case 'literalValue': {
      const m = node.meta;
      if (m.type === 'number') return Number(m.value);
      if (m.type === 'bool') return m.value === 'true';
      if (m.type === 'string') return m.value;
      return null;
    }
    case 'template':
    case 'templateWrap': {
      const values = await Promise.all(kids.map((k) => evalAst(k, scope)));
      return values.length === 1 && kids[0]?.type !== 'literalValue' ? values[0] : values.map(String).join('');
    }
    case 'scopeTraversal':
      return evalTraversal(node.meta.traversal, scope, where);
    case 'relativeTraversal': {
      let value = await evalAst(kids[0]!, scope);
      for (const p of node.meta.traversal) value = step(value, p, where);
      return value;
    }
    case 'index': {
      const [collection, key] = await Promise.all([evalAst(kids[0]!, scope), evalAst(kids[1]!, scope)]);
      return step(collection, { index: key }, where);
    }
    case 'tuple':
      return Promise.all(kids.map((k) => evalAst(k, scope)));
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node.meta.items)) out[k.startsWith('"') ? JSON.parse(k) : k] = await evalSource(v, scope);
      return out;
    }
    case 'conditional': {
      const cond = await evalAst(kids[0]!, scope);
      return evalAst(kids[cond ? 1 : 2]!, scope);
    }
    case 'unaryOp': {
      const v = await evalAst(kids[0]!, scope);
      if (node.meta.operator === 'logicalNot') return !v;
      if (node.meta.operator === 'negate') return -(v as number);
      throw new Error(`unsupported operator ${node.meta.operator} in ${where}`);
    }
    case 'binaryOp': {
      const [a, b] = await Promise.all([evalAst(kids[0]!, scope), evalAst(kids[1]!, scope)]);
      const ops: Record<string, () => unknown> = {
        equal: () => a === b,
        notEqual: () => a !== b,
        multiply: () => (a as number) * (b as number),
        add: () => (a as number) + (b as number),
        greaterThanOrEqual: () => (a as number) >= (b as number),
        lessThanOrEqual: () => (a as number) <= (b as number),
        logicalAnd: () => Boolean(a) && Boolean(b),
        logicalOr: () => Boolean(a) || Boolean(b),
      };
      const op = ops[node.meta.operator];
      if (!op) throw new Error(`unsupported operator ${node.meta.operator} in ${where}`);
      return op();
    }
    case 'function': {
      const args = await Promise.all(kids.map((k) => evalAst(k, scope)));
      switch (node.meta.name) {
        case 'toset':
          return [...new Set(args[0] as unknown[])];
        case 'merge':
          return Object.assign({}, ...args);
        case 'concat':
          return (args as unknown[][]).flat();
        case 'flatten':
          return (args[0] as unknown[]).flat(Infinity);
        case 'keys':
          return Object.keys(args[0] as object);
        case 'file':
          // Terraform resolves relative paths from the directory it runs in (the environment root).
          return readFileSync(path.resolve(scope.pathRoot, String(args[0])), 'utf8');
        case 'templatefile': {
          // Only `${name}` interpolations of the given variables (what the view SQL uses); an unknown name fails.
          const vars = args[1] as Record<string, unknown>;
          return readFileSync(path.resolve(scope.pathRoot, String(args[0])), 'utf8').replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, n: string) => {
            if (!(n in vars)) throw new Error(`templatefile: no variable ${n} in ${where}`);
            return String(vars[n]);
          });
        }
        default:
          throw new Error(`unsupported function ${node.meta.name} in ${where}`);
      }
    }
    case 'for': {
      const m = node.meta;
      const collection = await evalSource(m.collectionExpression, scope);
      const grouped: Array<[unknown, unknown]> = [];
      for (const [k, v] of await asEntries(collection, scope)) {
        const inner = { ...scope, bindings: { ...scope.bindings, ...(m.keyVar ? { [m.keyVar]: k } : {}), [m.valVar]: v } };
        if (m.conditionalExpression && !(await evalSource(m.conditionalExpression, inner))) continue;
        grouped.push([m.keyExpression ? await evalSource(m.keyExpression, inner) : null, await evalSource(m.valueExpression, inner)]);
      }
      return m.openRangeValue === '{' ? Object.fromEntries(grouped.map(([k, v]) => [String(k), v])) : grouped.map(([, v]) => v);
    }
    default:
      throw new Error(`unsupported expression ${node.type} in ${where}`);
  }
}

function variableDefaults(json: TfJson): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, [block]] of Object.entries(json.variable ?? {})) if (block && 'default' in block) out[name] = block.default;
  return out;
}

const META_ARGUMENTS = new Set(['source', 'depends_on', 'providers', 'for_each', 'count', 'lifecycle', 'provider', 'dynamic']);

/** Evaluates a module call's arguments in the caller's scope and returns the callee's scope. */
async function moduleScope(caller: Scope, name: string): Promise<Scope> {
  const call = caller.json.module?.[name]?.[0];
  if (!call) throw new Error(`module "${name}" is not called in ${caller.dir}`);
  const dir = path.normalize(path.join(caller.dir, String(call.source)));
  const inputs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(call)) if (!META_ARGUMENTS.has(k)) inputs[k] = await evalValue(v, caller);
  const json = dirJson(dir);
  return { dir, json, vars: { ...variableDefaults(json), ...inputs }, pathRoot: caller.pathRoot, refs: caller.refs };
}

async function envScope(env: string): Promise<Scope> {
  const dir = `environments/${env}`;
  const json = dirJson(dir);
  return {
    dir,
    json,
    vars: { ...variableDefaults(json), project_id: PROJECT_ID, initial_image: 'registry.example/app:bootstrap' },
    pathRoot: path.join(TF, dir),
    refs: { 'data.google_project.this.number': PROJECT_NUMBER },
  };
}

async function appScope(env: string): Promise<Scope> {
  return moduleScope(await envScope(env), 'livestreamsell');
}

interface Instance {
  key: unknown;
  body: Record<string, unknown>;
}

/** The instances a resource declares (for_each expanded), with their arguments evaluated. */
async function instances(scope: Scope, type: string, name: string): Promise<Instance[]> {
  const block = scope.json.resource?.[type]?.[name]?.[0];
  if (!block) throw new Error(`no resource ${type}.${name} in ${scope.dir}`);
  let each: Array<{ key: unknown; value: unknown } | undefined> = [undefined];
  if ('for_each' in block) {
    const collection = await evalValue(block.for_each, scope);
    each = Array.isArray(collection)
      ? collection.map((v) => ({ key: v, value: v }))
      : (await asEntries(collection, scope)).map(([key, value]) => ({ key, value }));
  } else if ('count' in block) {
    each = Array.from({ length: Number(await evalValue(block.count, scope)) }, () => undefined);
  }
  const out: Instance[] = [];
  for (const e of each) {
    const inner = { ...scope, each: e };
    const body: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(block)) if (!META_ARGUMENTS.has(k)) body[k] = await evalValue(v, inner);
    // `dynamic "x" { for_each = …; content { … } }` → one `x` block per element, `x.key` / `x.value` bound.
    for (const [blockName, dyns] of Object.entries((block.dynamic ?? {}) as Record<string, Body[]>)) {
      for (const dyn of dyns) {
        if ('iterator' in dyn) throw new Error(`dynamic "${blockName}" with an iterator is not supported in ${scope.dir}`);
        const blocks = (body[blockName] ??= []) as unknown[];
        for (const [key, value] of await asEntries(await evalValue(dyn.for_each, inner), inner)) {
          const content = (dyn.content as Body[])[0]!;
          blocks.push(await evalValue(content, { ...inner, bindings: { ...inner.bindings, [blockName]: { key, value } } }));
        }
      }
    }
    out.push({ key: e?.key ?? null, body });
  }
  return out;
}

/** A service's env as Cloud Run gets it: every value a string (references rendered as their address). */
function stringEnv(env: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(env as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

/** First element of a nested block (hcl2json renders blocks as lists). */
function blockOf(body: Record<string, unknown>, name: string): Record<string, unknown> {
  const b = (body[name] as Record<string, unknown>[] | undefined)?.[0];
  if (!b) throw new Error(`no ${name} block`);
  return b;
}

/** `google_pubsub_topic.main["x"].id` → the `name` argument of that instance. */
async function nameOf(scope: Scope, ref: unknown): Promise<string> {
  const m = ref instanceof Ref ? /^(\w+)\.(\w+)\["([^"]+)"\]\.(id|name)$/.exec(ref.address) : null;
  if (!m) throw new Error(`expected a reference to a keyed resource, got ${String(ref)}`);
  const inst = (await instances(scope, m[1]!, m[2]!)).find((i) => i.key === m[3]);
  if (!inst) throw new Error(`${m[1]}.${m[2]} has no instance "${m[3]}"`);
  return String(inst.body.name);
}

function allResources(): Array<{ file: string; type: string; name: string; body: Body }> {
  const out: Array<{ file: string; type: string; name: string; body: Body }> = [];
  for (const [file, json] of perFile)
    for (const [type, byName] of Object.entries(json.resource ?? {}))
      for (const [name, blocks] of Object.entries(byName)) for (const body of blocks) out.push({ file, type, name, body });
  return out;
}

function deepKeys(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => deepKeys(v, out));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      deepKeys(v, out);
    }
  return out;
}

// What `npm run provision` creates for a consumer (shared/topology/provision-topology.ts), written the same way.
const provisionedEndpoint = (c: ConsumerDefinition, base: string) => new URL(c.path, base).toString();
const provisionedAudience = (base: string) => new URL(base).origin;

// ---------------------------------------------------------------------------------------------------------------

describe('terraform files parse', () => {
  it('finds the modules and environment roots', () => {
    const dirs = new Set(TF_FILES.map((f) => path.relative(TF, path.dirname(f))));
    for (const d of ['pubsub', 'cloud-run-service', 'bigquery', 'secrets', 'firestore', 'livestreamsell']) expect(dirs).toContain(`modules/${d}`);
    for (const env of ENVIRONMENTS) expect(dirs).toContain(`environments/${env}`);
  });

  it.each(TF_FILES.map(rel))('%s is valid HCL', async (file) => {
    // hcl2json's error message carries the file name and position: "parse config: [terraform/x.tf:3,1-2: …]".
    await expect(parseTf(path.join(ROOT, file))).resolves.toBeTypeOf('object');
  });
});

describe('terraform', () => {
  beforeAll(loadTerraform);

  describe('layout and conventions (house style 12)', () => {
    it('every module and environment splits main / variables / outputs', () => {
      for (const dir of perDir.keys()) for (const f of ['main.tf', 'variables.tf', 'outputs.tf']) expect(existsSync(path.join(dir, f)), `${rel(dir)}/${f}`).toBe(true);
    });

    it('every variable has a type and a description', () => {
      const missing: string[] = [];
      for (const [file, json] of perFile)
        for (const [name, [block]] of Object.entries(json.variable ?? {})) {
          if (!block?.type) missing.push(`${file}: variable "${name}" has no type`);
          if (typeof block?.description !== 'string' || !block.description.trim()) missing.push(`${file}: variable "${name}" has no description`);
        }
      expect(missing).toEqual([]);
    });

    it('pins the Google provider in every module and root to 6.13 or later within major 6', () => {
      // 6.13: service account emails are known at plan time, which the for_each over them needs.
      for (const [dir, json] of perDir) {
        const google = (json.terraform ?? []).flatMap((t) => (t.required_providers as Body[] | undefined) ?? []).find((p) => 'google' in p)?.google as Body | undefined;
        expect(google?.source, rel(dir)).toBe('hashicorp/google');
        expect(String(google?.version), rel(dir)).toBe('>= 6.13, < 7');
      }
    });

    it.each(ENVIRONMENTS)('environments/%s is a thin root: GCS backend, provider, one module call, no resources', (env) => {
      const json = dirJson(`environments/${env}`);
      const backend = (json.terraform ?? []).map((t) => t.backend as Record<string, Body[]> | undefined).find(Boolean);
      expect(Object.keys(backend ?? {})).toEqual(['gcs']);
      expect(backend!.gcs![0]!.prefix).toBe(`livestreamsell/${env}`);
      expect(Object.keys(json.provider ?? {})).toEqual(['google']);
      expect(Object.keys(json.module ?? {})).toEqual(['livestreamsell']);
      expect(json.module!.livestreamsell![0]!.source).toBe('../../modules/livestreamsell');
      expect(json.resource ?? {}).toEqual({});
    });

    it('keeps IAM grants in iam.tf (or deploy.tf for the deployer)', () => {
      const misplaced = allResources()
        .filter((r) => /_iam_member$/.test(r.type))
        .filter((r) => !/\/(iam|deploy)\.tf$/.test(r.file))
        .map((r) => `${r.file}: ${r.type}.${r.name}`);
      expect(misplaced).toEqual([]);
    });
  });

  describe('pubsub module = shared/topology/topology.ts', () => {
    let pubsub: Scope;
    beforeAll(async () => {
      pubsub = await moduleScope(await appScope('staging'), 'pubsub');
    });

    it('declares the main topics with their exact names', async () => {
      expect(await evalValue(localValue('main_topics', pubsub), pubsub)).toEqual(Object.values(TOPIC_NAMES));
    });

    it('has one consumer entry per CONSUMERS item, equal field by field', async () => {
      const consumers = (await evalValue(localValue('consumers', pubsub), pubsub)) as Record<string, Record<string, unknown>>;
      expect(Object.keys(consumers).sort()).toEqual(CONSUMERS.map((c) => c.topic).sort());
      for (const c of CONSUMERS) {
        expect(consumers[c.topic], c.topic).toEqual({
          service: c.service,
          path: c.path,
          subscription: c.subscription,
          retry_topic: c.retryTopic,
          retry_subscription: c.retrySubscription,
          dead_letter_topic: c.deadLetterTopic,
          dead_letter_subscription: c.deadLetterSubscription,
          priority: c.priority,
          ack_deadline_seconds: c.ackDeadlineSeconds,
        });
      }
    });

    it('uses the native retry policy and delivery attempts of the code', async () => {
      expect(await evalValue(localValue('native_retry_policy', pubsub), pubsub)).toEqual({
        minimum_backoff_seconds: NATIVE_RETRY_POLICY.minimumBackoffSeconds,
        maximum_backoff_seconds: NATIVE_RETRY_POLICY.maximumBackoffSeconds,
      });
      expect(await evalValue(localValue('main_max_delivery_attempts', pubsub), pubsub)).toBe(MAIN_MAX_DELIVERY_ATTEMPTS);
      expect(await evalValue(localValue('retry_max_delivery_attempts', pubsub), pubsub)).toBe(RETRY_MAX_DELIVERY_ATTEMPTS);
    });

    it('creates exactly the topics allTopics() lists', async () => {
      const names = [];
      for (const r of ['main', 'retry', 'dead_letter']) names.push(...(await instances(pubsub, 'google_pubsub_topic', r)).map((i) => i.body.name));
      expect(names.sort()).toEqual(allTopics().sort());
    });

    it('creates the push subscriptions provision-topology.ts creates: endpoint, OIDC, ack deadline, retry and dead-letter policy', async () => {
      const serviceUrls = pubsub.vars.service_urls as Record<string, string>;
      const push = await instances(pubsub, 'google_pubsub_subscription', 'push');
      expect(push).toHaveLength(2 * CONSUMERS.length);
      for (const c of CONSUMERS) {
        const base = serviceUrls[c.service]!;
        for (const [inst, name, topic, attempts] of [
          [push.find((i) => i.key === c.topic), c.subscription, c.topic, MAIN_MAX_DELIVERY_ATTEMPTS],
          [push.find((i) => i.key === `${c.topic}-retry`), c.retrySubscription, c.retryTopic, RETRY_MAX_DELIVERY_ATTEMPTS],
        ] as const) {
          expect(inst, name).toBeDefined();
          const sub = inst!.body;
          expect(sub.name).toBe(name);
          expect(await nameOf(pubsub, sub.topic)).toBe(topic);
          expect(sub.ack_deadline_seconds).toBe(c.ackDeadlineSeconds);
          const push = blockOf(sub, 'push_config');
          expect(push.push_endpoint).toBe(provisionedEndpoint(c, base));
          expect(blockOf(push, 'oidc_token')).toEqual({
            service_account_email: pubsub.vars.push_service_account_email,
            audience: provisionedAudience(base),
          });
          expect(blockOf(sub, 'retry_policy')).toEqual({
            minimum_backoff: `${NATIVE_RETRY_POLICY.minimumBackoffSeconds}s`,
            maximum_backoff: `${NATIVE_RETRY_POLICY.maximumBackoffSeconds}s`,
          });
          const dlp = blockOf(sub, 'dead_letter_policy');
          expect(await nameOf(pubsub, dlp.dead_letter_topic)).toBe(c.deadLetterTopic);
          expect(dlp.max_delivery_attempts).toBe(attempts);
          expect(blockOf(sub, 'expiration_policy').ttl).toBe('');
        }
      }
    });

    it('puts a pull hold subscription on every dead-letter topic', async () => {
      const holds = await instances(pubsub, 'google_pubsub_subscription', 'dead_letter_hold');
      const dlqTopics = (await instances(pubsub, 'google_pubsub_topic', 'dead_letter')).map((i) => i.body.name);
      expect(dlqTopics.sort()).toEqual(CONSUMERS.map((c) => c.deadLetterTopic).sort());
      for (const c of CONSUMERS) {
        const hold = holds.find((h) => h.body.name === c.deadLetterSubscription);
        expect(hold, c.deadLetterSubscription).toBeDefined();
        expect(await nameOf(pubsub, hold!.body.topic)).toBe(c.deadLetterTopic);
        expect(hold!.body.push_config).toBeUndefined();
        expect(hold!.body.message_retention_duration).toBe(`${DEAD_LETTER_HOLD.messageRetentionSeconds}s`);
        expect(hold!.body.ack_deadline_seconds).toBe(DEAD_LETTER_HOLD.ackDeadlineSeconds);
        expect(hold!.body.retain_acked_messages).toBe(false);
        // Never expire: Pub/Sub's default deletes a subscription after 31 days without activity.
        expect(blockOf(hold!.body, 'expiration_policy').ttl, c.deadLetterSubscription).toBe('');
      }
    });

    it('keeps unacked messages on push subscriptions as long as `npm run provision` sets', async () => {
      const push = await instances(pubsub, 'google_pubsub_subscription', 'push');
      for (const p of push) expect(p.body.message_retention_duration, String(p.key)).toBe(`${SUBSCRIPTION_MESSAGE_RETENTION_SECONDS}s`);
    });

    it('lets the Pub/Sub service agent publish to every dead-letter topic and ack on every source subscription', async () => {
      const publishers = await instances(pubsub, 'google_pubsub_topic_iam_member', 'service_agent_dead_letter_publisher');
      const granted = await Promise.all(publishers.map(async (p) => [await nameOf(pubsub, p.body.topic), p.body.role, p.body.member]));
      expect(granted.sort()).toEqual(CONSUMERS.map((c) => [c.deadLetterTopic, 'roles/pubsub.publisher', PUBSUB_SERVICE_AGENT]).sort());

      const subscribers = await instances(pubsub, 'google_pubsub_subscription_iam_member', 'service_agent_push_subscriber');
      const subs = await Promise.all(subscribers.map(async (s) => [await nameOf(pubsub, s.body.subscription), s.body.role, s.body.member]));
      expect(subs.sort()).toEqual(
        CONSUMERS.flatMap((c) => [c.subscription, c.retrySubscription]).map((s) => [s, 'roles/pubsub.subscriber', PUBSUB_SERVICE_AGENT]).sort(),
      );
    });

    it('lets each service publish to exactly the main topics its code publishes to', async () => {
      // `TOPIC_NAMES.<key>` in a service's code, other than the topic it consumes (`consumerFor(...)`).
      const keyToTopic = TOPIC_NAMES as Record<string, string>;
      const fromCode: Record<string, string[]> = {};
      for (const service of SERVICES) {
        for (const file of listFiles(path.join(ROOT, 'services', service), '.ts')) {
          for (const m of readFileSync(file, 'utf8').matchAll(/(consumerFor\(\s*)?TOPIC_NAMES\.(\w+)/g)) {
            if (m[1]) continue;
            const topic = keyToTopic[m[2]!];
            expect(topic, `${rel(file)}: TOPIC_NAMES.${m[2]}`).toBeDefined();
            const publishers = (fromCode[topic!] ??= []);
            if (!publishers.includes(service)) publishers.push(service);
          }
        }
      }
      expect(fromCode.payment_events?.sort(), 'the reconcile-payments job publishes what webhooks missed').toEqual(['ingress', 'worker']);
      const declared = (await evalValue(localValue('producers', pubsub), pubsub)) as Record<string, string[]>;
      const sorted = (m: Record<string, string[]>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, [...v].sort()]).sort());
      expect(sorted(declared)).toEqual(sorted(fromCode));
      const accounts = pubsub.vars.service_account_emails as Record<string, unknown>;
      const grants = await instances(pubsub, 'google_pubsub_topic_iam_member', 'producer_publisher');
      const got = await Promise.all(grants.map(async (g) => [await nameOf(pubsub, g.body.topic), g.body.role, g.body.member]));
      const want = Object.entries(fromCode).flatMap(([topic, services]) => services.map((s) => [topic, 'roles/pubsub.publisher', `serviceAccount:${String(accounts[s])}`]));
      expect(got.sort()).toEqual(want.sort());
    });

    it('lets each consumer service publish to its own retry and dead-letter topics only', async () => {
      const accounts = pubsub.vars.service_account_emails as Record<string, unknown>;
      for (const [resource, field] of [
        ['consumer_retry_publisher', 'retryTopic'],
        ['consumer_dead_letter_publisher', 'deadLetterTopic'],
      ] as const) {
        const grants = await instances(pubsub, 'google_pubsub_topic_iam_member', resource);
        const got = await Promise.all(grants.map(async (g) => [await nameOf(pubsub, g.body.topic), g.body.member]));
        expect(got.sort()).toEqual(CONSUMERS.map((c) => [c[field], `serviceAccount:${String(accounts[c.service])}`]).sort());
      }
    });
  });

  describe('Cloud Run services', () => {
    let app: Scope;
    beforeAll(async () => {
      app = await appScope('staging');
    });

    async function service(name: Service): Promise<Scope> {
      return moduleScope(app, name);
    }

    it('runs one image with three entrypoints, each an existing main module', async () => {
      for (const name of SERVICES) {
        const svc = await service(name);
        expect(svc.vars.name).toBe(name);
        expect(svc.vars.image).toBe(app.vars.initial_image);
        expect(svc.vars.args).toEqual([`dist/services/${name}/main.js`]);
      }
      // The built file comes from services/<name>/main.ts (tsconfig.build.json: rootDir ".", outDir "dist").
      for (const name of SERVICES) expect(existsSync(path.join(ROOT, `services/${name}/main.ts`)), name).toBe(true);
    });


    it('gives every service its own service account', async () => {
      const accounts = await Promise.all(SERVICES.map(async (s) => String((await service(s)).vars.service_account_email)));
      expect(new Set(accounts).size).toBe(SERVICES.length);
      const runtime = await instances(app, 'google_service_account', 'runtime');
      expect(runtime.map((r) => r.key).sort()).toEqual([...SERVICES].sort());
    });

    it('ingress is public; worker and notifier are invoked only by the push account (and the worker by the scheduler account)', async () => {
      const ingress = await service('ingress');
      expect(ingress.vars.public).toBe(true);
      expect(ingress.vars.invoker_members).toEqual([]);
      const pushMember = `serviceAccount:${String(new Ref('google_service_account.push.email'))}`;
      const schedulerMember = `serviceAccount:${String(new Ref('google_service_account.scheduler.email'))}`;
      const expected = { worker: [pushMember, schedulerMember], notifier: [pushMember] };
      for (const name of ['worker', 'notifier'] as const) {
        const svc = await service(name);
        expect(svc.vars.public, name).toBe(false);
        expect(svc.vars.invoker_members, name).toEqual(expected[name]);
      }
      expect((await moduleScope(app, 'pubsub')).vars.push_service_account_email).toEqual(new Ref('google_service_account.push.email'));
    });

    it('lets each service answer within its subscriptions ack deadlines', async () => {
      for (const name of ['worker', 'notifier'] as const) {
        const longest = Math.max(...CONSUMERS.filter((c) => c.service === name).map((c) => c.ackDeadlineSeconds));
        expect((await service(name)).vars.timeout_seconds as number, name).toBeGreaterThanOrEqual(longest);
      }
    });

    it.each(ENVIRONMENTS)('%s keeps at least one warm worker for the high-priority incoming_comments path', async (env) => {
      const high = CONSUMERS.filter((c) => c.priority === 'high');
      expect(high.map((c) => c.service)).toEqual(['worker']);
      const worker = await moduleScope(await appScope(env), 'worker');
      expect(worker.vars.min_instances as number).toBeGreaterThanOrEqual(1);
    });

    it('sets the push auth audience to the URL the subscriptions push to and sign for', async () => {
      const pubsubUrls = (await moduleScope(app, 'pubsub')).vars.service_urls as Record<string, string>;
      for (const name of ['worker', 'notifier'] as const) {
        const env = (await service(name)).vars.env as Record<string, unknown>;
        expect(env.PUSH_AUTH_AUDIENCE).toBe(`https://${name}-${PROJECT_NUMBER}.${app.vars.region}.run.app`);
        expect(env.PUSH_AUTH_AUDIENCE).toBe(pubsubUrls[name]);
        expect(env.PUSH_AUTH_ENABLED).toBe('true');
        expect(env.RETRY_SCHEDULE).toBe(DEFAULT_RETRY_SCHEDULE);
      }
      // Pushes are signed as the push account; the worker's jobs as the scheduler account, which only it accepts.
      const accepted = async (name: 'worker' | 'notifier') =>
        (name === 'worker' ? workerConfig : notifierConfig).load(stringEnv((await service(name)).vars.env)).pushAuthServiceAccounts;
      expect(await accepted('worker')).toEqual([String(new Ref('google_service_account.push.email')), String(new Ref('google_service_account.scheduler.email'))]);
      expect(await accepted('notifier')).toEqual([String(new Ref('google_service_account.push.email'))]);
    });

    it.each(ENVIRONMENTS)('%s: the worker makes payment links with the ingress provider hosts and notification URL', async (env) => {
      const scope = await appScope(env);
      const worker = stringEnv((await moduleScope(scope, 'worker')).vars.env);
      const ingress = stringEnv((await moduleScope(scope, 'ingress')).vars.env);
      for (const name of ['MERCADOPAGO_API_URL', 'FLOW_API_URL', 'PAYPAL_API_URL']) {
        expect(worker[name], name).toBeDefined();
        expect(worker[name], name).toBe(ingress[name]);
      }
      // Providers notify `<INGRESS_PUBLIC_URL>/webhooks/<provider>/<tienda>`: the ingress's own URL, not the worker's.
      expect(worker.INGRESS_PUBLIC_URL).toBe(`https://ingress-${PROJECT_NUMBER}.${String(scope.vars.region)}.run.app`);
      expect(worker.INGRESS_PUBLIC_URL).toBe(((await evalValue(localValue('service_urls', scope), scope)) as Record<string, string>).ingress);
      const config = workerConfig.load(worker);
      expect(config.ingressPublicUrl).toBe(worker.INGRESS_PUBLIC_URL);
      // The reservation default is the code's own default; the optional link settings are absent unless given.
      expect(config.reservationTtl).toBe(workerConfig.load({ GOOGLE_CLOUD_PROJECT: PROJECT_ID }).reservationTtl);
      expect(worker).not.toHaveProperty('PAYMENT_RETURN_URL');
      expect(worker).not.toHaveProperty('FLOW_PAYER_EMAIL');
    });

    it('passes PAYMENT_RETURN_URL and FLOW_PAYER_EMAIL to the worker when an environment sets them', async () => {
      const root = await envScope('prod');
      root.vars = { ...root.vars, payment_return_url: 'https://shop.example.com/gracias', flow_payer_email: 'pagos@example.com' };
      const worker = stringEnv((await moduleScope(await moduleScope(root, 'livestreamsell'), 'worker')).vars.env);
      expect(worker.PAYMENT_RETURN_URL).toBe('https://shop.example.com/gracias');
      expect(worker.FLOW_PAYER_EMAIL).toBe('pagos@example.com');
      const config = workerConfig.load(worker);
      expect([config.paymentReturnUrl, config.flowPayerEmail]).toEqual(['https://shop.example.com/gracias', 'pagos@example.com']);
    });

    it.each(ENVIRONMENTS)('%s: each service env is accepted by that service config schema', async (env) => {
      const scope = await appScope(env);
      const configs = { ingress: ingressConfig, worker: workerConfig, notifier: notifierConfig } as const;
      for (const name of SERVICES) {
        const vars = Object.fromEntries(
          Object.entries((await moduleScope(scope, name)).vars.env as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
        );
        expect(vars.GOOGLE_CLOUD_PROJECT).toBe(PROJECT_ID);
        expect(vars.SECRETS_SOURCE).toBe('secret-manager');
        const config = configs[name];
        const known = Object.values(config.specs).map((s) => s.env);
        expect(Object.keys(vars).filter((k) => !known.includes(k)), `${name}: env vars its config does not declare`).toEqual([]);
        expect(() => config.load(vars), name).not.toThrow();
      }
    });

    it('passes the analytics dataset to the writers, defaulting to what the worker expects', async () => {
      expect(app.vars.bigquery_dataset_id).toBe(workerConfig.load({ GOOGLE_CLOUD_PROJECT: PROJECT_ID }).bigqueryDataset);
      for (const name of ['worker', 'notifier'] as const) {
        expect(((await service(name)).vars.env as Record<string, unknown>).BIGQUERY_DATASET).toEqual(new Ref('module.bigquery.dataset_id'));
      }
    });
  });

  describe('worker jobs (Cloud Scheduler) = WORKER_JOBS', () => {
    let app: Scope;
    let jobs: Instance[];
    beforeAll(async () => {
      app = await appScope('staging');
      jobs = await instances(app, 'google_cloud_scheduler_job', 'worker_jobs');
    });

    const workerUrl = () => `https://worker-${PROJECT_NUMBER}.${String(app.vars.region)}.run.app`;
    const seconds = (d: unknown) => {
      const m = /^(\d+)s$/.exec(String(d));
      if (!m) throw new Error(`not a duration in seconds: ${String(d)}`);
      return Number(m[1]);
    };
    /** The period of the cron forms the jobs use (`* * * * *`, `*\/N * * * *`); anything else: extend this first. */
    const periodSeconds = (schedule: string) => {
      const m = /^(\*|\*\/(\d+)) \* \* \* \*$/.exec(schedule);
      if (!m) throw new Error(`unsupported schedule form ${schedule}`);
      return (m[2] ? Number(m[2]) : 1) * 60;
    };

    it('declares one job per WORKER_JOBS entry: same name, path and schedule, POSTed to the worker', async () => {
      const list = (await evalValue(localValue('worker_jobs', app), app)) as Array<Record<string, unknown>>;
      const pick = (j: { name: unknown; path: unknown; schedule: unknown }) => ({ name: j.name, path: j.path, schedule: j.schedule });
      const byName = (a: { name: unknown }, b: { name: unknown }) => String(a.name).localeCompare(String(b.name));
      expect(list.map((j) => pick(j as never)).sort(byName)).toEqual(WORKER_JOBS.map(pick).sort(byName));
      expect(jobs.map((j) => j.key).sort()).toEqual(WORKER_JOBS.map((j) => j.name).sort());
      for (const job of WORKER_JOBS) {
        const body = jobs.find((j) => j.key === job.name)!.body;
        expect(body.name, job.name).toBe(job.name);
        expect(body.schedule, job.name).toBe(job.schedule);
        expect(body.time_zone, job.name).toBe('Etc/UTC');
        expect(body.region, job.name).toBe(app.vars.region);
        const http = blockOf(body, 'http_target');
        expect(http.http_method, job.name).toBe('POST');
        expect(http.uri, job.name).toBe(new URL(job.path, workerUrl()).toString());
      }
    });

    it('enables the Cloud Scheduler API the jobs need', async () => {
      const apis = await instances(app, 'google_project_service', 'enabled');
      expect(apis.map((a) => a.body.service)).toContain('cloudscheduler.googleapis.com');
    });

    it('gives each attempt the worker request timeout, and retries only when the retries end before the next tick', async () => {
      const timeout = (await moduleScope(app, 'worker')).vars.timeout_seconds as number;
      for (const j of jobs) {
        const schedule = String(j.body.schedule);
        const deadline = seconds(j.body.attempt_deadline);
        // Scheduler neither abandons (and retries over) a run Cloud Run still serves, nor waits past its cut.
        expect(deadline, String(j.key)).toBe(timeout);
        expect(deadline, 'Cloud Scheduler HTTP targets: 15 s to 30 min').toBeGreaterThanOrEqual(15);
        expect(deadline).toBeLessThanOrEqual(1800);
        const retry = blockOf(j.body, 'retry_config');
        const count = retry.retry_count as number;
        expect(count, String(j.key)).toBeGreaterThanOrEqual(0);
        expect(count, String(j.key)).toBeLessThanOrEqual(5);
        expect(retry.max_retry_duration, 'retry_count alone bounds the retries').toBe('0s');
        // Worst case: every attempt runs to its deadline, with Scheduler's doubling backoff in between.
        const [minB, maxB, doublings] = [seconds(retry.min_backoff_duration), seconds(retry.max_backoff_duration), retry.max_doublings as number];
        let worst = deadline;
        for (let i = 0; i < count; i++) worst += Math.min(maxB, minB * 2 ** Math.min(i, doublings)) + deadline;
        if (count > 0) expect(worst, `${String(j.key)}: retries must end before the next tick`).toBeLessThanOrEqual(periodSeconds(schedule));
      }
      // The every-minute job cannot retry within its minute; the 5-minute one can, once.
      const retries = Object.fromEntries(jobs.map((j) => [j.key, blockOf(j.body, 'retry_config').retry_count]));
      expect(retries).toEqual({ 'expire-reservations': 0, 'reconcile-payments': 1, 'record-live-metrics': 0 });
    });

    /** The app with each service account's email resolved the way Google names it (`<account_id>@<project>.iam…`). */
    async function resolvedApp(env: string): Promise<{ scope: Scope; emails: Record<string, string> }> {
      const plain = await appScope(env);
      const emails: Record<string, string> = {};
      const email = (body: Record<string, unknown>) => `${String(body.account_id)}@${PROJECT_ID}.iam.gserviceaccount.com`;
      for (const name of ['push', 'scheduler', 'deployer']) emails[`google_service_account.${name}.email`] = email((await instances(plain, 'google_service_account', name))[0]!.body);
      for (const r of await instances(plain, 'google_service_account', 'runtime')) emails[`google_service_account.runtime[${JSON.stringify(r.key)}].email`] = email(r.body);
      const root = await envScope(env);
      root.refs = { ...root.refs, ...emails };
      return { scope: await moduleScope(root, 'livestreamsell'), emails };
    }

    /** A Google-style ID token as Cloud Scheduler would send it, signed by a key this test makes. */
    const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const KID = 'scheduler-test-kid';
    function idToken(claims: { aud: string; email: string }): string {
      const now = Math.floor(Date.now() / 1000);
      const b64 = (v: object | Buffer) => (Buffer.isBuffer(v) ? v : Buffer.from(JSON.stringify(v))).toString('base64url');
      const header = b64({ alg: 'RS256', typ: 'JWT', kid: KID });
      const payload = b64({ iss: 'https://accounts.google.com', email_verified: true, iat: now, exp: now + 600, sub: '1', ...claims });
      return `${header}.${payload}.${b64(sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), keys.privateKey))}`;
    }

    it.each(ENVIRONMENTS)('%s: signs each job as an account the worker accepts and may invoke it, and nothing more', async (env) => {
      const { scope, emails } = await resolvedApp(env);
      const worker = await moduleScope(scope, 'worker');
      const notifier = await moduleScope(scope, 'notifier');
      const workerEnv = stringEnv(worker.vars.env);
      const [job] = await instances(scope, 'google_cloud_scheduler_job', 'worker_jobs');
      const oidc = blockOf(blockOf(job!.body, 'http_target'), 'oidc_token');
      const account = String(oidc.service_account_email);
      expect(account).toBe(emails['google_service_account.scheduler.email']);
      for (const j of await instances(scope, 'google_cloud_scheduler_job', 'worker_jobs')) {
        expect(blockOf(blockOf(j.body, 'http_target'), 'oidc_token'), String(j.key)).toEqual(oidc);
      }

      // Cloud Run: the account holds run.invoker on the worker, and the token's audience is one the worker accepts.
      expect(worker.vars.invoker_members).toContain(`serviceAccount:${account}`);
      expect(worker.vars.custom_audiences).toContain(oidc.audience);

      // The worker's own check (shared/pubsub/push-auth.ts), configured from the env Terraform gives it.
      const auth = pushAuthFromConfig(workerConfig.load(workerEnv));
      const koa = new Koa();
      koa.use(createPushAuth({ ...auth, getCerts: async () => ({ [KID]: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString() }) }));
      koa.use((ctx) => {
        ctx.status = 204;
      });
      const srv = await listen(koa);
      try {
        const call = (token: string) => fetch(`${srv.url}/jobs/expire-reservations`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
        expect((await call(idToken({ aud: String(oidc.audience), email: account }))).status).toBe(204);
        // Without an explicit audience Scheduler signs for the full URI, path included: the worker would refuse it.
        const uri = String(blockOf(job!.body, 'http_target').uri);
        expect(uri).not.toBe(oidc.audience);
        expect((await call(idToken({ aud: uri, email: account }))).status).toBe(401);
        // The same job signed as any other account of the project is refused.
        expect((await call(idToken({ aud: String(oidc.audience), email: emails['google_service_account.deployer.email']! }))).status).toBe(401);
      } finally {
        await srv.close();
      }

      // The notifier neither accepts nor lets in the scheduler account.
      expect(notifier.vars.invoker_members).not.toContain(`serviceAccount:${account}`);
      expect(notifierConfig.load(stringEnv(notifier.vars.env)).pushAuthServiceAccounts).not.toContain(account);

      // Cloud Scheduler's agent mints the tokens for that one account.
      const [mint] = await instances(scope, 'google_service_account_iam_member', 'scheduler_agent_token_creator');
      expect(mint!.body).toEqual({
        service_account_id: new Ref('google_service_account.scheduler.name'),
        role: 'roles/iam.serviceAccountTokenCreator',
        member: `serviceAccount:service-${PROJECT_NUMBER}@gcp-sa-cloudscheduler.iam.gserviceaccount.com`,
      });
    });
  });

  describe('bigquery module = shared/analytics/tables', () => {
    it('declares the same tables with the same partitioning and clustering', async () => {
      const bq = await moduleScope(await appScope('staging'), 'bigquery');
      const tables = (await evalValue(localValue('tables', bq), bq)) as Record<string, Record<string, unknown>>;
      expect(Object.keys(tables).sort()).toEqual([...ANALYTICS_TABLE_NAMES].sort());
      for (const name of ANALYTICS_TABLE_NAMES) {
        const cfg = ANALYTICS_TABLES[name];
        expect(tables[name], name).toEqual({ schema_file: cfg.schemaFile, partition_field: cfg.partitionField, clustering: cfg.clustering });
      }
      expect(await evalValue(localValue('partition_type', bq), bq)).toBe(ANALYTICS_PARTITION_TYPE);
    });

    it.each(ENVIRONMENTS)('%s: every table reads its schema from the code JSON file and is partitioned by DAY on a TIMESTAMP', async (env) => {
      const bq = await moduleScope(await appScope(env), 'bigquery');
      const resolved = path.resolve(path.join(TF, `environments/${env}`), String(bq.vars.schemas_dir));
      expect(resolved).toBe(path.join(ROOT, 'shared/analytics/tables'));
      const tables = await instances(bq, 'google_bigquery_table', 'tables');
      expect(tables.map((t) => t.body.table_id).sort()).toEqual([...ANALYTICS_TABLE_NAMES].sort());
      for (const name of ANALYTICS_TABLE_NAMES) {
        const t = tables.find((x) => x.key === name)!.body;
        const schema = JSON.parse(String(t.schema)) as TableField[];
        expect(schema, name).toEqual(loadTableSchema(name));
        const partition = blockOf(t, 'time_partitioning');
        expect(partition.type).toBe('DAY');
        expect(partition.field).toBe(ANALYTICS_TABLES[name].partitionField);
        expect(schema.find((f) => f.name === partition.field)?.type, `${name}.${String(partition.field)}`).toBe('TIMESTAMP');
        expect(t.clustering).toEqual(ANALYTICS_TABLES[name].clustering);
        for (const col of ANALYTICS_TABLES[name].clustering) expect(schema.some((f) => f.name === col), `${name}.${col}`).toBe(true);
      }
    });
  });

  describe('bigquery views = shared/analytics/views/*.sql', () => {
    const VIEWS_DIR = path.join(ROOT, 'shared/analytics/views');

    it.each(ENVIRONMENTS)('%s: one standard-SQL view per .sql file, its query the file with the project and dataset filled in', async (env) => {
      const bq = await moduleScope(await appScope(env), 'bigquery');
      const views = await instances(bq, 'google_bigquery_table', 'views');
      const files = readdirSync(VIEWS_DIR).filter((f) => f.endsWith('.sql'));
      expect(views.map((v) => `${String(v.key)}.sql`).sort()).toEqual(files.sort());
      expect(files).toContain('live_funnel.sql');
      const dataset = String(bq.vars.dataset_id);
      for (const v of views) {
        const view = blockOf(v.body, 'view');
        expect(view.use_legacy_sql, String(v.key)).toBe(false);
        const query = String(view.query);
        const expected = readFileSync(path.join(VIEWS_DIR, `${String(v.key)}.sql`), 'utf8').replaceAll('${project_id}', String(bq.vars.project_id)).replaceAll('${dataset_id}', dataset);
        expect(query).toBe(expected);
        expect(query).not.toMatch(/\$\{/);
      }
    });

    it('the funnel reads only tables that exist, by their columns', () => {
      const sql = readFileSync(path.join(VIEWS_DIR, 'live_funnel.sql'), 'utf8');
      const tables = [...sql.matchAll(/`\$\{project_id\}\.\$\{dataset_id\}\.([a-z_]+)`/g)].map((m) => m[1]!);
      expect(new Set(tables)).toEqual(new Set(['comments', 'intents', 'orders', 'notifications', 'live_metrics']));
      for (const t of tables) expect(ANALYTICS_TABLE_NAMES as readonly string[]).toContain(t);
      // Columns the view depends on exist in the schemas the code writes.
      const needs: Record<string, string[]> = {
        comments: ['comment_id', 'tienda_id', 'live_id', 'received_at'],
        intents: ['comment_id', 'intent', 'source'],
        orders: ['order_id', 'status', 'total_amount', 'currency', 'created_at'],
        notifications: ['comment_id', 'status', 'latency_ms'],
        live_metrics: ['live_views'],
      };
      for (const [t, cols] of Object.entries(needs)) {
        const names = loadTableSchema(t as (typeof ANALYTICS_TABLE_NAMES)[number]).map((f) => f.name);
        for (const c of cols) expect(names, `${t}.${c}`).toContain(c);
      }
    });
  });

  describe('secrets', () => {
    /** Secret ids the code asks for by literal (`secrets.get('x')`, `getOptional('x')`, `refresh('x')`). */
    function secretIdsReadByCode(): string[] {
      const ids = new Set<string>(Object.values(PLATFORM_SECRETS));
      for (const file of [...listFiles(path.join(ROOT, 'services'), '.ts'), ...listFiles(path.join(ROOT, 'shared'), '.ts')]) {
        for (const m of readFileSync(file, 'utf8').matchAll(/secrets\.(?:get|getOptional|refresh)\(\s*'([A-Za-z0-9_-]+)'/g)) ids.add(m[1]!);
      }
      return [...ids];
    }

    it('declares a Secret Manager secret for every platform secret the code reads', async () => {
      const secrets = await moduleScope(await appScope('staging'), 'secrets');
      const declared = Object.keys(secrets.vars.secrets as object);
      const created = (await instances(secrets, 'google_secret_manager_secret', 'this')).map((s) => s.body.secret_id);
      expect(created.sort()).toEqual(declared.sort());
      for (const id of [...PLATFORM_SECRET_IDS, ...secretIdsReadByCode()]) expect(declared, id).toContain(id);
      // Each is readable by at least one service, through a grant on that secret.
      for (const [id, readers] of Object.entries(secrets.vars.secrets as Record<string, unknown[]>)) expect(readers.length, id).toBeGreaterThan(0);
    });

    it('commits no secret value: no secret versions, no secret_data anywhere', () => {
      expect(allResources().filter((r) => r.type === 'google_secret_manager_secret_version')).toEqual([]);
      for (const [file, json] of perFile) expect(deepKeys(json).filter((k) => /secret_data|payload/i.test(k)), file).toEqual([]);
    });

    /**
     * The few IAM condition forms the module writes, evaluated on a resource name: `resource.name.startsWith("…")`
     * and `resource.name.endsWith("…")`, joined by `&&`. Anything else fails the test (add it here first).
     */
    function conditionAllows(expression: string, resourceName: string): boolean {
      return expression.split(' && ').every((term) => {
        const m = /^resource\.name\.(startsWith|endsWith)\("([^"]*)"\)$/.exec(term.trim());
        if (!m) throw new Error(`unsupported condition term: ${term}`);
        return m[1] === 'startsWith' ? resourceName.startsWith(m[2]!) : resourceName.endsWith(m[2]!);
      });
    }

    /** Per-tienda secret names a service's code reads (`tiendaSecretId(x, 'name')`, `tienda-${…}-name` templates). */
    function tiendaSecretNamesReadBy(service: Service): string[] {
      const names = new Set<string>();
      for (const file of listFiles(path.join(ROOT, 'services', service), '.ts')) {
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(/tiendaSecretId\(\s*[^,]+,\s*'([a-z0-9-]+)'\s*\)/g)) names.add(m[1]!);
        for (const m of text.matchAll(/`tienda-\$\{[^}]+\}-([a-z0-9-]+)`/g)) names.add(m[1]!);
      }
      return [...names].sort();
    }

    /** The per-tienda secret names the payment-link code reads (its `SECRET_NAMES` table). */
    function paymentLinkSecretNames(): string[] {
      const text = readFileSync(path.join(ROOT, 'shared/payments/payment-links.ts'), 'utf8');
      const table = /const SECRET_NAMES[^=]*=\s*\{([\s\S]*?)\n\};/.exec(text);
      if (!table) throw new Error('SECRET_NAMES not found in shared/payments/payment-links.ts');
      return [...new Set([...table[1]!.matchAll(/'([a-z0-9-]+)'/g)].map((m) => m[1]!))].sort();
    }

    it('lets only the services that read per-tienda secrets read them, each only what it reads (least privilege)', async () => {
      const app = await appScope('staging');
      const grants = await instances(app, 'google_project_iam_member', 'runtime_tienda_secret_accessor');
      const byService = new Map<string, string>();
      for (const g of grants) {
        expect(g.body.role).toBe('roles/secretmanager.secretAccessor');
        expect(g.body.member).toEqual(`serviceAccount:${String(new Ref(`google_service_account.runtime[${JSON.stringify(g.key)}].email`))}`);
        byService.set(String(g.key), String(blockOf(g.body, 'condition').expression));
      }
      // What Secret Manager evaluates: the version the code reads (shared/secrets/secret-manager-source.ts).
      const version = (id: string) => `projects/${PROJECT_NUMBER}/secrets/${id}/versions/latest`;
      const reads = {
        ingress: tiendaSecretNamesReadBy('ingress'),
        notifier: tiendaSecretNamesReadBy('notifier'),
        // The worker creates payment links (shared/payments/payment-links.ts, SECRET_NAMES) with the same provider
        // credentials the ingress verifies with.
        // … and reads on-air lives' Graph metrics with the Page token (services/worker/live-metrics).
        worker: [...new Set([...tiendaSecretNamesReadBy('ingress'), ...paymentLinkSecretNames(), 'meta-page-token'])].sort(),
      };
      expect(paymentLinkSecretNames()).toEqual(expect.arrayContaining(['mercadopago-access-token', 'flow-api-key', 'flow-secret-key', 'paypal-client-id', 'paypal-client-secret']));
      expect(reads.ingress).toEqual(expect.arrayContaining(['mercadopago-access-token', 'mercadopago-webhook-secret', 'flow-secret-key', 'paypal-client-secret']));
      expect(reads.notifier).toEqual(['meta-page-token']);
      expect([...byService.keys()].sort()).toEqual(['ingress', 'notifier', 'worker']);

      for (const [service, names] of Object.entries(reads)) {
        const expression = byService.get(service)!;
        for (const name of names) expect(conditionAllows(expression, version(tiendaSecretId('t1', name))), `${service} reads ${name}`).toBe(true);
        // Never a platform secret through this grant.
        for (const id of PLATFORM_SECRET_IDS) expect(conditionAllows(expression, version(id)), `${service} via tienda grant: ${id}`).toBe(false);
      }
      // The notifier replies with a Page token and holds no payment credential.
      for (const name of reads.ingress) {
        expect(conditionAllows(byService.get('notifier')!, version(tiendaSecretId('t1', name))), `notifier must not read ${name}`).toBe(false);
      }
      // The notifier's page-token secret id is the one its handler builds.
      expect(pageTokenSecretId('t1')).toBe(tiendaSecretId('t1', 'meta-page-token'));
    });
  });

  describe('firestore', () => {
    it('expires idempotency keys with a TTL policy on expires_at', async () => {
      const fs = await moduleScope(await appScope('staging'), 'firestore');
      const [ttl] = await instances(fs, 'google_firestore_field', 'idempotency_keys_ttl');
      expect(ttl!.body.collection).toBe('idempotency_keys');
      expect(ttl!.body.field).toBe('expires_at');
      expect(ttl!.body.ttl_config).toEqual([{}]);
      // The store writes exactly that field on exactly that collection.
      const store = readFileSync(path.join(ROOT, 'shared/idempotency/idempotency-store.ts'), 'utf8');
      expect(store).toContain("?? 'idempotency_keys'");
      expect(store).toMatch(/expires_at: Timestamp\./);
    });

    it('declares exactly the composite indexes of ORDER_INDEXES, each field in order', async () => {
      const fs = await moduleScope(await appScope('staging'), 'firestore');
      const indexes = await instances(fs, 'google_firestore_index', 'composite');
      // What Firestore gets: the collection and the `fields` blocks in order (the dynamic block expanded).
      const declared = indexes.map((i) => ({
        collection: i.body.collection,
        fields: (i.body.fields as Array<{ field_path: string; order: string }>).map((f) => [f.field_path, f.order]),
      }));
      const expected = ORDER_INDEXES.map((x) => ({ collection: x.collection, fields: x.fields.map((f) => [...f]) }));
      const sorted = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).sort();
      expect(sorted(declared)).toEqual(sorted(expected));
      for (const i of indexes) {
        expect(i.body.query_scope, String(i.key)).toBe('COLLECTION');
        expect(i.body.database, String(i.key)).toEqual(await evalValue(localValue('database_name', fs), fs));
      }
    });
  });

  describe('IAM stays narrow (house style 13)', () => {
    it('uses only additive _member resources, never _binding or _policy', () => {
      const authoritative = allResources().filter((r) => /_iam_(binding|policy)$/.test(r.type)).map((r) => `${r.file}: ${r.type}.${r.name}`);
      expect(authoritative).toEqual([]);
    });

    it('grants no project-wide invoker, owner, editor or unconditioned secret access', () => {
      const projectGrants = allResources().filter((r) => r.type === 'google_project_iam_member');
      expect(projectGrants.length).toBeGreaterThan(0);
      for (const g of projectGrants) {
        const where = `${g.file}: ${g.name}`;
        expect(['roles/run.invoker', 'roles/owner', 'roles/editor', 'roles/run.admin'], where).not.toContain(g.body.role);
        if (g.body.role === 'roles/secretmanager.secretAccessor') expect(g.body.condition, where).toBeDefined();
      }
    });

    it('grants run.invoker only on single services, and allUsers only on the public one', () => {
      const invokers = allResources().filter((r) => r.body.role === 'roles/run.invoker');
      for (const r of invokers) expect(r.type, `${r.file}: ${r.name}`).toBe('google_cloud_run_v2_service_iam_member');
      const allUsers = invokers.filter((r) => r.body.member === 'allUsers');
      expect(allUsers.map((r) => [r.name, r.body.count])).toEqual([['public_invoker', '${var.public ? 1 : 0}']]);
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// cloudbuild.yaml: read line by line (no YAML library; the file is kept flat for this).

interface BuildStep {
  id: string;
  lines: string[];
}

function readCloudBuild(): { steps: BuildStep[]; substitutions: Record<string, string>; text: string; topLevel: string[] } {
  const text = readFileSync(path.join(ROOT, 'cloudbuild.yaml'), 'utf8');
  const lines = text.split('\n');
  const topLevel: string[] = [];
  const sections: Record<string, string[]> = {};
  let current: string | null = null;
  for (const line of lines) {
    if (/^\s*#/.test(line) || !line.trim()) {
      if (current) sections[current]!.push(line);
      continue;
    }
    const top = /^([A-Za-z_]+):/.exec(line);
    if (top) {
      current = top[1]!;
      topLevel.push(current);
      sections[current] = [];
    } else if (current) {
      sections[current]!.push(line);
    }
  }
  const substitutions: Record<string, string> = {};
  for (const line of sections.substitutions ?? []) {
    const m = /^ {2}(_[A-Z0-9_]+):\s*(.*)$/.exec(line);
    if (m) substitutions[m[1]!] = m[2]!.trim();
  }
  const steps: BuildStep[] = [];
  for (const line of sections.steps ?? []) {
    if (/^ {2}- /.test(line)) {
      const m = /^ {2}- id: ([a-z0-9-]+)\s*$/.exec(line);
      if (!m) throw new Error(`cloudbuild.yaml: a step must start with "  - id: <id>", got: ${line}`);
      steps.push({ id: m[1]!, lines: [] });
    } else if (/^\s*#/.test(line) || !line.trim()) {
      continue;
    } else {
      if (!steps.length) throw new Error(`cloudbuild.yaml: content before the first step: ${line}`);
      if (!/^ {4}/.test(line)) throw new Error(`cloudbuild.yaml: step content must be indented 4+ spaces: ${line}`);
      steps.at(-1)!.lines.push(line);
    }
  }
  return { steps, substitutions, text, topLevel };
}

describe('cloudbuild.yaml (house style 14)', () => {
  const build = readCloudBuild();
  const stepText = (id: string) => build.steps.find((s) => s.id === id)?.lines.join('\n') ?? '';

  it('gives every step a unique id and an image', () => {
    expect(build.steps.length).toBeGreaterThan(0);
    expect(new Set(build.steps.map((s) => s.id)).size).toBe(build.steps.length);
    for (const s of build.steps) expect(s.lines.some((l) => /^ {4}name: \S+/.test(l)), s.id).toBe(true);
  });

  it('runs the stages in order: typecheck → tests → build → push → deploy → provision → smoke → traffic', () => {
    const order = [
      'install',
      'typecheck',
      'test',
      'docker-build',
      'docker-push',
      'deploy-worker',
      'deploy-notifier',
      'deploy-ingress',
      'provision-topology',
      'smoke-test',
      'shift-traffic',
    ];
    const ids = build.steps.map((s) => s.id);
    expect(ids.filter((id) => order.includes(id))).toEqual(order);
    // No waitFor: each step waits for all the previous ones, so the file order is the execution order.
    expect(build.text).not.toMatch(/waitFor/);
  });

  it('declares a default for every user substitution it uses', () => {
    const used = new Set([...build.text.matchAll(/\$\{?(_[A-Z0-9_]+)/g)].map((m) => m[1]!));
    for (const name of used) expect(build.substitutions[name], name).toBeTruthy();
  });

  it('tags the image with $SHORT_SHA and deploys that image to every service with no traffic and a tag', () => {
    const image = '${_REGION}-docker.pkg.dev/${PROJECT_ID}/${_REPOSITORY}/${_IMAGE_NAME}:${SHORT_SHA}';
    expect(stepText('docker-build')).toContain(`--tag=${image}`);
    expect(stepText('docker-push')).toContain(image);
    for (const svc of SERVICES) {
      const text = stepText(`deploy-${svc}`);
      expect(text, svc).toContain(`      - ${svc}\n`);
      expect(text, svc).toContain(`--image=${image}`);
      expect(text, svc).toContain('--no-traffic');
      expect(text, svc).toContain('--tag=sha-${SHORT_SHA}');
    }
  });

  it('ends every run where Terraform declares the services: traffic to LATEST, no tags left (old revisions stop answering)', () => {
    const text = stepText('shift-traffic');
    expect(text).toContain('for service in worker notifier ingress; do');
    expect(text).toMatch(/update-traffic "\$\$service" --region=\$\{_REGION\} --to-latest --clear-tags\n/);
    // Pinning traffic to a tag or a revision would leave a revision Terraform creates with 0 %.
    expect(build.text).not.toMatch(/--to-tags|--to-revisions/);
  });

  it('runs the emulator tests in an image with the Cloud SDK emulators', () => {
    expect(build.substitutions._EMULATORS_IMAGE).toMatch(/google-cloud-cli:.*emulators/);
    expect(stepText('test')).toMatch(/name: \$\{_EMULATORS_IMAGE\}/);
    expect(stepText('test')).toContain('npm test');
  });

  it('provisions the topology with the same URLs and push account Terraform uses', async () => {
    const text = stepText('provision-topology');
    expect(text).toMatch(/- run\n\s+- provision/);
    // Resolve the step's env the way Cloud Build would, then read it with the script's own config schema.
    const builtins: Record<string, string> = { PROJECT_ID, PROJECT_NUMBER, SHORT_SHA: 'abc1234' };
    const resolve = (v: string) => v.replace(/\$\{(\w+)\}/g, (_, n: string) => build.substitutions[n] ?? builtins[n] ?? `<unset ${n}>`);
    const env = Object.fromEntries([...text.matchAll(/^ {6}- ([A-Z_]+)=(.*)$/gm)].map((m) => [m[1]!, resolve(m[2]!)]));
    const config = provisionConfig.load(env);
    expect(config.projectId).toBe(PROJECT_ID);

    // Terraform: same push account, same repository, same region, and the subscriptions it declares push to the
    // very endpoints `npm run provision` would set with these URLs.
    await loadTerraform();
    const app = await appScope('staging');
    expect(app.vars.region).toBe(build.substitutions._REGION);
    expect(app.vars.artifact_repository).toBe(build.substitutions._REPOSITORY);
    const [push] = await instances(app, 'google_service_account', 'push');
    expect(config.pushServiceAccount).toBe(`${String(push!.body.account_id)}@${PROJECT_ID}.iam.gserviceaccount.com`);
    const pubsub = await moduleScope(app, 'pubsub');
    const urls = { worker: config.workerUrl, notifier: config.notifierUrl };
    const subs = await instances(pubsub, 'google_pubsub_subscription', 'push');
    for (const c of CONSUMERS) {
      const push = blockOf(subs.find((i) => i.key === c.topic)!.body, 'push_config');
      expect(push.push_endpoint, c.subscription).toBe(provisionedEndpoint(c, urls[c.service]));
      expect(blockOf(push, 'oidc_token').audience, c.subscription).toBe(provisionedAudience(urls[c.service]));
    }
  });

  it('smoke-tests /healthz on the tagged ingress URL before shifting traffic', () => {
    expect(stepText('smoke-test')).toContain('https://sha-${SHORT_SHA}---ingress-${PROJECT_NUMBER}.${_REGION}.run.app/healthz');
  });

  it('logs to Cloud Logging (required with a user-specified build service account)', () => {
    expect(build.text).toMatch(/^options:\n(?: {2}.*\n)*? {2}logging: CLOUD_LOGGING_ONLY$/m);
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const instructions = text
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('#'))
    .map((l) => l.trim());

  it('is multi-stage on a current Node LTS slim image', () => {
    const froms = instructions.filter((l) => /^FROM /i.test(l));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/^ARG NODE_VERSION=(22|24)$/m);
    for (const f of froms) expect(f).toMatch(/^FROM node:\$\{NODE_VERSION\}-slim AS \w+$/);
  });

  it('installs with npm ci, builds, and drops dev dependencies', () => {
    expect(text).toMatch(/RUN npm ci\b/);
    expect(text).toMatch(/npm run build/);
    expect(text).toMatch(/npm prune --omit=dev/);
  });

  it('runs node as PID 1 as a non-root user, defaulting to the ingress', () => {
    const last = (re: RegExp) => instructions.filter((l) => re.test(l)).at(-1);
    expect(last(/^ENTRYPOINT /)).toBe('ENTRYPOINT ["node"]');
    expect(last(/^CMD /)).toBe('CMD ["dist/services/ingress/main.js"]');
    expect(last(/^USER /)).toMatch(/^USER (?!root\b|0\b)\S+$/);
    expect(text).not.toMatch(/^(CMD|ENTRYPOINT) \[?"?npm/m);
  });

  it('keeps secrets, tests, scripts and local state out of the build context (Docker semantics)', () => {
    const rules = parseDockerignore(readFileSync(path.join(ROOT, '.dockerignore'), 'utf8'));
    for (const entry of ['node_modules', '.git', '.env', 'terraform', 'tests', 'dist', 'scripts', 'bench', 'data', 'docs']) expect(isIgnored(rules, `${entry}/x`), entry).toBe(true);
    for (const entry of ['services/worker/main.ts', 'shared/pubsub/push-handler.ts', 'package.json', 'package-lock.json']) expect(isIgnored(rules, entry), entry).toBe(false);
  });

  it('builds only what the services run: services/ and shared/', () => {
    const build = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
    expect(build.include.sort()).toEqual(['services', 'shared']);
    const copied = instructions.filter((l) => /^COPY (?!--from)/.test(l)).flatMap((l) => l.split(/\s+/).slice(1, -1));
    expect(copied.sort()).toEqual(['package-lock.json', 'package.json', 'services', 'shared', 'tsconfig.build.json', 'tsconfig.json']);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Deployment that applies: one owner per Cloud Run field, a first apply in order, alerts over the whole topology.

describe('deployment (docs/deploy.md)', () => {
  beforeAll(loadTerraform);

  describe('who owns what on Cloud Run', () => {
    it('Terraform ignores the image and nothing else; traffic is LATEST 100 %, where the pipeline ends every run', () => {
      const svc = dirJson('modules/cloud-run-service').resource!.google_cloud_run_v2_service!.this![0]!;
      const lifecycle = (svc.lifecycle as Body[])[0]!;
      // Not template[0].revision: echoing gcloud's revision name makes Cloud Run answer 409 on Terraform's next
      // template change. Not traffic: a revision Terraform creates must take the traffic, not get 0 %.
      expect(lifecycle.ignore_changes).toEqual(['${template[0].containers[0].image}', '${client}', '${client_version}']);
      expect(svc.traffic).toEqual([{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }]);
      expect(blockOf(svc, 'template').revision).toBeUndefined();
    });

    it('lets the internet reach the webhook ingress only; worker and notifier take Pub/Sub push and Scheduler as internal traffic', async () => {
      const app = await appScope('prod');
      const ingress = { ingress: 'INGRESS_TRAFFIC_ALL', worker: 'INGRESS_TRAFFIC_INTERNAL_ONLY', notifier: 'INGRESS_TRAFFIC_INTERNAL_ONLY' };
      for (const name of SERVICES) {
        const svc = await moduleScope(app, name);
        expect(svc.vars.ingress, name).toBe(ingress[name]);
        const [run] = await instances(svc, 'google_cloud_run_v2_service', 'this');
        expect(run!.body.ingress, name).toBe(ingress[name]);
      }
      // Internal-only admits Pub/Sub and Cloud Scheduler of the same project on the run.app URL: every push
      // endpoint and job target is the services' default URL.
      const pubsub = await moduleScope(app, 'pubsub');
      for (const p of await instances(pubsub, 'google_pubsub_subscription', 'push')) {
        expect(String(blockOf(p.body, 'push_config').push_endpoint), String(p.key)).toMatch(/^https:\/\/(worker|notifier)-\d+\.[a-z0-9-]+\.run\.app\//);
      }
      for (const j of await instances(app, 'google_cloud_scheduler_job', 'worker_jobs')) {
        expect(String(blockOf(j.body, 'http_target').uri)).toMatch(/^https:\/\/worker-\d+\.[a-z0-9-]+\.run\.app\//);
      }
    });
  });

  describe('first apply', () => {
    it('starts no service before the grants its code reads with exist (the worker exits without its secrets)', () => {
      const modules = dirJson('modules/livestreamsell').module!;
      const grants = ['${module.secrets}', '${google_project_iam_member.runtime_firestore_user}', '${google_project_iam_member.runtime_tienda_secret_accessor}'];
      for (const name of SERVICES) expect(modules[name]![0]!.depends_on, name).toEqual(expect.arrayContaining(['${google_project_service.enabled}', ...grants]));
      expect(modules.worker![0]!.depends_on).toContain('${google_project_iam_member.worker_vertex_user}');
      // The secret grants the worker needs at start are in module.secrets, next to the secrets it reads.
      const secrets = dirJson('modules/livestreamsell').module!.secrets![0]!.secrets as Record<string, string[]>;
      for (const id of ['gemini-api-key', 'openai-api-key', 'openrouter-api-key']) expect(secrets[id], id).toEqual(['serviceAccount:${google_service_account.runtime["worker"].email}']);
    });

    it('enables the APIs a plan reads (Resource Manager) and the alerts need (Monitoring)', async () => {
      const apis = (await instances(await appScope('staging'), 'google_project_service', 'enabled')).map((a) => a.body.service);
      expect(apis).toEqual(expect.arrayContaining(['cloudresourcemanager.googleapis.com', 'serviceusage.googleapis.com', 'monitoring.googleapis.com', 'run.googleapis.com']));
    });

    it('refuses a trigger that sets both or neither of branch and tag', async () => {
      const app = await appScope('staging');
      const condition = (dirJson('modules/livestreamsell').variable!.github_trigger![0]!.validation as Body[])[0]!.condition;
      const valid = (trigger: unknown) => evalValue(condition, { ...app, vars: { ...app.vars, github_trigger: trigger } });
      const base = { owner: 'o', repository: 'r' };
      expect(await valid(null)).toBe(true);
      expect(await valid({ ...base, branch_regex: '^main$', tag_regex: null })).toBe(true);
      expect(await valid({ ...base, branch_regex: null, tag_regex: '^v.*$' })).toBe(true);
      expect(await valid({ ...base, branch_regex: '^main$', tag_regex: '^v.*$' })).toBe(false);
      expect(await valid({ ...base, branch_regex: null, tag_regex: null })).toBe(false);
    });

    it('lets the deployer read the build sources bucket, so `gcloud builds submit` as the deployer can fetch its source', async () => {
      const app = await appScope('staging');
      const [reader] = await instances(app, 'google_storage_bucket_iam_member', 'deployer_source_reader');
      expect(reader!.body).toEqual({ bucket: new Ref('google_storage_bucket.build_sources.name'), role: 'roles/storage.objectViewer', member: `serviceAccount:${String(new Ref('google_service_account.deployer.email'))}` });
      const [bucket] = await instances(app, 'google_storage_bucket', 'build_sources');
      expect(bucket!.body.name).toBe(`${PROJECT_ID}-build-sources`);
      expect(bucket!.body.public_access_prevention).toBe('enforced');
    });

    it('builds the bootstrap image as the deployer, under the name the environments create the services with', () => {
      const text = readFileSync(path.join(ROOT, 'cloudbuild.bootstrap.yaml'), 'utf8');
      expect(text).toMatch(/^options:\n(?: {2}#.*\n)*? {2}logging: CLOUD_LOGGING_ONLY$/m);
      const subs = Object.fromEntries([...text.matchAll(/^ {2}(_[A-Z_]+): (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
      for (const env of ENVIRONMENTS) {
        const example = readFileSync(path.join(TF, `environments/${env}/terraform.tfvars.example`), 'utf8');
        const project = /^project_id\s*=\s*"([^"]+)"/m.exec(example)![1]!;
        const initial = /^initial_image\s*=\s*"([^"]+)"/m.exec(example)![1]!;
        const image = /^images:\n {2}- (\S+)$/m.exec(text)![1]!.replace(/\$\{(\w+)\}/g, (_, n: string) => (n === 'PROJECT_ID' ? project : subs[n]!));
        expect(image, env).toBe(initial);
      }
      expect(readCloudBuild().substitutions._REGION).toBe(subs._REGION);
    });
  });

  describe('alerts (Cloud Monitoring)', () => {
    const CHANNEL = 'projects/lss-test/notificationChannels/42';
    async function withChannel(env: string): Promise<Scope> {
      const root = await envScope(env);
      root.vars = { ...root.vars, notification_channels: [CHANNEL] };
      return moduleScope(root, 'livestreamsell');
    }
    const subscriptionIn = (filter: unknown) => /resource\.labels\.subscription_id = "([^"]+)"/.exec(String(filter))?.[1];
    const condition = (policy: Instance) => (policy.body.conditions as Body[])[0]!;

    it('watches every dead-letter topic through its hold subscription', async () => {
      const pubsub = await moduleScope(await withChannel('prod'), 'pubsub');
      const policies = await instances(pubsub, 'google_monitoring_alert_policy', 'dead_letters');
      const holds = await instances(pubsub, 'google_pubsub_subscription', 'dead_letter_hold');
      const watched = new Map<string, Body>();
      for (const p of policies) {
        const t = blockOf(condition(p), 'condition_threshold');
        expect(String(t.filter)).toContain('metric.type = "pubsub.googleapis.com/subscription/num_undelivered_messages"');
        expect([t.comparison, t.threshold_value]).toEqual(['COMPARISON_GT', 0]);
        expect(p.body.notification_channels).toEqual([CHANNEL]);
        watched.set(subscriptionIn(t.filter)!, t);
      }
      for (const c of CONSUMERS) {
        expect(watched.has(c.deadLetterSubscription), c.deadLetterTopic).toBe(true);
        const hold = holds.find((h) => h.body.name === c.deadLetterSubscription)!;
        expect(await nameOf(pubsub, hold.body.topic)).toBe(c.deadLetterTopic);
      }
      expect(watched.size).toBe(CONSUMERS.length);
    });

    it('watches the oldest unacked message of every push subscription, retry ones with room for the longest step', async () => {
      const pubsub = await moduleScope(await withChannel('prod'), 'pubsub');
      const policies = await instances(pubsub, 'google_monitoring_alert_policy', 'oldest_unacked');
      const threshold = new Map<string, number>();
      for (const p of policies) {
        const t = blockOf(condition(p), 'condition_threshold');
        expect(String(t.filter)).toContain('metric.type = "pubsub.googleapis.com/subscription/oldest_unacked_message_age"');
        expect(t.comparison).toBe('COMPARISON_GT');
        expect(p.body.notification_channels).toEqual([CHANNEL]);
        threshold.set(subscriptionIn(t.filter)!, t.threshold_value as number);
      }
      expect([...threshold.keys()].sort()).toEqual(CONSUMERS.flatMap((c) => [c.subscription, c.retrySubscription]).sort());
      // A retry subscription holds each message until its not_before: up to the longest step plus one max backoff.
      const longestStep = Math.max(...DEFAULT_RETRY_SCHEDULE.split(',').map((s) => parseDuration(s) / 1000));
      for (const c of CONSUMERS) {
        expect(threshold.get(c.retrySubscription)!, c.retrySubscription).toBeGreaterThan(longestStep + NATIVE_RETRY_POLICY.maximumBackoffSeconds);
        expect(threshold.get(c.subscription)!, c.subscription).toBeGreaterThanOrEqual(c.ackDeadlineSeconds);
        expect(threshold.get(c.subscription)!, c.subscription).toBeLessThan(threshold.get(c.retrySubscription)!);
      }
      const high = CONSUMERS.filter((c) => c.priority === 'high').map((c) => threshold.get(c.subscription)!);
      const normal = CONSUMERS.filter((c) => c.priority !== 'high').map((c) => threshold.get(c.subscription)!);
      expect(Math.max(...high)).toBeLessThan(Math.min(...normal));
    });

    it('watches the 5xx share and p95 latency of every service, each below its timeout', async () => {
      const app = await withChannel('prod');
      const errors = await instances(app, 'google_monitoring_alert_policy', 'service_5xx');
      const latency = await instances(app, 'google_monitoring_alert_policy', 'service_latency');
      expect(errors.map((p) => p.key).sort()).toEqual([...SERVICES].sort());
      expect(latency.map((p) => p.key).sort()).toEqual([...SERVICES].sort());
      for (const name of SERVICES) {
        const only = `resource.type = "cloud_run_revision" AND resource.labels.service_name = "${name}"`;
        const e = blockOf(condition(errors.find((p) => p.key === name)!), 'condition_threshold');
        expect(String(e.filter)).toBe(`${only} AND metric.type = "run.googleapis.com/request_count" AND metric.labels.response_code_class = "5xx"`);
        expect(String(e.denominator_filter)).toBe(`${only} AND metric.type = "run.googleapis.com/request_count"`);
        expect(e.threshold_value as number).toBeGreaterThan(0);
        expect(e.threshold_value as number).toBeLessThan(1);
        const l = blockOf(condition(latency.find((p) => p.key === name)!), 'condition_threshold');
        expect(String(l.filter)).toBe(`${only} AND metric.type = "run.googleapis.com/request_latencies"`);
        const timeoutMs = ((await moduleScope(app, name)).vars.timeout_seconds as number) * 1000;
        expect(l.threshold_value as number, name).toBeLessThan(timeoutMs);
        for (const p of [...errors, ...latency]) expect(p.body.notification_channels).toEqual([CHANNEL]);
      }
    });

    it('watches every worker job for failed attempts', async () => {
      const app = await withChannel('staging');
      const policies = await instances(app, 'google_monitoring_alert_policy', 'scheduler_job_failed');
      expect(policies.map((p) => p.key).sort()).toEqual(WORKER_JOBS.map((j) => j.name).sort());
      for (const p of policies) {
        const log = blockOf(condition(p), 'condition_matched_log');
        expect(String(log.filter)).toBe(`resource.type = "cloud_scheduler_job" AND resource.labels.job_id = "${String(p.key)}" AND resource.labels.location = "${String(app.vars.region)}" AND severity >= ERROR`);
        expect(p.body.notification_channels).toEqual([CHANNEL]);
        // Log-match conditions need a notification rate limit.
        expect(blockOf(blockOf(p.body, 'alert_strategy'), 'notification_rate_limit').period).toBeTruthy();
      }
    });

    it('lets every environment choose the notification channels, and every policy notify them', () => {
      for (const env of ENVIRONMENTS) expect(dirJson(`environments/${env}`).module!.livestreamsell![0]!.notification_channels, env).toBe('${var.notification_channels}');
      const policies = allResources().filter((r) => r.type === 'google_monitoring_alert_policy');
      expect(policies.length).toBeGreaterThanOrEqual(5);
      for (const p of policies) expect(p.body.notification_channels, `${p.file}: ${p.name}`).toMatch(/^\$\{var\.(alert_)?notification_channels\}$/);
    });
  });
});

describe('data model docs agree with the code', () => {
  it('dead_letters.original_data is described as what the recorder writes: the message data as UTF-8 text', async () => {
    const rows: Array<Record<string, unknown>> = [];
    const record = recordDeadLetter({ record: async (_t, _id, row) => void rows.push(row) });
    const data = Buffer.from(JSON.stringify({ comment_id: 'c1', text: 'quiero la roja ñ' }));
    await record({ consumer: CONSUMERS[0]!, messageId: 'm1', attributes: {}, data, reason: 'x', history: [] });
    expect(rows[0]!.original_data).toBe(data.toString('utf8'));
    const field = loadTableSchema('dead_letters').find((f) => f.name === 'original_data')!;
    expect(field.description).not.toMatch(/base64/i);
    expect(field.description).toMatch(/UTF-8/);
    expect(readFileSync(path.join(ROOT, 'docs/data-model.md'), 'utf8')).toMatch(/`original_data`[^\n]*UTF-8/);
  });

  it('docs/deploy.md no longer describes the notifier as unwritten', () => {
    expect(existsSync(path.join(ROOT, 'services/notifier/main.ts'))).toBe(true);
    expect(readFileSync(path.join(ROOT, 'docs/deploy.md'), 'utf8')).not.toMatch(/is being written/);
  });
});
