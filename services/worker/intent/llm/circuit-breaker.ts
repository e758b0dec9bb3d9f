/**
 * Per-provider circuit breaker, so a provider that is down (or misconfigured) stops costing every comment a full
 * timeout before the chain moves on.
 *
 * Policy: **consecutive failures**, not a failure rate. Comment traffic is bursty (silence, then hundreds of
 * comments when a product is shown), so a rate needs a time window and a minimum volume to mean anything; N
 * failures in a row is predictable at any volume and is what "the provider is down" looks like. Any success
 * resets the count.
 *
 *   closed ──(failureThreshold consecutive failures)──▶ open
 *   open ──(coolDownMs elapsed; next acquire is the trial)──▶ half_open
 *   half_open ──(trial succeeds)──▶ closed
 *   half_open ──(trial fails)──▶ open (a fresh cool-down)
 *
 * In half_open exactly one call is let through; others are refused until it settles. If a trial never settles
 * (a caller forgot to record it), another trial is allowed after a further cool-down rather than staying stuck.
 * The breaker is synchronous and per-process: each worker instance learns on its own, which is fine for a
 * fallback chain.
 */

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long the circuit stays open before a trial call. Default 30 000 ms. */
  coolDownMs?: number;
  /** Clock in ms; injectable so tests move time without sleeping. Default Date.now. */
  now?: () => number;
  /** Called on every state change (the chain logs it). */
  onStateChange?: (change: { from: CircuitState; to: CircuitState; consecutiveFailures: number }) => void;
}

export const DEFAULT_FAILURE_THRESHOLD = 5;
export const DEFAULT_COOL_DOWN_MS = 30_000;

export class CircuitBreaker {
  private readonly failureThreshold: number;
  private readonly coolDownMs: number;
  private readonly now: () => number;
  private readonly onStateChange: CircuitBreakerOptions['onStateChange'];
  private current: CircuitState = 'closed';
  private consecutiveFailures = 0;
  private openedAt = 0;
  private trialStartedAt: number | null = null;

  constructor(options: CircuitBreakerOptions = {}) {
    this.failureThreshold = Math.max(1, options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD);
    this.coolDownMs = Math.max(0, options.coolDownMs ?? DEFAULT_COOL_DOWN_MS);
    this.now = options.now ?? Date.now;
    this.onStateChange = options.onStateChange;
  }

  /** The state as of now (an open circuit whose cool-down has passed reads as half_open). */
  get state(): CircuitState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.coolDownMs) return 'half_open';
    return this.current;
  }

  get failures(): number {
    return this.consecutiveFailures;
  }

  /**
   * Ask to make a call. true: go ahead, then report with recordSuccess/recordFailure. false: the circuit is open
   * (or a half-open trial is already in flight); skip this provider.
   */
  tryAcquire(): boolean {
    const now = this.now();
    switch (this.current) {
      case 'closed':
        return true;
      case 'open':
        if (now - this.openedAt < this.coolDownMs) return false;
        this.transition('half_open');
        this.trialStartedAt = now;
        return true;
      case 'half_open':
        if (this.trialStartedAt !== null && now - this.trialStartedAt < this.coolDownMs) return false;
        this.trialStartedAt = now;
        return true;
    }
  }

  recordSuccess(): void {
    this.consecutiveFailures = 0;
    this.trialStartedAt = null;
    if (this.current !== 'closed') this.transition('closed');
  }

  recordFailure(): void {
    this.consecutiveFailures += 1;
    if (this.current === 'half_open' || (this.current === 'closed' && this.consecutiveFailures >= this.failureThreshold)) {
      this.openedAt = this.now();
      this.trialStartedAt = null;
      this.transition('open');
    }
  }

  private transition(to: CircuitState): void {
    const from = this.current;
    if (from === to) return;
    this.current = to;
    this.onStateChange?.({ from, to, consecutiveFailures: this.consecutiveFailures });
  }
}
