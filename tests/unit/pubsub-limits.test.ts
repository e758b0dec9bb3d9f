import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { enforcePubSubLimits, PUBSUB_LIMITS, PubSubLimitError, truncateUtf8, utf8Bytes } from '../../shared/pubsub/pubsub-limits.js';
import { PermanentError } from '../../shared/pubsub/handler-errors.js';
import { encodeFailure, fitFailureAttribute, readFailureHistory, type FailureRecord } from '../../shared/pubsub/retry-schedule.js';

/** What a Spanish provider error looks like, long: 2-, 3- and 4-byte characters. */
const LONG_SPANISH = 'Error de conexión con el proveedor: «tiempo de espera agotado» — reintente más tarde 🦤 ñandú. '.repeat(40);

const bytesRoundTrip = (s: string) => Buffer.from(s, 'utf8').toString('utf8');

describe('truncateUtf8', () => {
  it('cuts by UTF-8 bytes, between characters, and marks the cut', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), fc.integer({ min: 0, max: 600 }), (text, max) => {
        const out = truncateUtf8(text, max);
        expect(utf8Bytes(out)).toBeLessThanOrEqual(Math.max(max, 0));
        if (utf8Bytes(text) <= max) {
          expect(out).toBe(text);
          return;
        }
        // A prefix of whole code points, then the ellipsis: no half surrogate pair, no broken multi-byte sequence.
        if (out !== '') {
          expect(out.endsWith('…')).toBe(true);
          expect(text.startsWith(out.slice(0, -1))).toBe(true);
          expect([...out.slice(0, -1)].every((ch, i) => ch === [...text][i])).toBe(true);
        }
      }),
    );
  });

  it('never leaves a replacement character where the original had none', () => {
    for (let max = 1; max < 60; max++) {
      const out = truncateUtf8('ñ🦤€'.repeat(20), max);
      expect(bytesRoundTrip(out)).toBe(out);
      expect(out).not.toContain('\uFFFD');
    }
  });
});

describe('failure records fit one attribute value', () => {
  const record = (error: string, reason = 'provider_timeout'): FailureRecord => ({ attempt: 3, at: '2026-11-29T10:00:00.000Z', kind: 'transient', reason, error });

  it('a long non-ASCII error is cut to ≤ 1024 bytes and the record still parses', () => {
    expect(utf8Bytes(LONG_SPANISH)).toBeGreaterThan(3000);
    const encoded = encodeFailure(record(LONG_SPANISH));
    expect(utf8Bytes(encoded)).toBeLessThanOrEqual(PUBSUB_LIMITS.maxAttributeValueBytes);
    const parsed = JSON.parse(encoded) as FailureRecord;
    expect(parsed.attempt).toBe(3);
    expect(parsed.error.endsWith('…')).toBe(true);
    expect(LONG_SPANISH.startsWith(parsed.error.slice(0, -1))).toBe(true);
    // Most of the room goes to the text, not wasted.
    expect(utf8Bytes(encoded)).toBeGreaterThan(PUBSUB_LIMITS.maxAttributeValueBytes - 8);
  });

  it('holds for any error and reason text, escapes included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 3000 }), fc.string({ unit: 'binary', maxLength: 400 }), (error, reason) => {
        const encoded = encodeFailure(record(error, reason));
        expect(utf8Bytes(encoded)).toBeLessThanOrEqual(PUBSUB_LIMITS.maxAttributeValueBytes);
        expect(readFailureHistory({ failure_3: encoded })).toHaveLength(1);
      }),
      { numRuns: 200 },
    );
  });

  it('re-fits an oversized failure attribute written by an older version', () => {
    const old = JSON.stringify(record('ñ'.repeat(600)));
    expect(utf8Bytes(old)).toBeGreaterThan(1024);
    const fitted = fitFailureAttribute(old);
    expect(utf8Bytes(fitted)).toBeLessThanOrEqual(1024);
    expect(readFailureHistory({ failure_3: fitted })[0]!.reason).toBe('provider_timeout');
  });
});

describe('enforcePubSubLimits', () => {
  const data = Buffer.from('{}');
  const refuses = (attrs: Record<string, string>, d = data) => {
    try {
      enforcePubSubLimits('incoming_comments', d, attrs);
    } catch (e) {
      expect(e).toBeInstanceOf(PubSubLimitError);
      expect(e).toBeInstanceOf(PermanentError);
      return (e as Error).message;
    }
    throw new Error('not refused');
  };

  it('refuses values over 1024 bytes, counted in UTF-8', () => {
    expect(refuses({ idempotency_key: 'ñ'.repeat(513) })).toMatch(/attribute "idempotency_key" is 1026 bytes/);
    expect(() => enforcePubSubLimits('t', data, { idempotency_key: 'ñ'.repeat(512) })).not.toThrow();
  });

  it('refuses keys over 256 bytes, more than 100 attributes, and messages over 10 MB', () => {
    expect(refuses({ ['k'.repeat(257)]: 'v' })).toMatch(/key .* is 257 bytes/);
    expect(refuses(Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`a${i}`, 'v'])))).toMatch(/101 attributes/);
    expect(() => enforcePubSubLimits('t', data, Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`a${i}`, 'v'])))).not.toThrow();
    expect(refuses({ a: 'v' }, Buffer.alloc(PUBSUB_LIMITS.maxMessageBytes))).toMatch(/message is 10000002 bytes/);
  });

  it('lets the caller shorten what it knows how to shorten, and checks the result', () => {
    const out = enforcePubSubLimits('t', data, { dead_letter_reason: 'é'.repeat(1500) }, (_k, v) => truncateUtf8(v, 1000));
    expect(utf8Bytes(out.dead_letter_reason!)).toBeLessThanOrEqual(1000);
  });
});
