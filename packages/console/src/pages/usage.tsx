import { useQuery, useSuspenseQuery } from '@tanstack/react-query';
import { getRouteApi, Link } from '@tanstack/react-router';
import { lazy, Suspense, useEffect, useId, useMemo, useState } from 'react';
import { useApi } from '../api/context.tsx';
import { keysQuery } from '../api/queries.ts';
import { sessionQuery } from '../api/session.ts';
import type { ApiKey, Usage } from '../api/types.ts';
import { newestJobQuery, usageViewQuery } from '../api/usage-queries.ts';
import { FilterSelect, ScrollTable } from '../components/manage.tsx';
import { Button, CodeBlock, EmptyState, ErrorMessage, Field, Loading, PageHeader, Problem } from '../components/ui.tsx';
import { firstCurlCommand } from '../lib/curl.ts';
import { maskedKey, statusLabel } from '../lib/format.ts';
import { USAGE_GROUPS, USAGE_RANGES, type UsageGroup, type UsageSearch } from '../lib/usage-search.ts';
import {
  bucketLabel,
  chartData,
  coveredRange,
  GROUP_LABELS,
  METRIC_FORMAT,
  METRICS,
  RANGE_LABELS,
  TOTAL_SERIES,
  usageCsv,
  usageCsvFileName,
  usageView,
  type ChartData,
  type UsageMetric,
  type UsageView,
} from '../lib/usage-view.ts';

// Usage over a chosen range: jobs, credits and megapixels per hour or day, grouped by model, key,
// status or mode, each as a chart (recharts, loaded with this page only, after it) and a table of
// the same numbers, with a CSV of them. The URL holds the view (range, granularity, grouping,
// mode), so it can be shared and reloaded; one "now", fixed when the page opened (or on Refresh),
// anchors every preset.

const route = getRouteApi('/signed-in/usage');

const UsageChart = lazy(() => import('../components/usage-chart.tsx'));

export function UsagePage() {
  const api = useApi();
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const { data: session } = useSuspenseQuery(sessionQuery(api));
  const [now, setNow] = useState(() => new Date());
  const view = useMemo(() => usageView(search, now), [search, now]);
  const usage = useQuery({ ...usageViewQuery(api, view.query ?? {}), enabled: view.query !== null });
  const newest = useQuery(newestJobQuery(api));
  const keys = useQuery({ ...keysQuery(api), enabled: session.scopes.includes('keys:write') && view.group === 'key' });

  const setSearch = (next: Partial<UsageSearch>) => void navigate({ search: (previous) => ({ ...previous, ...next }) });
  const labelOf = useMemo(() => seriesLabeller(view.group, keys.data?.data ?? []), [view.group, keys.data]);
  const answer = view.query ? usage.data : undefined;
  // The answer on screen is for this view (not the last one, kept while this one loads).
  const current = answer !== undefined && !usage.isPlaceholderData;
  const empty = answer !== undefined && answer.totals.jobs === 0;
  const everHadJobs = newest.data ? newest.data.data.length > 0 : undefined;
  const emptyText = !empty ? null : everHadJobs === false ? 'No jobs in this range yet' : 'Nothing matches: no jobs finished in this range';

  return (
    <>
      <PageHeader
        title="Usage"
        description={answer ? `${coveredRange(answer)}${view.mode ? `, ${view.mode} keys only` : ''}. Jobs count when they finish.` : 'Jobs, credits and megapixels over time.'}
        actions={
          <>
            <Button onClick={() => setNow(new Date())} disabled={usage.isFetching}>
              Refresh
            </Button>
            {answer && current ? <CsvDownload usage={answer} view={view} /> : null}
          </>
        }
      />
      <UsageControls view={view} onChange={setSearch} />
      <Problem>{view.problem}</Problem>
      {usage.isFetching && answer ? <Loading label="Updating…" /> : null}
      {usage.error ? (
        <div className="usage-error">
          <ErrorMessage error={usage.error} context="Could not load the usage" />
          <Button onClick={() => void usage.refetch()}>Try again</Button>
        </div>
      ) : null}
      {empty && current && everHadJobs === false ? <FirstJob mayManageKeys={session.scopes.includes('keys:write')} /> : null}
      {empty && current && everHadJobs === true ? (
        <p className="muted" role="status">
          Nothing matches this view: no job finished in this range{view.mode ? ` with a ${view.mode} key` : ''}. Try a longer range{view.mode ? ' or both modes' : ''}, or see{' '}
          <Link to="/jobs">the jobs log</Link>.
        </p>
      ) : null}
      {METRICS.map(({ metric, title }) => (
        <MetricSection
          key={metric}
          metric={metric}
          title={title}
          view={view}
          usage={answer}
          pending={view.query !== null && usage.isPending}
          labelOf={labelOf}
          emptyText={emptyText}
        />
      ))}
    </>
  );
}

function seriesLabeller(group: UsageGroup, keys: ApiKey[]): (series: string) => string {
  const names = new Map(keys.map((key) => [key.id, `${key.name} (${maskedKey(key)})`]));
  return (series) => {
    if (series === TOTAL_SERIES && group === 'none') return 'All jobs';
    if (group === 'key') return names.get(series) ?? series;
    if (group === 'status') return statusLabel(series);
    if (group === 'mode') return series === 'live' ? 'Live' : series === 'test' ? 'Test' : series;
    return series;
  };
}

function UsageControls({ view, onChange }: { view: UsageView; onChange: (next: Partial<UsageSearch>) => void }) {
  return (
    <form className="filters" aria-label="What to show" onSubmit={(event) => event.preventDefault()}>
      <Field label="Range">
        {(props) => (
          <select
            {...props}
            value={view.range}
            onChange={(event) => {
              const range = event.target.value as UsageView['range'];
              onChange(range === 'custom' ? { range, from: view.fromDay, to: view.toDay } : { range, from: undefined, to: undefined });
            }}
          >
            {USAGE_RANGES.map((range) => (
              <option key={range} value={range}>
                {RANGE_LABELS[range]}
              </option>
            ))}
          </select>
        )}
      </Field>
      {view.range === 'custom' ? (
        <>
          <Field label="From (UTC day)">
            {(props) => <input {...props} type="date" value={view.fromDay} required onChange={(event) => event.target.value && onChange({ from: event.target.value })} />}
          </Field>
          <Field label="To (included)">
            {(props) => <input {...props} type="date" value={view.toDay} required onChange={(event) => event.target.value && onChange({ to: event.target.value })} />}
          </Field>
        </>
      ) : null}
      <Field label="Per">
        {(props) => (
          <select {...props} value={view.granularity} onChange={(event) => onChange({ granularity: event.target.value === 'hour' ? 'hour' : 'day' })}>
            <option value="hour" disabled={!view.granularities.hour}>
              Hour{view.granularities.hour ? '' : ' (at most 31 days)'}
            </option>
            <option value="day" disabled={!view.granularities.day}>
              Day
            </option>
          </select>
        )}
      </Field>
      <Field label="Group by">
        {(props) => (
          <select {...props} value={view.group} onChange={(event) => onChange({ group: event.target.value as UsageGroup })}>
            {USAGE_GROUPS.map((group) => (
              <option key={group} value={group}>
                {GROUP_LABELS[group]}
              </option>
            ))}
          </select>
        )}
      </Field>
      <FilterSelect
        label="Keys"
        value={view.mode}
        any="Live and test"
        choices={[
          { value: 'live', label: 'Live only' },
          { value: 'test', label: 'Test only' },
        ]}
        onChange={(mode) => onChange({ mode: mode === 'live' || mode === 'test' ? mode : undefined })}
      />
    </form>
  );
}

/** The answer as a CSV file, built here (a Blob URL), named for its range and grouping. */
function CsvDownload({ usage, view }: { usage: Usage; view: UsageView }) {
  const [href, setHref] = useState<string | null>(null);
  useEffect(() => {
    const url = URL.createObjectURL(new Blob([usageCsv(usage)], { type: 'text/csv;charset=utf-8' }));
    setHref(url);
    return () => URL.revokeObjectURL(url);
  }, [usage]);
  if (!href) return null;
  return (
    <a className="button button-secondary" href={href} download={usageCsvFileName(view, usage)}>
      Download CSV
    </a>
  );
}

function FirstJob({ mayManageKeys }: { mayManageKeys: boolean }) {
  return (
    <EmptyState title="No jobs in this range yet">
      <p>Usage appears here once jobs finish. {mayManageKeys ? <Link to="/keys">Create an API key</Link> : 'Ask a developer of your team for an API key'}, then submit a first job:</p>
      <CodeBlock label="the first request" code={firstCurlCommand(window.location.origin, '$KONTEXT_API_KEY')} />
    </EmptyState>
  );
}

const PER: Record<UsageView['granularity'], string> = { hour: 'hour', day: 'day' };

function MetricSection({
  metric,
  title,
  view,
  usage,
  pending,
  labelOf,
  emptyText,
}: {
  metric: UsageMetric;
  title: string;
  view: UsageView;
  usage: Usage | undefined;
  pending: boolean;
  labelOf: (series: string) => string;
  emptyText: string | null;
}) {
  const headingId = useId();
  const data = useMemo(() => (usage ? chartData(usage, metric) : null), [usage, metric]);
  const granularity = usage?.granularity ?? view.granularity;
  const group = usage?.group_by ?? view.group;
  const caption = `${title} per ${PER[granularity]}${group === 'none' ? '' : `, by ${GROUP_LABELS[group].toLowerCase()}`}`;
  const format = METRIC_FORMAT[metric];
  return (
    <section aria-labelledby={headingId} className="usage-metric" data-metric={metric}>
      <div className="usage-metric-header">
        <h2 id={headingId}>{title}</h2>
        {data ? <p className="usage-metric-total">{format(data.total)} in this range</p> : null}
      </div>
      <div className="usage-chart-frame">
        {data ? (
          <Suspense fallback={<Loading label="Loading the chart…" />}>
            <UsageChart data={data} granularity={granularity} title={caption} labelOf={labelOf} format={format} emptyText={emptyText} />
          </Suspense>
        ) : pending ? (
          <Loading label={`Loading ${title.toLowerCase()}…`} />
        ) : (
          <p className="muted">No chart for this range.</p>
        )}
      </div>
      {data && usage ? <UsageTable data={data} caption={`${caption}, ${coveredRange(usage)}`} granularity={granularity} grouped={group !== 'none'} labelOf={labelOf} format={format} /> : null}
    </section>
  );
}

function UsageTable({
  data,
  caption,
  granularity,
  grouped,
  labelOf,
  format,
}: {
  data: ChartData;
  caption: string;
  granularity: UsageView['granularity'];
  grouped: boolean;
  labelOf: (series: string) => string;
  format: (value: number) => string;
}) {
  const series = grouped ? data.series : [];
  const sums = new Map(series.map((key) => [key, data.rows.reduce((sum, row) => sum + (row.values[key] ?? 0), 0)]));
  return (
    <ScrollTable
      label={`${caption} (table)`}
      caption={caption}
      regionClassName="usage-table"
      columns={[granularity === 'hour' ? 'Hour' : 'Day', ...series.map((key) => ({ name: labelOf(key), number: true })), { name: 'Total', number: true }]}
    >
      <tbody>
        {data.rows.map((row) => (
          <tr key={row.start}>
            <th scope="row">{bucketLabel(row.start, granularity)}</th>
            {series.map((key) => (
              <td key={key} className="cell-number">
                {format(row.values[key] ?? 0)}
              </td>
            ))}
            <td className="cell-number">{format(row.total)}</td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row">Whole range</th>
          {series.map((key) => (
            <td key={key} className="cell-number">
              {format(sums.get(key) ?? 0)}
            </td>
          ))}
          <td className="cell-number">{format(data.total)}</td>
        </tr>
      </tfoot>
    </ScrollTable>
  );
}
