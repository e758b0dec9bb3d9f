import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, getLogger, setLogger } from '../../shared/logging/logger.js';
import { createProcessGuards } from '../../shared/runtime/process-guards.js';

describe('process guards', () => {
  const previous = getLogger();
  afterEach(() => setLogger(previous));

  const capture = () => {
    const lines: Array<Record<string, unknown>> = [];
    setLogger(createLogger({ write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) }));
    return lines;
  };

  it('an unhandled rejection is logged as an error with its cause, and the process is not ended', () => {
    const lines = capture();
    const exits: number[] = [];
    const guards = createProcessGuards({ name: 'ingress', exit: (code) => exits.push(code) });
    guards.onUnhandledRejection(new Error('Could not load the default credentials'));
    guards.onUnhandledRejection('a bare string');
    expect(exits).toEqual([]);
    expect(guards.unhandledRejections).toBe(2);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ severity: 'ERROR', service: 'ingress', error: { message: 'Could not load the default credentials' } });
    expect(String(lines[0]!.message)).toMatch(/unhandled promise rejection/);
    expect(lines[1]).toMatchObject({ severity: 'ERROR', error: 'a bare string' });
  });

  it('an uncaught exception is logged, then the process exits 1 (never silently)', () => {
    const lines = capture();
    const exits: number[] = [];
    const guards = createProcessGuards({ name: 'worker', exit: (code) => exits.push(code) });
    guards.onUncaughtException(new TypeError('x is not a function'));
    expect(exits).toEqual([1]);
    expect(lines[0]).toMatchObject({ severity: 'ERROR', service: 'worker', fatal: true, error: { name: 'TypeError' } });
  });

  it('a logger that throws does not turn a rejection into a crash', () => {
    setLogger(createLogger({ write: () => { throw new Error('stdout closed'); } }));
    const guards = createProcessGuards({ name: 'notifier', exit: () => { throw new Error('must not exit'); } });
    expect(() => guards.onUnhandledRejection(new Error('x'))).not.toThrow();
  });
});
