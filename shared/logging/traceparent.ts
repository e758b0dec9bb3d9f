import { randomBytes } from 'node:crypto';

/** W3C trace context helpers, so one comment can be followed across hops in Cloud Trace and the logs. */
const TRACEPARENT = /^00-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/;

export function isTraceparent(v: unknown): v is string {
  return typeof v === 'string' && TRACEPARENT.test(v) && !/^00-0{32}-/.test(v) && !/-0{16}-/.test(v);
}

export function newTraceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

/** A new span in the same trace (what a hop forwards downstream). */
export function childTraceparent(parent: string): string {
  const m = TRACEPARENT.exec(parent);
  if (!m) return newTraceparent();
  return `00-${m[1]}-${randomBytes(8).toString('hex')}-${m[3]}`;
}

/**
 * Cloud Run's load balancer sends `X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=1`; callers may send
 * `traceparent`. Either becomes a traceparent; neither → a new trace.
 */
export function traceparentFromHeaders(headers: Record<string, string | string[] | undefined>): string {
  const tp = headers['traceparent'];
  if (isTraceparent(tp)) return tp;
  const cloud = headers['x-cloud-trace-context'];
  if (typeof cloud === 'string') {
    const m = /^([\da-f]{32})\/(\d+)(?:;o=(\d))?/.exec(cloud);
    if (m) {
      const span = BigInt(m[2]!).toString(16).padStart(16, '0').slice(-16);
      if (!/^0+$/.test(span)) return `00-${m[1]}-${span}-${m[3] === '1' ? '01' : '00'}`;
    }
  }
  return newTraceparent();
}
