import { ATTR } from '../topology/topology.js';
import { PUBSUB_LIMITS, truncateUtf8, utf8Bytes } from './pubsub-limits.js';

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

/** A failure's machine-readable reason is short; cap it so the error text keeps most of the record's room. */
const MAX_REASON_BYTES = 128;

/**
 * Cuts `text` to at most `maxBytes` UTF-8 bytes (never inside a character), marking the cut with "…".
 * Bytes, not characters: Pub/Sub limits attribute values to 1024 bytes, and a Spanish or emoji error message
 * takes up to 4 bytes per character.
 */
export function truncate(text: string, maxBytes: number): string {
  return truncateUtf8(text, maxBytes);
}

export function failureAttributeName(attempt: number): string {
  return `${ATTR.failurePrefix}${attempt}`;
}

/**
 * One failure record as an attribute value: JSON of at most `maxBytes` UTF-8 bytes (Pub/Sub's attribute
 * value limit), still parseable. The error text is what gets shortened; JSON escaping can make the encoded
 * form longer than the text, so it shrinks until the whole encoding fits.
 */
export function encodeFailure(record: FailureRecord, maxBytes: number = PUBSUB_LIMITS.maxAttributeValueBytes): string {
  const reason = truncateUtf8(record.reason, MAX_REASON_BYTES);
  let error = record.error;
  let encoded = JSON.stringify({ ...record, reason, error });
  while (utf8Bytes(encoded) > maxBytes && error !== '') {
    const over = utf8Bytes(encoded) - maxBytes;
    error = truncateUtf8(error, Math.max(0, utf8Bytes(error) - over - 1));
    encoded = JSON.stringify({ ...record, reason, error });
  }
  return encoded;
}

/**
 * Brings an oversized `failure_N` value (e.g. written by an older version, or by hand) back under the
 * limit: re-encoded when it is a failure record, cut as text otherwise (a foreign value readFailureHistory
 * ignores anyway).
 */
export function fitFailureAttribute(value: string, maxBytes: number = PUBSUB_LIMITS.maxAttributeValueBytes): string {
  try {
    const record = JSON.parse(value) as FailureRecord;
    if (record && typeof record === 'object' && typeof record.error === 'string') return encodeFailure(record, maxBytes);
  } catch {
    // not JSON: fall through
  }
  return truncateUtf8(value, maxBytes);
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
