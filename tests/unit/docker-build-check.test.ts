/**
 * The Docker-build check (scripts/ci/docker-build-check.ts) reproduces the image build without a Docker engine.
 * Held here: its .dockerignore and Dockerfile readers follow Docker's rules, and, end to end on scratch copies of
 * this repository, it passes on the code as it is and fails when a service imports something outside the image —
 * a file the context leaves out (tests/) or a package that is only a dev dependency.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerBuildCheck } from '../../scripts/ci/docker-build-check.js';
import { parseDockerfile } from '../../scripts/ci/dockerfile.js';
import { isIgnored, parseDockerignore } from '../../scripts/ci/dockerignore.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('.dockerignore reader (Docker semantics)', () => {
  it('excludes a path when a pattern matches it or a parent directory; the last matching pattern wins', () => {
    const rules = parseDockerignore(['# comment', '*', '!services', '!/package.json', '**/node_modules', 'services/**/*.md', '!services/keep.md'].join('\n'));
    expect(isIgnored(rules, 'README.md')).toBe(true);
    expect(isIgnored(rules, 'tests/fakes/x.ts')).toBe(true);
    expect(isIgnored(rules, 'package.json')).toBe(false);
    expect(isIgnored(rules, 'services')).toBe(false);
    expect(isIgnored(rules, 'services/worker/app.ts')).toBe(false);
    expect(isIgnored(rules, 'services/worker/node_modules/x/index.js')).toBe(true);
    expect(isIgnored(rules, 'services/a/b/notes.md')).toBe(true);
    expect(isIgnored(rules, 'services/keep.md')).toBe(false);
  });

  it('keeps `*` and `?` within one path segment, and lets `**/` match no directory at all', () => {
    const rules = parseDockerignore('*.log\nsrc/?.ts\n**/secret');
    expect(isIgnored(rules, 'a.log')).toBe(true);
    expect(isIgnored(rules, 'dir/a.log')).toBe(false);
    expect(isIgnored(rules, 'src/a.ts')).toBe(true);
    expect(isIgnored(rules, 'src/ab.ts')).toBe(false);
    expect(isIgnored(rules, 'secret')).toBe(true);
    expect(isIgnored(rules, 'x/y/secret/z')).toBe(true);
  });

  it("this repository's .dockerignore sends the services' code and nothing local, operational or test-only", () => {
    const rules = parseDockerignore(readFileSync(path.join(ROOT, '.dockerignore'), 'utf8'));
    for (const p of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'services/worker/main.ts', 'shared/analytics/tables/orders.json']) {
      expect(isIgnored(rules, p), p).toBe(false);
    }
    for (const p of ['tests/fakes/fake-http.ts', 'scripts/start-local.ts', 'bench/order-burst.ts', 'terraform/modules/pubsub/main.tf', 'node_modules/koa/package.json', '.git/HEAD', '.env', 'shared/.env.local', 'dist/services/worker/main.js', 'docs/deploy.md', 'data/x.json', 'cloudbuild.yaml', 'Dockerfile']) {
      expect(isIgnored(rules, p), p).toBe(true);
    }
  });
});

describe('Dockerfile reader', () => {
  it('reads the stages, global ARGs and continued lines of this repository\'s Dockerfile', () => {
    const stages = parseDockerfile(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
    expect(stages.map((s) => [s.name, s.image])).toEqual([
      ['build', 'node:22-slim'],
      ['runtime', 'node:22-slim'],
    ]);
    const build = stages[0]!.instructions;
    expect(build.filter((i) => i.keyword === 'RUN').map((i) => i.args.replace(/\s+/g, ' '))).toEqual([
      'npm ci --no-audit --no-fund',
      'npm run build && npm prune --omit=dev --no-audit --no-fund',
    ]);
    // The image is built from services/ and shared/ only.
    expect(build.filter((i) => i.keyword === 'COPY').map((i) => i.args)).toEqual(['package.json package-lock.json ./', 'tsconfig.json tsconfig.build.json ./', 'shared ./shared', 'services ./services']);
    expect(stages[1]!.instructions.filter((i) => i.keyword === 'COPY').every((i) => i.flags.from === 'build')).toBe(true);
  });
});

describe('docker-build check, end to end on a scratch copy of this repository', () => {
  const scratches: string[] = [];
  afterAll(() => {
    for (const s of scratches) rmSync(s, { recursive: true, force: true });
  });

  /** The repository as a clean clone has it (tests/ included: CI's typecheck would pass), with one file changed. */
  function scratchRepo(plant?: { file: string; prepend: string }): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docker-build-check-repo-'));
    scratches.push(dir);
    cpSync(ROOT, dir, {
      recursive: true,
      filter: (src) => !/^(node_modules|\.git|dist|\.run|coverage)$/.test(path.relative(ROOT, src).split(path.sep)[0] ?? ''),
    });
    if (plant) {
      const file = path.join(dir, plant.file);
      writeFileSync(file, `${plant.prepend}\n${readFileSync(file, 'utf8')}`);
    }
    return dir;
  }

  it('passes on the code as it is', async () => {
    const result = await dockerBuildCheck({ root: scratchRepo() });
    expect(result.failure ?? '').toBe('');
    expect(result.ok).toBe(true);
    expect(result.entries.sort()).toEqual(['dist/services/ingress/main.js', 'dist/services/notifier/main.js', 'dist/services/worker/main.js']);
    expect(result.contextFiles.some((f) => f.startsWith('tests/') || f.startsWith('scripts/'))).toBe(false);
  }, 240_000);

  it('fails when a service imports a file the image does not have (tests/): tsc cannot resolve it, as in docker build', async () => {
    const result = await dockerBuildCheck({ root: scratchRepo({ file: 'services/worker/app.ts', prepend: "export { readBody } from '../../tests/fakes/fake-http.js';" }) });
    expect(result.ok).toBe(false);
    expect(result.failure).toMatch(/Dockerfile:\d+ RUN .*npm run build/);
    expect(result.output).toMatch(/error TS2307: Cannot find module '\.\.\/\.\.\/tests\/fakes\/fake-http\.js'/);
  }, 240_000);

  it('fails when a service imports a dev dependency: the build passes, loading the entry with production dependencies does not', async () => {
    const result = await dockerBuildCheck({ root: scratchRepo({ file: 'services/notifier/app.ts', prepend: "import 'fast-check';" }) });
    expect(result.ok).toBe(false);
    expect(result.failure).toMatch(/import dist\/services\/notifier\/main\.js/);
    expect(result.output).toMatch(/Cannot find package 'fast-check'/);
  }, 240_000);
});
