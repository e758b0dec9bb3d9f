import { PermanentError } from './handler-errors.js';

/**
 * Pub/Sub's message limits (https://cloud.google.com/pubsub/quotas#resource_limits). The emulator accepts
 * messages that break them, so production would be the first to refuse: the publisher checks them itself.
 * Sizes are UTF-8 bytes, not string lengths ("ñ" is 2 bytes, "🦤" is 4).
 */
export const PUBSUB_LIMITS = {
  maxAttributes: 100,
  maxAttributeKeyBytes: 256,
  maxAttributeValueBytes: 1024,
  /** Data plus attributes. Documented as "10 MB"; taken as decimal megabytes, the stricter reading. */
  maxMessageBytes: 10_000_000,
} as const;

/** A message Pub/Sub would refuse: retrying cannot help, so it is permanent (the push handler dead-letters it). */
export class PubSubLimitError extends PermanentError {
  constructor(
    readonly topic: string,
    detail: string,
  ) {
    super(`message for ${topic} exceeds a Pub/Sub limit: ${detail}`, 'pubsub_limit_exceeded');
    this.name = 'PubSubLimitError';
  }
}

export const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

const ELLIPSIS = '…';

/**
 * Cuts `text` to at most `maxBytes` UTF-8 bytes, ending with "…" when cut. Cuts between code points, so a
 * multi-byte character (or a surrogate pair) is never split into invalid UTF-8.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8Bytes(text) <= maxBytes) return text;
  const budget = maxBytes - utf8Bytes(ELLIPSIS);
  if (budget < 0) return '';
  let used = 0;
  let out = '';
  for (const ch of text) {
    const n = utf8Bytes(ch);
    if (used + n > budget) break;
    used += n;
    out += ch;
  }
  return out + ELLIPSIS;
}

/**
 * Checks a message against every limit before it leaves: attribute count, key and value sizes, total size.
 * `fit(key, value)` may shorten a value it knows how to shorten (failure records, reasons); anything still
 * over a limit is refused with a PubSubLimitError naming the attribute.
 */
export function enforcePubSubLimits(
  topic: string,
  data: Buffer,
  attributes: Record<string, string>,
  fit: (key: string, value: string) => string = (_k, v) => v,
): Record<string, string> {
  const entries = Object.entries(attributes);
  if (entries.length > PUBSUB_LIMITS.maxAttributes) {
    throw new PubSubLimitError(topic, `${entries.length} attributes (at most ${PUBSUB_LIMITS.maxAttributes})`);
  }
  const out: Record<string, string> = {};
  let total = data.length;
  for (const [key, raw] of entries) {
    const keyBytes = utf8Bytes(key);
    if (keyBytes > PUBSUB_LIMITS.maxAttributeKeyBytes) {
      throw new PubSubLimitError(topic, `attribute key "${truncateUtf8(key, 40)}" is ${keyBytes} bytes (at most ${PUBSUB_LIMITS.maxAttributeKeyBytes})`);
    }
    const value = utf8Bytes(raw) > PUBSUB_LIMITS.maxAttributeValueBytes ? fit(key, raw) : raw;
    const valueBytes = utf8Bytes(value);
    if (valueBytes > PUBSUB_LIMITS.maxAttributeValueBytes) {
      throw new PubSubLimitError(topic, `attribute "${key}" is ${valueBytes} bytes (at most ${PUBSUB_LIMITS.maxAttributeValueBytes})`);
    }
    out[key] = value;
    total += keyBytes + valueBytes;
  }
  if (total > PUBSUB_LIMITS.maxMessageBytes) {
    throw new PubSubLimitError(topic, `message is ${total} bytes with its attributes (at most ${PUBSUB_LIMITS.maxMessageBytes})`);
  }
  return out;
}
