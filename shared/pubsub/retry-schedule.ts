import { ATTR } from '../topology/topology.js';

/**
 * The product owner's retry schedule (DESIGN §3): after the first failure, retries at schedule[0],
 * schedule[1], … after each failure; after the last one, the dead-letter topic. The schedule is data
 * (configuration), so tests run it compressed.
 */

export interface FailureRecord {
  /** 0 = the original delivery, n = the n-th retry. */
  attempt: number;
  at: string;
  kind: 'transient' | 'permanent';
  reason: string;
  error: string;
}

export type RetryDecision =
  | { action: 'retry'; nextAttempt: number; notBefore: number }
  | { action: 'dead_letter' };

export function decideAfterTransientFailure(attempt: number, schedule: readonly number[], now: number): RetryDecision {
  const delay = schedule[attempt];
  if (delay === undefined) return { action: 'dead_letter' };
  return { action: 'retry', nextAttempt: attempt + 1, notBefore: now + delay };
}

/** Attribute values are limited to 1024 bytes; keep each failure record well under it. */
const MAX_ERROR_CHARS = 600;

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function failureAttributeName(attempt: number): string {
  return `${ATTR.failurePrefix}${attempt}`;
}

export function encodeFailure(record: FailureRecord): string {
  return JSON.stringify({ ...record, error: truncate(record.error, MAX_ERROR_CHARS) });
}

/** The failure history carried on a message's attributes, oldest first. */
export function readFailureHistory(attributes: Record<string, string>): FailureRecord[] {
  const out: FailureRecord[] = [];
  for (const [k, v] of Object.entries(attributes)) {
    if (!k.startsWith(ATTR.failurePrefix)) continue;
    try {
      out.push(JSON.parse(v) as FailureRecord);
    } catch {
      // A foreign attribute that happens to share the prefix: ignore it rather than fail the message.
    }
  }
  return out.sort((a, b) => a.attempt - b.attempt);
}

export function readAttempt(attributes: Record<string, string>): number {
  const n = Number(attributes[ATTR.retryAttempt] ?? '0');
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

export function readNotBefore(attributes: Record<string, string>): number | null {
  const v = attributes[ATTR.notBefore];
  if (!v) return null;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : null;
}

/** Attribute keys the retry machinery adds; stripped when a dead letter is replayed. */
export function isRetryBookkeeping(key: string): boolean {
  return (
    key.startsWith(ATTR.failurePrefix) ||
    key === ATTR.retryAttempt ||
    key === ATTR.notBefore ||
    key === ATTR.originalTopic ||
    key === ATTR.originalMessageId ||
    key === ATTR.deadLetterReason ||
    key === ATTR.deadLetteredAt ||
    key.startsWith('CloudPubSubDeadLetter')
  );
}
