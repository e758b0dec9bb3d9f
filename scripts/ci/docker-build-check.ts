/**
 * The image build, reproduced without a Docker engine (CI has none):
 *
 *   1. the build context is assembled as `.dockerignore` shapes it (scripts/ci/dockerignore.ts);
 *   2. the Dockerfile's stages are replayed in a scratch folder, one folder per stage standing for its filesystem:
 *      WORKDIR, COPY (from the context or `--from` an earlier stage) and RUN exactly as written — `npm ci`,
 *      `npm run build`, `npm prune --omit=dev` run on this machine's Node and npm;
 *   3. every service entry (`dist/services/<name>/main.js`, one per `services/<name>/main.ts`) is imported in the
 *      final stage's folder, with only what that stage holds (production dependencies), `NODE_ENV=production`
 *      and no outside environment. The entries start their server only when they are the process's main module
 *      (`isMainModule`), so importing one loads its whole module graph and starts nothing: the process must exit
 *      on its own.
 *
 * It fails when a service imports something outside the image: a file the context leaves out (tests/, scripts/:
 * `tsc` fails with TS2307, as in the real build), or a package pruned as a dev dependency (the import fails).
 *
 *   npx tsx scripts/ci/docker-build-check.ts [--root <dir>] [--keep]
 *
 * npm installs with `--prefer-offline` (set through the environment, not by changing the Dockerfile's command),
 * so a warm npm cache makes the install quick; the registry is used for what the cache lacks.
 * Not reproduced: the base image itself (its Node and npm versions: here the host's), file ownership (`USER`),
 * and `RUN` commands that name absolute paths inside the image (refused, so the check never passes vacuously).
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseDockerfile, substitute, words, type Stage } from './dockerfile.js';
import { assembleContext, parseDockerignore } from './dockerignore.js';

export interface DockerBuildCheckOptions {
  /** Repository root: holds the Dockerfile, .dockerignore and the context. */
  root: string;
  /** Scratch folder (created, and removed afterwards unless `keep`). Default: a fresh one under the OS temp dir. */
  scratch?: string;
  keep?: boolean;
  /** Per-command limit. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface DockerBuildCheckResult {
  ok: boolean;
  /** What failed, in a sentence a CI log reader can act on. */
  failure?: string;
  /** Output of the failing command. */
  output?: string;
  contextFiles: string[];
  entries: string[];
}

class CheckFailure extends Error {
  constructor(
    message: string,
    readonly output = '',
  ) {
    super(message);
  }
}

/** Runs a command; resolves with its combined output, rejects (CheckFailure) on a non-zero exit or the limit. */
function run(command: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number; what: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new CheckFailure(`${opts.what}: still running after ${opts.timeoutMs / 1000} s`, output));
    }, opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new CheckFailure(`${opts.what}: ${e.message}`, output));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new CheckFailure(`${opts.what}: exited with ${signal ?? code}`, output));
    });
  });
}

/**
 * What a `docker build` RUN sees: no inherited npm / Node settings (a host NODE_ENV=production would make `npm ci`
 * skip the dev dependencies `tsc` needs; npm_config_* from an outer `npm run` would change npm's behaviour).
 */
function buildEnv(stageEnv: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|NODE_ENV$|NODE_OPTIONS$|NODE_PATH$|INIT_CWD$|VITEST|TSX_)/i.test(k)) continue;
    env[k] = v;
  }
  return { ...env, npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false', npm_config_fund: 'false', ...stageEnv };
}

interface StageState {
  stage: Stage;
  /** Folder standing for the stage's `/`. */
  fsRoot: string;
  workdir: string;
  env: Record<string, string>;
  cmd?: string[];
  entrypoint?: string[];
}

/** A path inside the image (absolute, or relative to WORKDIR) → the folder standing for it. */
function hostPath(state: StageState, p: string): string {
  const abs = path.posix.resolve(state.workdir, p);
  return path.join(state.fsRoot, abs);
}

async function replayStage(stage: Stage, states: Map<string, StageState>, ctx: { context: string; scratch: string; timeoutMs: number; log: (s: string) => void }): Promise<StageState> {
  if (states.has(stage.image)) throw new CheckFailure(`Dockerfile: FROM ${stage.image} (a stage as base image) is not reproduced by this check: extend scripts/ci/docker-build-check.ts`);
  const state: StageState = { stage, fsRoot: path.join(ctx.scratch, `stage-${stage.index}-${stage.name}`), workdir: '/', env: {} };
  mkdirSync(state.fsRoot, { recursive: true });
  ctx.log(`stage ${stage.name} (FROM ${stage.image})`);
  for (const ins of stage.instructions) {
    const where = `Dockerfile:${ins.line} ${ins.keyword}`;
    const args = substitute(ins.args, state.env);
    switch (ins.keyword) {
      case 'WORKDIR':
        state.workdir = path.posix.resolve(state.workdir, args.trim());
        mkdirSync(hostPath(state, '.'), { recursive: true });
        break;
      case 'ENV': {
        const pairs = /^\w+=/.test(args.trim()) ? [...args.matchAll(/(\w+)=("[^"]*"|\S*)/g)].map((m) => [m[1]!, m[2]!.replace(/^"|"$/g, '')]) : [[args.trim().split(/\s+/)[0]!, args.trim().split(/\s+/).slice(1).join(' ')]];
        for (const [k, v] of pairs) state.env[k!] = v!;
        break;
      }
      case 'ARG': {
        const m = /^(\w+)(?:=(.*))?$/.exec(args.trim());
        if (m && m[2] !== undefined && !(m[1]! in state.env)) state.env[m[1]!] = m[2];
        break;
      }
      case 'COPY': {
        for (const flag of Object.keys(ins.flags)) if (!['from', 'chown', 'chmod', 'link'].includes(flag)) throw new CheckFailure(`${where}: flag --${flag} is not reproduced by this check`);
        const parts = words(args);
        const dest = parts.pop();
        if (!dest || parts.length === 0) throw new CheckFailure(`${where}: needs a source and a destination`);
        const from = ins.flags.from;
        const source = from === undefined ? null : states.get(from);
        if (from !== undefined && !source) throw new CheckFailure(`${where}: --from=${from} is not an earlier stage`);
        const destHost = hostPath(state, dest);
        const intoDir = dest.endsWith('/') || parts.length > 1;
        for (const src of parts) {
          if (/[*?[]/.test(src)) throw new CheckFailure(`${where}: wildcard sources are not reproduced by this check`);
          const srcHost = source ? hostPath(source, src) : path.join(ctx.context, src);
          // Docker fails the build when a source is missing from the context (e.g. left out by .dockerignore).
          if (!existsSync(srcHost)) throw new CheckFailure(`${where}: "${src}" is not in the ${source ? `stage ${from}` : 'build context (.dockerignore)'}`);
          const target = intoDir ? path.join(destHost, path.posix.basename(src)) : destHost;
          mkdirSync(path.dirname(target), { recursive: true });
          cpSync(srcHost, target, { recursive: true, verbatimSymlinks: true });
        }
        break;
      }
      case 'RUN': {
        for (const flag of Object.keys(ins.flags)) throw new CheckFailure(`${where}: flag --${flag} is not reproduced by this check`);
        const exec = args.trim().startsWith('[');
        const command = exec ? words(args) : ['/bin/sh', '-c', args];
        // The command runs in a folder standing for WORKDIR: an absolute path inside the image would point at
        // this machine instead, so such a command is refused rather than replayed wrongly.
        if (command.some((c) => state.workdir !== '/' && c.includes(state.workdir))) throw new CheckFailure(`${where}: names ${state.workdir} (a path inside the image): not reproduced by this check`);
        ctx.log(`  RUN ${command.join(' ')}`);
        await run(command[0]!, command.slice(1), { cwd: hostPath(state, '.'), env: buildEnv(state.env), timeoutMs: ctx.timeoutMs, what: `${where} ${args.trim()}` });
        break;
      }
      case 'CMD':
        state.cmd = words(args);
        break;
      case 'ENTRYPOINT':
        state.entrypoint = words(args);
        break;
      case 'USER':
      case 'EXPOSE':
      case 'LABEL':
        break; // No effect on what the services import.
      default:
        throw new CheckFailure(`${where}: instruction not reproduced by this check: extend scripts/ci/docker-build-check.ts`);
    }
  }
  return state;
}

/** Node resolves bare imports in every parent folder's node_modules: a stray one above the scratch would hide a pruned package. */
function strayNodeModules(dir: string): string | null {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    if (existsSync(path.join(d, 'node_modules'))) return path.join(d, 'node_modules');
    if (path.dirname(d) === d) return null;
  }
}

export async function dockerBuildCheck(opts: DockerBuildCheckOptions): Promise<DockerBuildCheckResult> {
  const log = opts.log ?? (() => {});
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const scratch = opts.scratch ?? mkdtempSync(path.join(os.tmpdir(), 'docker-build-check-'));
  mkdirSync(scratch, { recursive: true });
  let contextFiles: string[] = [];
  const entries: string[] = [];
  try {
    const context = path.join(scratch, 'context');
    const dockerignore = path.join(opts.root, '.dockerignore');
    const rules = parseDockerignore(existsSync(dockerignore) ? readFileSync(dockerignore, 'utf8') : '');
    contextFiles = assembleContext(opts.root, context, rules);
    log(`context: ${contextFiles.length} files (${[...new Set(contextFiles.map((f) => f.split('/')[0]))].join(', ')})`);

    const stages = parseDockerfile(readFileSync(path.join(opts.root, 'Dockerfile'), 'utf8'));
    const states = new Map<string, StageState>();
    let last: StageState | undefined;
    for (const stage of stages) {
      last = await replayStage(stage, states, { context, scratch, timeoutMs, log });
      states.set(stage.name, last);
      states.set(String(stage.index), last);
    }
    const image = last!;
    const app = hostPath(image, '.');
    const stray = strayNodeModules(app);
    if (stray) throw new CheckFailure(`${stray} exists above the scratch folder: Node would resolve pruned packages there. Use another --scratch`);

    // One entry per service: services/<name>/main.ts → dist/services/<name>/main.js, which Cloud Run's args name.
    const services = readdirSync(path.join(context, 'services'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(path.join(context, 'services', d.name, 'main.ts')))
      .map((d) => d.name);
    if (!services.length) throw new CheckFailure('no services/<name>/main.ts in the build context');
    entries.push(...services.map((s) => `dist/services/${s}/main.js`));
    const defaultCmd = [...(image.entrypoint ?? []), ...(image.cmd ?? [])];
    if (defaultCmd[0] !== 'node' || !defaultCmd[1] || !entries.includes(defaultCmd[1])) {
      throw new CheckFailure(`the image's default command (${JSON.stringify(defaultCmd)}) is not node running one of ${entries.join(', ')}`);
    }

    for (const entry of entries) {
      if (!existsSync(path.join(app, entry))) throw new CheckFailure(`${entry} is not in the image (did the build emit it?)`);
      log(`load ${entry} (production dependencies only)`);
      // The URL is inside the code, never an argument: `node -e code <arg>` makes <arg> process.argv[1], which
      // would make the entry its own main module and start its server.
      const code = `await import(${JSON.stringify(pathToFileURL(path.join(app, entry)).href)}); console.log('loaded');`;
      await run(process.execPath, ['--input-type=module', '-e', code], {
        cwd: app,
        env: { PATH: process.env.PATH, HOME: scratch, ...image.env, NODE_ENV: image.env.NODE_ENV ?? 'production', METADATA_SERVER_DETECTION: 'none' },
        timeoutMs: 60_000,
        what: `import ${entry} (a process that does not exit started something, e.g. a server)`,
      });
    }
    return { ok: true, contextFiles, entries };
  } catch (e) {
    if (!(e instanceof CheckFailure)) throw e;
    return { ok: false, failure: e.message, output: e.output, contextFiles, entries };
  } finally {
    if (!opts.keep) rmSync(scratch, { recursive: true, force: true });
  }
}

const isCli = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isCli) {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--root');
  const root = at >= 0 ? path.resolve(argv[at + 1] ?? '.') : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const started = Date.now();
  const result = await dockerBuildCheck({ root, keep: argv.includes('--keep'), log: (l) => console.log(`docker-build-check: ${l}`) });
  const took = `${Math.round((Date.now() - started) / 1000)} s`;
  if (result.ok) {
    console.log(`docker-build-check: ok in ${took} — the image builds from its context and ${result.entries.length} service entries load with production dependencies (node ${process.version} here).`);
  } else {
    console.error(`docker-build-check: FAILED after ${took}: ${result.failure}`);
    if (result.output) console.error(result.output.split('\n').slice(-40).join('\n'));
    process.exit(1);
  }
}
