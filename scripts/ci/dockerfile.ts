/**
 * Just enough of the Dockerfile format to replay its stages without a Docker engine: parser directives and
 * comments, `\` line continuations, global ARGs substituted into FROM, and each stage's instructions with their
 * flags. Instructions the replay does not know how to run are kept as-is: the replay refuses them by name rather
 * than skipping them silently.
 */

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, WORKDIR, ENV, … */
  keyword: string;
  /** `--name=value` flags before the arguments (COPY --from=build). */
  flags: Record<string, string>;
  /** The rest of the line, continuations joined. */
  args: string;
  /** 1-based line of the instruction in the Dockerfile. */
  line: number;
}

export interface Stage {
  index: number;
  /** `AS <name>`, or the stage index as a string. */
  name: string;
  image: string;
  instructions: Instruction[];
}

/** Logical lines: continuations joined (comment lines inside them dropped, as Docker does), comments removed. */
function logicalLines(text: string): Array<{ text: string; line: number }> {
  const out: Array<{ text: string; line: number }> = [];
  const lines = text.split(/\r?\n/);
  let current: { text: string; line: number } | null = null;
  lines.forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (!trimmed && !current)) return;
    const continued = /\\\s*$/.test(raw);
    const body = continued ? raw.replace(/\\\s*$/, '') : raw;
    if (current) current.text += ` ${body.trim()}`;
    else current = { text: body.trim(), line: i + 1 };
    if (!continued) {
      out.push(current);
      current = null;
    }
  });
  if (current) out.push(current);
  return out;
}

export function substitute(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)/g, (_, a: string | undefined, def: string | undefined, b: string | undefined) => {
    const name = (a ?? b)!;
    return vars[name] ?? def ?? '';
  });
}

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const globalArgs: Record<string, string> = {};
  for (const { text: lineText, line } of logicalLines(text)) {
    const m = /^(\S+)\s*(.*)$/.exec(lineText);
    if (!m) continue;
    const keyword = m[1]!.toUpperCase();
    let rest = m[2]!;
    const flags: Record<string, string> = {};
    for (;;) {
      const f = /^--([\w-]+)(?:=(\S*))?\s*/.exec(rest);
      if (!f) break;
      flags[f[1]!] = f[2] ?? 'true';
      rest = rest.slice(f[0].length);
    }
    if (keyword === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?\s*$/i.exec(substitute(rest, globalArgs));
      if (!from) throw new Error(`Dockerfile:${line}: cannot read FROM ${rest}`);
      stages.push({ index: stages.length, name: from[2] ?? String(stages.length), image: from[1]!, instructions: [] });
      continue;
    }
    if (!stages.length) {
      if (keyword !== 'ARG') throw new Error(`Dockerfile:${line}: ${keyword} before the first FROM`);
      const arg = /^(\w+)(?:=(.*))?$/.exec(rest.trim());
      if (arg) globalArgs[arg[1]!] = arg[2] ?? '';
      continue;
    }
    stages.at(-1)!.instructions.push({ keyword, flags, args: rest, line });
  }
  if (!stages.length) throw new Error('Dockerfile has no FROM');
  return stages;
}

/** JSON (exec) form `["a", "b"]`, or the shell form's whitespace-separated words. */
export function words(args: string): string[] {
  const t = args.trim();
  if (t.startsWith('[')) return JSON.parse(t) as string[];
  return t.split(/\s+/).filter(Boolean);
}
