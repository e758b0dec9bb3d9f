import Bottleneck from 'bottleneck';
import { getLogger } from '../../shared/logging/logger.js';
import { TransientError } from '../../shared/pubsub/handler-errors.js';
import type { MetaUsage } from './meta-usage.js';

/**
 * Per-Page (per Instagram account) send pacing, so a burst stays inside Meta's limits instead of discovering them.
 *
 * - One bottleneck limiter per account with `minTime = 1050 / rate`: consecutive sends to one account start at
 *   least that far apart, so any one-second window at Meta's end holds at most `rate` of them even when the
 *   network delays one request by up to 50 ms more than the next (exact 1000 / rate spacing would let such jitter
 *   put `rate + 1` into a second). Per instance: Cloud Run's max instances multiply it — size
 *   NOTIFIER_SEND_RATE_PER_PAGE for that.
 * - Meta's usage headers slow it down before 100 %: from `slowdownAtPercent` the spacing grows up to 10× at 95 %;
 *   at 95 % and above (or when Meta announces `estimated_time_to_regain_access`) the account is paused and a
 *   send is a TransientError — the message goes through the retry schedule instead of hitting a throttle.
 *   X-App-Usage is app-wide, so it applies to every account; the Business Use Case usage to the account whose
 *   answer carried it.
 * - A send that would wait longer than `maxQueueWaitMs` in the queue is refused as transient too, so a push
 *   request never outlives its ack deadline waiting for its turn.
 */

export interface PagePacerOptions {
  /** Sends per second per Page / IG account. */
  ratePerPage: number;
  /** Longest expected wait in an account's queue before a send is handed to the retry schedule instead. */
  maxQueueWaitMs: number;
  /** Usage percentage from which sends slow down. Default 75. */
  slowdownAtPercent?: number;
  now?: () => number;
}

const PAUSE_AT_PERCENT = 95;
/** When Meta says 95 % + without an estimate: wait a minute before trying that account again. */
const DEFAULT_PAUSE_MS = 60_000;
/** One second plus the arrival jitter the spacing absorbs. */
const SECOND_WITH_JITTER_MS = 1050;

export class PagePacer {
  private readonly limiters = new Map<string, Bottleneck>();
  private readonly businessUsage = new Map<string, number>();
  private readonly pausedUntil = new Map<string, number>();
  private readonly held = new Map<string, number>();
  private appUsage = 0;
  private appPausedUntil = 0;
  private readonly baseMinTime: number;
  private readonly slowdownAt: number;
  private readonly now: () => number;

  constructor(private readonly options: PagePacerOptions) {
    if (!(options.ratePerPage > 0)) throw new Error('ratePerPage must be positive');
    this.baseMinTime = Math.ceil(SECOND_WITH_JITTER_MS / options.ratePerPage);
    this.slowdownAt = options.slowdownAtPercent ?? 75;
    this.now = options.now ?? Date.now;
  }

  /** Runs `send` in the account's turn; throws TransientError when the account is paused or its queue is too long. */
  async schedule<T>(accountId: string, send: () => Promise<T>): Promise<T> {
    const until = Math.max(this.pausedUntil.get(accountId) ?? 0, this.appPausedUntil);
    if (until > this.now()) {
      throw new TransientError(`Meta usage near its limit for ${accountId}; sends paused until ${new Date(until).toISOString()}`, 'meta_usage_high');
    }
    const limiter = this.limiter(accountId);
    const c = limiter.counts();
    const ahead = c.RECEIVED + c.QUEUED + c.RUNNING;
    const expectedWait = ahead * this.minTimeFor(accountId);
    if (expectedWait > this.options.maxQueueWaitMs) {
      throw new TransientError(`${ahead} sends already queued for ${accountId} (~${expectedWait} ms): retry later`, 'send_queue_full');
    }
    const queuedAt = this.now();
    const spacing = this.minTimeFor(accountId);
    return limiter.schedule(() => {
      // Held back for at least half a spacing: the pacing, not the caller, decided when this send started.
      if (this.now() - queuedAt >= spacing / 2) this.held.set(accountId, (this.held.get(accountId) ?? 0) + 1);
      return send();
    });
  }

  /** How many sends to this account the pacing held back (metrics, tests). */
  heldBack(accountId: string): number {
    return this.held.get(accountId) ?? 0;
  }

  /** Meta's usage headers of an answer for `accountId`. */
  noteUsage(accountId: string, usage: MetaUsage): void {
    const now = this.now();
    const regainMs = usage.regainAccessMinutes > 0 ? usage.regainAccessMinutes * 60_000 : 0;
    if (usage.appPercent !== null) {
      this.appUsage = usage.appPercent;
      if (usage.appPercent >= PAUSE_AT_PERCENT) this.appPausedUntil = now + (regainMs || DEFAULT_PAUSE_MS);
      for (const id of this.limiters.keys()) this.apply(id);
    }
    if (usage.businessPercent !== null) this.businessUsage.set(accountId, usage.businessPercent);
    if ((usage.businessPercent ?? 0) >= PAUSE_AT_PERCENT || regainMs > 0) {
      this.pausedUntil.set(accountId, now + (regainMs || DEFAULT_PAUSE_MS));
      getLogger().warn('Meta usage near its limit: pausing sends for this account', { accountId, usage });
    }
    this.apply(accountId);
  }

  /** Current spacing between two sends to this account, in ms (tests, logs). */
  minTimeFor(accountId: string): number {
    const pct = Math.max(this.appUsage, this.businessUsage.get(accountId) ?? 0);
    if (pct < this.slowdownAt) return this.baseMinTime;
    // Linear from 1× at the slowdown threshold to 10× at the pause threshold.
    const span = Math.max(1, PAUSE_AT_PERCENT - this.slowdownAt);
    const factor = 1 + (9 * Math.min(pct - this.slowdownAt, span)) / span;
    return Math.ceil(this.baseMinTime * factor);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.limiters.values()].map((l) => l.stop({ dropWaitingJobs: true }).catch(() => undefined)));
    this.limiters.clear();
  }

  private limiter(accountId: string): Bottleneck {
    let l = this.limiters.get(accountId);
    if (!l) {
      l = new Bottleneck({ minTime: this.minTimeFor(accountId), maxConcurrent: null });
      this.limiters.set(accountId, l);
    }
    return l;
  }

  private apply(accountId: string): void {
    this.limiters.get(accountId)?.updateSettings({ minTime: this.minTimeFor(accountId) });
  }
}
