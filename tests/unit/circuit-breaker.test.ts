import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../services/worker/intent/llm/circuit-breaker.js';
import type { CircuitState } from '../../services/worker/intent/llm/circuit-breaker.js';

function breakerWithClock(failureThreshold = 3, coolDownMs = 10_000) {
  const clock = { t: 1_000_000 };
  const changes: Array<[CircuitState, CircuitState]> = [];
  const breaker = new CircuitBreaker({
    failureThreshold,
    coolDownMs,
    now: () => clock.t,
    onStateChange: ({ from, to }) => changes.push([from, to]),
  });
  return { breaker, clock, changes };
}

function fail(breaker: CircuitBreaker, times: number) {
  for (let i = 0; i < times; i++) {
    expect(breaker.tryAcquire()).toBe(true);
    breaker.recordFailure();
  }
}

describe('CircuitBreaker', () => {
  it('stays closed below the threshold and opens on the Nth consecutive failure', () => {
    const { breaker, changes } = breakerWithClock(3);
    fail(breaker, 2);
    expect(breaker.state).toBe('closed');
    expect(breaker.tryAcquire()).toBe(true);
    breaker.recordFailure();
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toBe(false);
    expect(changes).toEqual([['closed', 'open']]);
  });

  it('counts consecutive failures only: a success resets the count', () => {
    const { breaker } = breakerWithClock(3);
    fail(breaker, 2);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.recordSuccess();
    expect(breaker.failures).toBe(0);
    fail(breaker, 2);
    expect(breaker.state).toBe('closed');
  });

  it('refuses calls during the cool-down and lets exactly one trial through after it', () => {
    const { breaker, clock } = breakerWithClock(2, 10_000);
    fail(breaker, 2);
    clock.t += 9_999;
    expect(breaker.tryAcquire()).toBe(false);
    clock.t += 1;
    expect(breaker.state).toBe('half_open');
    expect(breaker.tryAcquire()).toBe(true); // the trial
    expect(breaker.tryAcquire()).toBe(false); // concurrent callers wait for the trial
    expect(breaker.state).toBe('half_open');
  });

  it('closes when the half-open trial succeeds', () => {
    const { breaker, clock, changes } = breakerWithClock(2, 5_000);
    fail(breaker, 2);
    clock.t += 5_000;
    expect(breaker.tryAcquire()).toBe(true);
    breaker.recordSuccess();
    expect(breaker.state).toBe('closed');
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(true);
    expect(changes).toEqual([
      ['closed', 'open'],
      ['open', 'half_open'],
      ['half_open', 'closed'],
    ]);
  });

  it('re-opens with a fresh cool-down when the trial fails', () => {
    const { breaker, clock, changes } = breakerWithClock(2, 5_000);
    fail(breaker, 2);
    clock.t += 5_000;
    expect(breaker.tryAcquire()).toBe(true);
    breaker.recordFailure();
    expect(breaker.state).toBe('open');
    clock.t += 4_999;
    expect(breaker.tryAcquire()).toBe(false);
    clock.t += 1;
    expect(breaker.tryAcquire()).toBe(true);
    expect(changes.at(-1)).toEqual(['open', 'half_open']);
    expect(changes.filter(([, to]) => to === 'open')).toHaveLength(2);
  });

  it('allows a new trial if the previous one never reported back within a cool-down', () => {
    const { breaker, clock } = breakerWithClock(1, 1_000);
    fail(breaker, 1);
    clock.t += 1_000;
    expect(breaker.tryAcquire()).toBe(true); // trial that never settles
    clock.t += 999;
    expect(breaker.tryAcquire()).toBe(false);
    clock.t += 1;
    expect(breaker.tryAcquire()).toBe(true);
  });

  it('uses defaults of 5 failures and a 30 s cool-down', () => {
    const clock = { t: 0 };
    const breaker = new CircuitBreaker({ now: () => clock.t });
    fail(breaker, 4);
    expect(breaker.state).toBe('closed');
    fail(breaker, 1);
    expect(breaker.state).toBe('open');
    clock.t = 29_999;
    expect(breaker.tryAcquire()).toBe(false);
    clock.t = 30_000;
    expect(breaker.tryAcquire()).toBe(true);
  });
});
