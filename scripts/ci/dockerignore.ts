/**
 * `.dockerignore` as Docker (BuildKit, moby/patternmatcher) reads it, to assemble a build context without a Docker
 * engine. Semantics kept: one pattern a line, `#` comments, `!` re-includes, Go `filepath.Match` wildcards
 * (`*` and `?` stay within a path segment, `[…]` classes) plus `**` for any number of segments, a leading `/` or
 * `./` ignored, and a path excluded when the pattern matches it *or one of its parent directories* — the last
 * pattern that matches decides.
 */
import { cpSync, lstatSync, mkdirSync, readdirSync, readlinkSync, symlinkSync } from 'node:fs';
import path from 'node:path';

export interface IgnoreRule {
  pattern: string;
  /** `!pattern`: re-includes what an earlier rule excluded. */
  exclusion: boolean;
  regex: RegExp;
}

/** Go's filepath.Clean for the relative, slash-separated patterns a .dockerignore holds. */
function cleanPattern(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return parts.join('/');
}

/** patternmatcher's compile(): `**` spans segments, `*` / `?` do not, `\` escapes, `[…]` passes through. */
function toRegex(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        // "**/" also matches no directory at all ("**/x" matches "x").
        if (pattern[i + 1] === '/') {
          i++;
          re += '(.*/)?';
        } else {
          re += '.*';
        }
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw new Error(`.dockerignore: unterminated character class in "${pattern}"`);
      re += `[${pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) {
      re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else {
      re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`${re}$`);
}

export function parseDockerignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const exclusion = line.startsWith('!');
    if (exclusion) line = line.slice(1).trim();
    const pattern = cleanPattern(line.replace(/^\/+/, ''));
    if (!pattern) continue;
    rules.push({ pattern, exclusion, regex: toRegex(pattern) });
  }
  return rules;
}

/** True when `relPath` (slash-separated, relative to the context root) is left out of the build context. */
export function isIgnored(rules: IgnoreRule[], relPath: string): boolean {
  const dirs = relPath.split('/');
  let ignored = false;
  for (const rule of rules) {
    let match = rule.regex.test(relPath);
    for (let i = 1; !match && i < dirs.length; i++) match = rule.regex.test(dirs.slice(0, i).join('/'));
    if (match) ignored = !rule.exclusion;
  }
  return ignored;
}

/** Whether anything under an ignored directory could be re-included by a `!` rule (else the walk skips it). */
function mayReinclude(rules: IgnoreRule[], dir: string): boolean {
  return rules.some((r) => r.exclusion && (/[*?[\\]/.test(r.pattern) || r.pattern.startsWith(`${dir}/`)));
}

/**
 * The files (and symlinks, never followed) Docker would send as the build context of `root`, relative and
 * sorted. Directories only appear through their files, as in a context tarball's listing.
 */
export function contextFiles(root: string, rules: IgnoreRule[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(path.join(root, dir)).sort()) {
      const rel = dir ? `${dir}/${name}` : name;
      const stat = lstatSync(path.join(root, rel));
      const ignored = isIgnored(rules, rel);
      if (stat.isDirectory()) {
        if (!ignored || mayReinclude(rules, rel)) walk(rel);
      } else if (!ignored) {
        out.push(rel);
      }
    }
  };
  walk('');
  return out;
}

/** Copies the context of `root`, as `.dockerignore` shapes it, to `dest`. Returns the files copied. */
export function assembleContext(root: string, dest: string, rules: IgnoreRule[]): string[] {
  const files = contextFiles(root, rules);
  for (const rel of files) {
    const from = path.join(root, rel);
    const to = path.join(dest, rel);
    mkdirSync(path.dirname(to), { recursive: true });
    if (lstatSync(from).isSymbolicLink()) symlinkSync(readlinkSync(from), to);
    else cpSync(from, to);
  }
  return files;
}
