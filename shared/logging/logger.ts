import { currentLogContext } from './log-context.js';

/**
 * JSON-lines logger for Cloud Logging: one object per line on stdout, `severity` and `message` at the top
 * level, and the request's trace as `logging.googleapis.com/trace` so the logs of one comment line up across
 * services in Cloud Trace. No dependency: Cloud Run only needs JSON on stdout.
 */
export type Severity = 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR' | 'CRITICAL';

const ORDER: Record<Severity, number> = { DEBUG: 100, INFO: 200, NOTICE: 300, WARNING: 400, ERROR: 500, CRITICAL: 600 };

/** Field names whose values are never printed, wherever they appear in a log entry. */
const SECRET_KEY = /(secret|token$|password|passwd|authorization|api[-_]?key|signature$|cookie|private[-_]?key|access[-_]?key|credential)/i;
const REDACTED = '[REDACTED]';

export interface LoggerOptions {
  /** Lowest severity written. */
  level?: Severity;
  /** GCP project, used to build the full trace resource name. */
  projectId?: string;
  /** Where lines go; stdout by default (tests pass an array sink). */
  write?: (line: string) => void;
  /** Fields on every line (service name...). */
  base?: Record<string, unknown>;
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  notice(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(base: Record<string, unknown>): Logger;
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack, ...(redact({ ...value }, depth + 1) as object) };
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) && v !== undefined && v !== null && typeof v !== 'boolean' ? REDACTED : redact(v, depth + 1);
  }
  return out;
}

/** `traceparent` (W3C) → Cloud Logging trace fields. */
export function traceFields(traceparent: unknown, projectId: string | undefined): Record<string, unknown> {
  if (typeof traceparent !== 'string') return {};
  const m = /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/.exec(traceparent);
  if (!m) return {};
  const trace = projectId ? `projects/${projectId}/traces/${m[1]}` : m[1];
  return {
    'logging.googleapis.com/trace': trace,
    'logging.googleapis.com/spanId': m[2],
    'logging.googleapis.com/trace_sampled': m[3] === '01',
  };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const min = ORDER[options.level ?? 'INFO'];
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const base = options.base ?? {};
  const emit = (severity: Severity, message: string, fields?: Record<string, unknown>) => {
    if (ORDER[severity] < min) return;
    const { traceparent, ...context } = currentLogContext();
    const entry = {
      severity,
      message,
      time: new Date().toISOString(),
      ...base,
      ...context,
      ...traceFields(traceparent, options.projectId),
      ...(fields ?? {}),
    };
    let line: string;
    try {
      line = JSON.stringify(redact(entry));
    } catch {
      line = JSON.stringify({ severity, message, note: 'log fields were not serialisable' });
    }
    write(line);
  };
  return {
    debug: (m, f) => emit('DEBUG', m, f),
    info: (m, f) => emit('INFO', m, f),
    notice: (m, f) => emit('NOTICE', m, f),
    warn: (m, f) => emit('WARNING', m, f),
    error: (m, f) => emit('ERROR', m, f),
    child: (more) => createLogger({ ...options, base: { ...base, ...more } }),
  };
}

let rootLogger: Logger = createLogger({ level: 'INFO' });

/** The process-wide logger; `main.ts` configures it once from the service config. */
export function getLogger(): Logger {
  return rootLogger;
}

export function setLogger(logger: Logger): void {
  rootLogger = logger;
}
