import { z } from 'zod';

/**
 * One typed configuration schema per service. Each setting names its environment variable, documents
 * itself and carries a zod schema with its default; `load()` validates everything at start and reports
 * every missing or invalid setting at once, by variable name. Nothing else in the code reads process.env.
 */
export interface SettingSpec<T extends z.ZodType = z.ZodType> {
  env: string;
  doc: string;
  schema: T;
  /** Shown as "(secret)" in docs; its value is never printed. */
  secret?: boolean;
}

export type ConfigSpecs = Record<string, SettingSpec>;
export type ConfigOf<S extends ConfigSpecs> = { [K in keyof S]: z.output<S[K]['schema']> };

export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: Array<{ env: string; problem: string }>,
  ) {
    super(
      `Invalid configuration for ${service}:\n` +
        problems.map((p) => `  - ${p.env}: ${p.problem}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

export interface ServiceConfigDefinition<S extends ConfigSpecs> {
  service: string;
  specs: S;
  load(env?: Record<string, string | undefined>): ConfigOf<S>;
}

export function defineConfig<S extends ConfigSpecs>(service: string, specs: S): ServiceConfigDefinition<S> {
  return {
    service,
    specs,
    load(env = process.env) {
      const out: Record<string, unknown> = {};
      const problems: Array<{ env: string; problem: string }> = [];
      for (const [key, spec] of Object.entries(specs)) {
        const raw = env[spec.env];
        const value = raw === undefined || raw === '' ? undefined : raw;
        const parsed = spec.schema.safeParse(value);
        if (parsed.success) {
          out[key] = parsed.data;
        } else {
          const issue = parsed.error.issues[0];
          const problem =
            value === undefined ? 'is required but not set' : `invalid value${spec.secret ? '' : ` "${value}"`}: ${issue?.message ?? 'invalid'}`;
          problems.push({ env: spec.env, problem });
        }
      }
      if (problems.length > 0) throw new ConfigError(service, problems);
      return out as ConfigOf<S>;
    },
  };
}

// ---- reusable field schemas (env values are strings) ----

export const port = (def: number) => z.coerce.number().int().min(0).max(65535).default(def);
export const str = () => z.string().min(1);
export const optionalStr = () => z.string().min(1).optional();
export const url = () => z.url();
export const optionalUrl = () => z.url().optional();
export const urlWithDefault = (def: string) => z.url().default(def);
export const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
export const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max).default(def);
export const csv = (def: string[] = []) =>
  z
    .string()
    .default(def.join(','))
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));

/** Durations like `10s`, `1m`, `1500ms`, `1h` → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) throw new Error(`"${text}" is not a duration (use e.g. 500ms, 10s, 5m, 1h)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000;
  return Math.round(n * factor);
}

export const duration = (def: string) =>
  z
    .string()
    .default(def)
    .transform((v, ctx) => {
      try {
        return parseDuration(v);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
        return z.NEVER;
      }
    });

/** A comma-separated list of durations, e.g. the retry schedule `10s,1m,5m,15m,1h`. */
export const durationList = (def: string) =>
  z
    .string()
    .default(def)
    .transform((v, ctx) => {
      try {
        const list = v.split(',').map((s) => parseDuration(s));
        if (list.length === 0) throw new Error('empty list');
        return list;
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
        return z.NEVER;
      }
    });

export const logLevel = () => z.enum(['DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR']).default('INFO');
