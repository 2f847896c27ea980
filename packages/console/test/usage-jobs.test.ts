import { describe, expect, test } from 'vitest';
import type { JobStatusEventData, Lineage, LineageNode } from '../src/api/jobs-types.ts';
import type { Usage } from '../src/api/types.ts';
import { parseJobsSearch } from '../src/lib/jobs-search.ts';
import {
  buildTimeline,
  eventsTellHistory,
  flattenTree,
  hasJobFilters,
  jobDurationMs,
  jobsApiQuery,
  jobsRangeProblem,
  lineageTree,
  parseStreamEvent,
  platformImageSrc,
  timelineFromJob,
  type JobStreamEvent,
} from '../src/lib/jobs-view.ts';
import { parseUsageSearch, utcDay } from '../src/lib/usage-search.ts';
import { bucketCount, chartData, coveredRange, csvField, MAX_BUCKETS, METRIC_FORMAT, usageCsv, usageCsvFileName, usageView } from '../src/lib/usage-view.ts';

// The Usage and Jobs pages' pure helpers: URL search parsing, range and bucket math, the charts'
// rows, the CSV, which image addresses may load, the event timeline and the lineage tree.

const NOW = new Date('2025-06-07T14:25:00Z');

const figures = (jobs: number, credits: number, mp: number) => ({
  jobs,
  credits,
  input_mp: 0,
  output_mp: mp,
  avg_queue_ms: null,
  avg_engine_ms: null,
  p50_ms: null,
  p95_ms: null,
});

/** Two day buckets grouped by model: dev twice and pro once on the first day, dev once on the second. */
const USAGE: Usage = {
  granularity: 'day',
  from: '2025-06-06T00:00:00.000Z',
  to: '2025-06-08T00:00:00.000Z',
  group_by: 'model',
  buckets: [
    {
      start: '2025-06-06T00:00:00.000Z',
      totals: figures(3, 8, 3.146),
      groups: [
        { key: 'flux-kontext-dev', ...figures(2, 4, 2.097) },
        { key: 'flux-kontext-pro', ...figures(1, 4, 1.049) },
      ],
    },
    { start: '2025-06-07T00:00:00.000Z', totals: figures(1, 2, 1.049), groups: [{ key: 'flux-kontext-dev', ...figures(1, 2, 1.049) }] },
  ],
  totals: figures(4, 10, 4.195),
};

describe('the usage URL', () => {
  test('keeps known values and drops the rest', () => {
    expect(parseUsageSearch({ range: '30d', granularity: 'hour', group: 'key', mode: 'live' })).toEqual({ range: '30d', granularity: 'hour', group: 'key', mode: 'live' });
    expect(parseUsageSearch({ range: '1y', granularity: 'minute', group: 'colour', mode: 'both', extra: 'x' })).toEqual({});
    expect(parseUsageSearch({ range: 'custom', from: '2025-06-01', to: '2025-02-30' })).toEqual({ range: 'custom', from: '2025-06-01' });
    expect(parseUsageSearch({ range: ['7d'], from: 20250601 })).toEqual({});
  });

  test('days are real calendar days', () => {
    expect(utcDay('2024-02-29')).toBe('2024-02-29');
    expect(utcDay('2025-02-29')).toBeUndefined();
    expect(utcDay('2025-6-1')).toBeUndefined();
    expect(utcDay('2025-06-01T00:00:00Z')).toBeUndefined();
  });
});

describe('the usage view', () => {
  test('the default: the last 7 days by day and model, today last', () => {
    const view = usageView({}, NOW);
    expect(view).toMatchObject({ range: '7d', granularity: 'day', group: 'model', problem: null });
    expect(view.query).toEqual({ from: '2025-06-01T00:00:00.000Z', to: '2025-06-08T00:00:00.000Z', granularity: 'day', group_by: 'model' });
    expect(bucketCount(Date.parse(view.query!.from), Date.parse(view.query!.to), 'day')).toBe(7);
  });

  test('a preset holds exactly its buckets, the current one last', () => {
    const day = usageView({ range: '24h' }, NOW);
    expect(day.granularity).toBe('hour');
    expect(day.query).toMatchObject({ from: '2025-06-06T15:00:00.000Z', to: '2025-06-07T15:00:00.000Z' });
    expect(bucketCount(Date.parse(day.query!.from), Date.parse(day.query!.to), 'hour')).toBe(24);
    const month = usageView({ range: '30d', granularity: 'hour', group: 'status', mode: 'test' }, NOW);
    expect(month.query).toEqual({ from: '2025-05-08T15:00:00.000Z', to: '2025-06-07T15:00:00.000Z', granularity: 'hour', group_by: 'status', mode: 'test' });
    expect(bucketCount(Date.parse(month.query!.from), Date.parse(month.query!.to), 'hour')).toBe(720);
    // On a bucket boundary the current bucket is still the last one.
    const onTheHour = usageView({ range: '24h' }, new Date('2025-06-07T14:00:00Z'));
    expect(onTheHour.query).toMatchObject({ from: '2025-06-06T15:00:00.000Z', to: '2025-06-07T15:00:00.000Z' });
  });

  test('a granularity the range cannot have falls back to its default', () => {
    expect(usageView({ range: '24h', granularity: 'day' }, NOW).granularity).toBe('hour');
    const quarter = usageView({ range: '90d', granularity: 'hour' }, NOW);
    expect(quarter.granularity).toBe('day');
    expect(quarter.granularities).toEqual({ hour: false, day: true });
    expect(bucketCount(Date.parse(quarter.query!.from), Date.parse(quarter.query!.to), 'day')).toBe(90);
  });

  test('a custom range is whole UTC days, the last included', () => {
    const view = usageView({ range: 'custom', from: '2025-05-01', to: '2025-05-31', granularity: 'hour', group: 'none' }, NOW);
    expect(view.query).toEqual({ from: '2025-05-01T00:00:00.000Z', to: '2025-06-01T00:00:00.000Z', granularity: 'hour', group_by: 'none' });
    expect(bucketCount(Date.parse(view.query!.from), Date.parse(view.query!.to), 'hour')).toBe(744);
    // Without days: the last 7 days.
    expect(usageView({ range: 'custom' }, NOW)).toMatchObject({ fromDay: '2025-06-01', toDay: '2025-06-07' });
  });

  test('the API limits are kept before asking: 744 hours, 400 days', () => {
    // 32 days of hours is over the limit: days instead.
    const long = usageView({ range: 'custom', from: '2025-05-01', to: '2025-06-01', granularity: 'hour' }, NOW);
    expect(bucketCount(Date.parse('2025-05-01T00:00:00Z'), Date.parse('2025-06-02T00:00:00Z'), 'hour')).toBeGreaterThan(MAX_BUCKETS.hour);
    expect(long).toMatchObject({ granularity: 'day', granularities: { hour: false, day: true }, problem: null });
    const tooLong = usageView({ range: 'custom', from: '2024-01-01', to: '2025-06-01' }, NOW);
    expect(tooLong.query).toBeNull();
    expect(tooLong.problem).toMatch(/At most 400 days/);
    const exactly = usageView({ range: 'custom', from: '2024-05-03', to: '2025-06-06' }, NOW);
    expect(bucketCount(Date.parse(exactly.query!.from), Date.parse(exactly.query!.to), 'day')).toBe(400);
    const backwards = usageView({ range: 'custom', from: '2025-06-07', to: '2025-06-01' }, NOW);
    expect(backwards).toMatchObject({ query: null, problem: 'The first day is after the last day.' });
  });

  test('bucket counts follow the API: from rounded down, to rounded up', () => {
    expect(bucketCount(Date.parse('2025-06-07T14:30:00Z'), Date.parse('2025-06-07T15:10:00Z'), 'hour')).toBe(2);
    expect(bucketCount(Date.parse('2025-06-07T14:00:00Z'), Date.parse('2025-06-07T15:00:00Z'), 'hour')).toBe(1);
    expect(bucketCount(Date.parse('2025-06-01T23:00:00Z'), Date.parse('2025-06-02T01:00:00Z'), 'day')).toBe(2);
  });
});

describe('the usage charts and CSV', () => {
  test('every bucket and every series, zeros included, the largest series first', () => {
    const jobs = chartData(USAGE, 'jobs');
    expect(jobs.series).toEqual(['flux-kontext-dev', 'flux-kontext-pro']);
    expect(jobs.rows).toEqual([
      { start: '2025-06-06T00:00:00.000Z', values: { 'flux-kontext-dev': 2, 'flux-kontext-pro': 1 }, total: 3 },
      { start: '2025-06-07T00:00:00.000Z', values: { 'flux-kontext-dev': 1, 'flux-kontext-pro': 0 }, total: 1 },
    ]);
    expect(jobs.total).toBe(4);
    expect(chartData(USAGE, 'output_mp').rows[0]?.values['flux-kontext-pro']).toBe(1.049);
  });

  test('ungrouped: one series of totals', () => {
    const ungrouped: Usage = { ...USAGE, group_by: 'none', buckets: USAGE.buckets.map((bucket) => ({ ...bucket, groups: [] })) };
    expect(chartData(ungrouped, 'credits')).toMatchObject({ series: ['total'], rows: [{ values: { total: 8 } }, { values: { total: 2 } }], total: 10 });
  });

  test('the CSV has a row per bucket and series, with the charts’ numbers', () => {
    expect(usageCsv(USAGE).split('\r\n')).toEqual([
      'bucket_start,group,jobs,credits,output_megapixels',
      '2025-06-06T00:00:00.000Z,flux-kontext-dev,2,4,2.097',
      '2025-06-06T00:00:00.000Z,flux-kontext-pro,1,4,1.049',
      '2025-06-07T00:00:00.000Z,flux-kontext-dev,1,2,1.049',
      '2025-06-07T00:00:00.000Z,flux-kontext-pro,0,0,0',
      '',
    ]);
  });

  test('CSV fields: quoted when needed, formulas made inert', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField(12.5)).toBe('12.5');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('=HYPERLINK("https://evil.example")')).toBe(`"'=HYPERLINK(""https://evil.example"")"`);
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('@sum')).toBe("'@sum");
    expect(csvField(Number.NaN)).toBe('');
  });

  test('the file name says the range, the buckets and the grouping', () => {
    expect(usageCsvFileName({ range: '7d', mode: undefined }, USAGE)).toBe('kontext-usage-7d-2025-06-06-to-2025-06-07-daily-by-model.csv');
    expect(
      usageCsvFileName({ range: '24h', mode: 'live' }, { from: '2025-06-06T15:00:00.000Z', to: '2025-06-07T15:00:00.000Z', granularity: 'hour', group_by: 'key' }),
    ).toBe('kontext-usage-24h-2025-06-06T15h-to-2025-06-07T14h-hourly-by-key-live.csv');
    expect(usageCsvFileName({ range: 'custom', mode: 'test' }, { ...USAGE, group_by: 'none' })).toBe('kontext-usage-custom-2025-06-06-to-2025-06-07-daily-totals-test.csv');
  });

  test('the covered range in words, and the numbers as the tables show them', () => {
    expect(coveredRange(USAGE)).toBe('6 Jun 2025 – 7 Jun 2025 (UTC)');
    expect(coveredRange({ from: '2025-06-07T00:00:00.000Z', to: '2025-06-08T00:00:00.000Z', granularity: 'day' })).toBe('7 Jun 2025 (UTC)');
    expect(METRIC_FORMAT.jobs(12345)).toBe('12,345');
    expect(METRIC_FORMAT.credits(12.5)).toBe('12.5');
    expect(METRIC_FORMAT.output_mp(1.048576)).toBe('1.049');
  });
});

describe('the jobs URL and query', () => {
  test('keeps known statuses, id-shaped names and real days', () => {
    expect(parseJobsSearch({ status: 'failed', model: 'flux-kontext-pro', key: 'key_01ABC', from: '2025-06-01', to: '2025-06-07', root: 'job_01XYZ' })).toEqual({
      status: 'failed',
      model: 'flux-kontext-pro',
      key: 'key_01ABC',
      from: '2025-06-01',
      to: '2025-06-07',
      root: 'job_01XYZ',
    });
    expect(parseJobsSearch({ status: 'sleeping', model: '<img src=x>', key: 'a b', from: 'yesterday', root: '../admin' })).toEqual({});
    expect(parseJobsSearch({ model: 'x'.repeat(101) })).toEqual({});
  });

  test('days become the API’s created_after and created_before; the key is api_key_id', () => {
    expect(jobsApiQuery({ status: 'succeeded', key: 'key_1', from: '2025-06-01', to: '2025-06-07' }, 'job_cursor')).toEqual({
      limit: 25,
      cursor: 'job_cursor',
      status: 'succeeded',
      api_key_id: 'key_1',
      created_after: '2025-06-01T00:00:00.000Z',
      created_before: '2025-06-08T00:00:00.000Z',
    });
    expect(jobsApiQuery({}, null)).toEqual({ limit: 25 });
    expect(hasJobFilters({})).toBe(false);
    expect(hasJobFilters({ root: 'job_1' })).toBe(true);
    expect(jobsRangeProblem({ from: '2025-06-08', to: '2025-06-07' })).toBe('The first day is after the last day.');
    expect(jobsRangeProblem({ from: '2025-06-07', to: '2025-06-07' })).toBeNull();
  });
});

describe('images and durations', () => {
  const origin = 'http://localhost:8080';
  const asset = 'ast_01JD3M5X0000000000000000AB';

  test('only this origin’s blob URLs, else the asset route for a well-formed id', () => {
    expect(platformImageSrc(origin, `${origin}/v1/blobs/abc?expires=1&signature=2`, asset)).toBe(`${origin}/v1/blobs/abc?expires=1&signature=2`);
    expect(platformImageSrc(origin, 'https://evil.example/v1/blobs/abc', asset)).toBe(`/v1/assets/${asset}/content`);
    expect(platformImageSrc(origin, `${origin}/v1/keys`, asset)).toBe(`/v1/assets/${asset}/content`);
    expect(platformImageSrc(origin, 'javascript:alert(1)', null)).toBeNull();
    expect(platformImageSrc(origin, 'http://user:pass@localhost:8080/v1/blobs/x', null)).toBeNull();
    expect(platformImageSrc(origin, null, '../../v1/keys')).toBeNull();
    expect(platformImageSrc(origin, null, 'ast_short')).toBeNull();
    expect(platformImageSrc(origin, null, null)).toBeNull();
  });

  test('a duration from submit to finish, or to now while in flight', () => {
    expect(jobDurationMs({ created_at: '2025-06-07T14:00:00.000Z', finished_at: '2025-06-07T14:00:01.500Z' }, NOW)).toBe(1500);
    expect(jobDurationMs({ created_at: '2025-06-07T14:24:00.000Z', finished_at: null }, NOW)).toBe(60_000);
    expect(jobDurationMs({ created_at: 'never', finished_at: null }, NOW)).toBeNull();
  });
});

describe('the event timeline', () => {
  const status = (id: number, data: Partial<JobStatusEventData> & Pick<JobStatusEventData, 'status' | 'attempt'>, at = `2025-06-07T14:00:0${id}.000Z`): JobStreamEvent => ({
    id,
    event: 'status',
    data: { job_id: 'job_1', bfl_status: 'Pending', at, ...data },
  });
  const progress = (id: number, share: number): JobStreamEvent => ({ id, event: 'progress', data: { job_id: 'job_1', progress: share, at: `2025-06-07T14:00:0${id}.000Z` } });

  test('queued → started → progress (one step) → end, each with its time', () => {
    const events = [status(1, { status: 'queued', attempt: 0 }), status(2, { status: 'running', attempt: 1 }), progress(3, 0.25), progress(4, 0.5), progress(5, 1), status(6, { status: 'succeeded', attempt: 1 })];
    expect(buildTimeline(events)).toEqual([
      { kind: 'queued', label: 'Queued', at: '2025-06-07T14:00:01.000Z', status: 'queued' },
      { kind: 'started', label: 'Started', at: '2025-06-07T14:00:02.000Z', status: 'running' },
      { kind: 'progress', label: 'Progress', at: '2025-06-07T14:00:05.000Z', detail: '100%, the last of 3 updates' },
      { kind: 'end', label: 'Succeeded', at: '2025-06-07T14:00:06.000Z', status: 'succeeded' },
    ]);
    expect(eventsTellHistory(events)).toBe(true);
  });

  test('a retry shows as queued and started again; a failure with its error; repeats once', () => {
    const events = [
      status(1, { status: 'queued', attempt: 0 }),
      status(2, { status: 'running', attempt: 1 }),
      status(3, { status: 'queued', attempt: 1 }),
      status(4, { status: 'running', attempt: 2 }),
      status(5, { status: 'failed', attempt: 2, error: 'CUDA out of memory' }),
      status(5, { status: 'failed', attempt: 2, error: 'CUDA out of memory' }),
    ];
    expect(buildTimeline(events).map((item) => [item.kind, item.label, item.detail])).toEqual([
      ['queued', 'Queued', undefined],
      ['started', 'Started', undefined],
      ['queued', 'Queued again after attempt 1', undefined],
      ['started', 'Started (attempt 2)', undefined],
      ['end', 'Failed', 'CUDA out of memory'],
    ]);
  });

  test('a job whose events expired: one summary event; the job’s own times instead', () => {
    expect(eventsTellHistory([status(0, { status: 'succeeded', attempt: 1 })])).toBe(false);
    expect(
      timelineFromJob({ status: 'failed', created_at: '2025-06-07T14:00:00.000Z', started_at: '2025-06-07T14:00:01.000Z', finished_at: '2025-06-07T14:00:03.000Z', error: 'boom', progress: null }),
    ).toEqual([
      { kind: 'queued', label: 'Queued', at: '2025-06-07T14:00:00.000Z', status: 'queued' },
      { kind: 'started', label: 'Started', at: '2025-06-07T14:00:01.000Z', status: 'running' },
      { kind: 'end', label: 'Failed', at: '2025-06-07T14:00:03.000Z', status: 'failed', detail: 'boom' },
    ]);
  });

  test('SSE messages: only status and progress events with their data', () => {
    expect(parseStreamEvent('status', '7', JSON.stringify({ job_id: 'job_1', status: 'running', attempt: 1, bfl_status: 'Pending', at: '2025-06-07T14:00:00Z' }))).toMatchObject({ id: 7, event: 'status' });
    expect(parseStreamEvent('progress', '8', JSON.stringify({ job_id: 'job_1', progress: 0.5, at: '2025-06-07T14:00:00Z' }))).toMatchObject({ id: 8, event: 'progress' });
    expect(parseStreamEvent('message', '9', '{}')).toBeNull();
    expect(parseStreamEvent('status', '9', 'not json')).toBeNull();
    expect(parseStreamEvent('progress', '9', JSON.stringify({ progress: '50%', at: 'x' }))).toBeNull();
  });
});

describe('the lineage tree', () => {
  const node = (id: string, children: LineageNode[] = [], depth = 0): LineageNode => ({
    id,
    parent_job_id: null,
    depth,
    prompt: id,
    status: 'succeeded',
    bfl_status: 'Ready',
    model: 'flux-kontext-dev',
    created_at: '2025-06-07T14:00:00.000Z',
    output_asset_id: null,
    output_expired: false,
    thumbnail_url: null,
    references: [],
    children,
  });

  test('ancestors root first, then the job with its subtree; levels from 1', () => {
    const lineage: Lineage = { job_id: 'c', root_job_id: 'a', ancestors: [node('a'), node('b', [], 1)], tree: node('c', [node('d', [node('f')]), node('e')], 2) };
    const tree = lineageTree(lineage);
    expect(flattenTree(tree).map((entry) => [entry.node.id, entry.level])).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
      ['d', 4],
      ['f', 5],
      ['e', 4],
    ]);
  });

  test('a root without edits is a tree of one', () => {
    expect(flattenTree(lineageTree({ job_id: 'a', root_job_id: 'a', ancestors: [], tree: node('a') })).map((entry) => entry.node.id)).toEqual(['a']);
  });
});
