import { describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/logging/logger.js';
import { addLogContext, runWithLogContext } from '../../shared/logging/log-context.js';
import { traceparentFromHeaders } from '../../shared/logging/traceparent.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({ projectId: 'demo', level: 'DEBUG', write: (l) => lines.push(JSON.parse(l)) });
  return { lines, log };
}

describe('structured logging for Cloud Logging', () => {
  it('writes one JSON object per line with severity, message and the trace of the current context', async () => {
    const { lines, log } = capture();
    await runWithLogContext({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', requestId: 'r1' }, async () => {
      await Promise.resolve();
      addLogContext({ tienda_id: 't-1' });
      log.warn('hello', { n: 1 });
    });
    expect(lines[0]).toMatchObject({
      severity: 'WARNING',
      message: 'hello',
      requestId: 'r1',
      tienda_id: 't-1',
      n: 1,
      'logging.googleapis.com/trace': 'projects/demo/traces/0af7651916cd43dd8448eb211c80319c',
      'logging.googleapis.com/spanId': 'b7ad6b7169203331',
      'logging.googleapis.com/trace_sampled': true,
    });
  });

  it('never prints secrets, however deep, but keeps token counts', () => {
    const { lines, log } = capture();
    log.info('call', { headers: { authorization: 'Bearer abc' }, apiKey: 'k', nested: { client_secret: 's', access_token: 't' }, usage: { input_tokens: 12 } });
    const text = JSON.stringify(lines[0]);
    for (const secret of ['Bearer abc', '"k"', '"s"', '"t"']) expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({ usage: { input_tokens: 12 } });
  });

  it('respects the level and contexts do not leak between concurrent requests', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = createLogger({ level: 'WARNING', write: (l) => lines.push(JSON.parse(l)) });
    log.info('dropped');
    await Promise.all(
      ['a', 'b'].map((id) =>
        runWithLogContext({ requestId: id }, async () => {
          await new Promise((r) => setTimeout(r, id === 'a' ? 20 : 1));
          log.error('done');
        }),
      ),
    );
    expect(lines.map((l) => l.requestId).sort()).toEqual(['a', 'b']);
  });

  it('turns X-Cloud-Trace-Context into a traceparent', () => {
    expect(traceparentFromHeaders({ 'x-cloud-trace-context': '105445aa7843bc8bf206b12000100000/1;o=1' })).toBe('00-105445aa7843bc8bf206b12000100000-0000000000000001-01');
    expect(traceparentFromHeaders({})).toMatch(/^00-[\da-f]{32}-[\da-f]{16}-01$/);
  });
});
