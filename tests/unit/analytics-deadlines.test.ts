import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { analyticsFromBigQuery } from '../../shared/analytics/analytics-recorder.js';
import { AnalyticsRejectedError, AnalyticsUnavailableError, BigQueryAnalyticsSink } from '../../shared/analytics/analytics-sink.js';
import { createLogger, getLogger, setLogger } from '../../shared/logging/logger.js';
import { TransientError } from '../../shared/pubsub/handler-errors.js';
import { startBigQueryFake, type BigQueryFake } from '../fakes/bigquery-fake.js';

const BUYER = 'Javiera Pérez Soto';
const COMMENT = 'quiero la roja talla M, mándamela a Av. Brasil 1234';

function commentRow(id: string, over: Record<string, unknown> = {}) {
  return {
    comment_id: id,
    tienda_id: 'moda-valpo',
    live_id: 'live-1',
    platform: 'facebook',
    source_field: 'feed',
    account_id: '2222222222',
    post_id: '2222222222_1',
    parent_id: null,
    author_id: 'u-1',
    text: COMMENT,
    created_time: '2026-11-29T22:00:00.000Z',
    received_at: '2026-11-29T22:00:01.000Z',
    disposition: 'forwarded',
    ...over,
  };
}

describe('BigQuery deadlines and privacy', () => {
  let bq: BigQueryFake;
  const previous = getLogger();
  let lines: string[] = [];
  beforeAll(async () => {
    bq = await startBigQueryFake({ dataset: 'livestreamsell' });
  });
  afterAll(() => bq.close());
  afterEach(() => {
    bq.reset();
    setLogger(previous);
  });
  const captureLogs = () => {
    lines = [];
    setLogger(createLogger({ write: (line) => lines.push(line) }));
  };
  const sink = (over: Partial<ConstructorParameters<typeof BigQueryAnalyticsSink>[0]> = {}) =>
    new BigQueryAnalyticsSink({ projectId: 'p', dataset: 'livestreamsell', apiEndpoint: bq.url, retryDelayMs: 5, timeoutMs: 300, ...over });

  it('an insert against a BigQuery that accepts the connection and never answers ends within its deadline as unavailable', async () => {
    bq.failNextRequests(Infinity, 'hang');
    const error = await sink().insert('comments', [{ insertId: 'comment:h-1', row: commentRow('h-1') }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AnalyticsUnavailableError);
    expect(error).toMatchObject({ pending: ['comment:h-1'], inserted: [] });
    expect(bq.hangingRequests).toBeGreaterThanOrEqual(1);
  });

  it('the recorder without an outbox turns a hung BigQuery into a TransientError in time (never a pending push)', async () => {
    bq.failNextRequests(Infinity, 'hang');
    const recorder = analyticsFromBigQuery(sink({ timeoutMs: 10_000 }), { insertTimeoutMs: 300 });
    await expect(recorder.record('comments', 'comment:h-2', commentRow('h-2'))).rejects.toBeInstanceOf(TransientError);
  });

  it('a whole-request refusal whose message quotes row values is logged and raised without them', async () => {
    captureLogs();
    bq.failNextRequests(1, 400, `Invalid value at 'rows[0].json.text' (TYPE_STRING), "${COMMENT}" from ${BUYER}`);
    const error = await sink().insert('comments', [{ insertId: 'comment:v-1', row: commentRow('v-1') }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AnalyticsRejectedError);
    expect((error as Error).message).not.toContain(BUYER);
    expect((error as Error).message).not.toContain('Av. Brasil');
    expect((error as Error).message).toContain('400');

    bq.failNextRequests(1, 400, `Invalid value: "${COMMENT}" from ${BUYER}`);
    const recorder = analyticsFromBigQuery(sink());
    await recorder.record('comments', 'comment:v-2', commentRow('v-2', { author_name_hint: BUYER })).catch(() => undefined);
    bq.failNextRequests(1, 503, `Backend error while storing "${COMMENT}"`);
    await recorder.record('comments', 'comment:v-3', commentRow('v-3')).catch((e: unknown) => lines.push(String((e as Error).message)));
    const logged = lines.join('\n');
    expect(logged).toContain('comment:v-2');
    expect(logged).not.toContain(BUYER);
    expect(logged).not.toContain('Av. Brasil');
  });

  it('row-level rejections quoting values are logged by insertId, reason and field only', async () => {
    captureLogs();
    const recorder = analyticsFromBigQuery(sink());
    await recorder.record('comments', 'comment:v-4', commentRow('v-4', { created_time: `not a time ${BUYER}` }));
    const logged = lines.join('\n');
    expect(logged).toContain('comment:v-4');
    expect(logged).toContain('created_time');
    expect(logged).not.toContain(BUYER);
    expect(logged).not.toContain('Av. Brasil');
  });
});
