import { useInfiniteQuery, useQuery, useSuspenseQuery } from '@tanstack/react-query';
import { getRouteApi, Link } from '@tanstack/react-router';
import { useEffect, useState, type FormEvent } from 'react';
import { useApi } from '../api/context.tsx';
import { jobsListQuery, modelsQuery } from '../api/jobs-queries.ts';
import type { JobView } from '../api/jobs-types.ts';
import { keysQuery } from '../api/queries.ts';
import { sessionQuery } from '../api/session.ts';
import type { JobStatus } from '../api/types.ts';
import { FilterSelect, MorePages, ScrollTable } from '../components/manage.tsx';
import { CodeBlock, EmptyState, ErrorMessage, Field, Loading, PageHeader, Problem } from '../components/ui.tsx';
import { firstCurlCommand } from '../lib/curl.ts';
import { formatCredits, formatDuration, formatRelative, formatTime, maskedKey, statusLabel } from '../lib/format.ts';
import { JOB_STATUSES, type JobsSearch } from '../lib/jobs-search.ts';
import { hasJobFilters, isInFlight, jobDurationMs, jobsRangeProblem, platformImageSrc, TERMINAL } from '../lib/jobs-view.ts';

// The request log: every job of the team, newest first, a page at a time ("Load more", by
// cursor), filtered by status, model, API key, creation day and lineage root, all in the URL.
// While a listed job is in flight the list refreshes every few seconds.

const route = getRouteApi('/signed-in/jobs');

const LIVE_REFRESH_MS = 3_000;

export function JobsPage() {
  const api = useApi();
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const { data: session } = useSuspenseQuery(sessionQuery(api));
  const [now, setNow] = useState(() => new Date());
  const problem = jobsRangeProblem(search);
  const jobs = useInfiniteQuery({
    ...jobsListQuery(api, search),
    enabled: problem === null,
    refetchInterval: (query) => (query.state.data?.pages.some((page) => page.data.some((job) => isInFlight(job.status))) ? LIVE_REFRESH_MS : false),
  });
  // The durations of jobs in flight run on the same clock as the list's refreshes.
  useEffect(() => setNow(new Date()), [jobs.dataUpdatedAt]);
  const list = jobs.data?.pages.flatMap((page) => page.data) ?? [];
  const filtered = hasJobFilters(search);
  const setSearch = (next: Partial<JobsSearch>) => void navigate({ search: (previous) => ({ ...previous, ...next }) });

  return (
    <>
      <PageHeader title="Jobs" description="Every request of your team, newest first. Times are UTC." />
      <JobFilters search={search} onChange={setSearch} mayListKeys={session.scopes.includes('keys:write')} />
      <Problem>{problem}</Problem>
      <ErrorMessage error={jobs.error} context="Could not load the jobs" />
      {jobs.isPending && problem === null ? <Loading label="Loading jobs…" /> : null}
      {jobs.data && list.length === 0 ? (
        filtered ? (
          <EmptyState title="No jobs match these filters">
            <p>Nothing the team submitted matches all of them.</p>
            <Link to="/jobs" search={{}} className="button button-secondary">
              Clear the filters
            </Link>
          </EmptyState>
        ) : (
          <EmptyState title="No jobs yet">
            <p>
              Every request your team's keys make is listed here, with its image, cost and timeline.{' '}
              {session.scopes.includes('keys:write') ? <Link to="/keys">Create an API key</Link> : 'Ask a developer of your team for an API key'}, then submit a first job:
            </p>
            <CodeBlock label="the first request" code={firstCurlCommand(window.location.origin, '$KONTEXT_API_KEY')} />
          </EmptyState>
        )
      ) : null}
      {list.length > 0 ? <JobsTable jobs={list} now={now} /> : null}
      {list.length > 0 ? (
        // Errors of the next page are the list's errors, said above it.
        <MorePages pages={jobs} what="jobs" more="Load more" end={`${list.length === 1 ? 'One job' : `${list.length} jobs`}: the whole list.`} showError={false} />
      ) : null}
    </>
  );
}

function JobFilters({ search, onChange, mayListKeys }: { search: JobsSearch; onChange: (next: Partial<JobsSearch>) => void; mayListKeys: boolean }) {
  const api = useApi();
  const models = useQuery(modelsQuery(api));
  const keys = useQuery({ ...keysQuery(api), enabled: mayListKeys });
  const [root, setRoot] = useState(search.root ?? '');
  useEffect(() => setRoot(search.root ?? ''), [search.root]);
  const applyRoot = (event?: FormEvent) => {
    event?.preventDefault();
    const value = root.trim();
    if (value !== (search.root ?? '')) onChange({ root: value === '' ? undefined : value });
  };
  return (
    <form className="filters" aria-label="Filter the jobs" onSubmit={applyRoot}>
      <FilterSelect
        label="Status"
        value={search.status}
        any="Any"
        choices={JOB_STATUSES.map((status) => ({ value: status, label: statusLabel(status) }))}
        onChange={(status) => onChange({ status: status as JobStatus | undefined })}
      />
      <FilterSelect label="Model" value={search.model} any="Any" choices={(models.data?.data ?? []).map((model) => ({ value: model.id, label: model.id }))} onChange={(model) => onChange({ model })} />
      {mayListKeys ? (
        <FilterSelect
          label="API key"
          // Until the keys are read, the address's key is not offered as an unknown one.
          value={keys.data || !search.key ? search.key : undefined}
          any="Any"
          choices={(keys.data?.data ?? []).map((key) => ({ value: key.id, label: `${key.name} (${maskedKey(key)})${key.status === 'revoked' ? ', revoked' : ''}` }))}
          onChange={(key) => onChange({ key })}
        />
      ) : (
        <Field label="API key">
          {(props) => (
            <input
              {...props}
              key={search.key ?? ''}
              type="text"
              placeholder="key_…"
              defaultValue={search.key ?? ''}
              onBlur={(event) => onChange({ key: event.target.value.trim() || undefined })}
            />
          )}
        </Field>
      )}
      <Field label="Created from">
        {(props) => <input {...props} type="date" value={search.from ?? ''} onChange={(event) => onChange({ from: event.target.value || undefined })} />}
      </Field>
      <Field label="to (included)">
        {(props) => <input {...props} type="date" value={search.to ?? ''} onChange={(event) => onChange({ to: event.target.value || undefined })} />}
      </Field>
      <Field label="Lineage of">
        {(props) => <input {...props} type="text" placeholder="job_…" value={root} onChange={(event) => setRoot(event.target.value)} onBlur={() => applyRoot()} />}
      </Field>
      {hasJobFilters(search) ? (
        <div className="filters-end">
          <Link to="/jobs" search={{}} className="button button-ghost">
            Clear
          </Link>
        </div>
      ) : null}
    </form>
  );
}

function JobsTable({ jobs, now }: { jobs: JobView[]; now: Date }) {
  return (
    <ScrollTable
      label="Jobs"
      caption="Jobs, newest first"
      className="jobs-table"
      columns={[{ name: 'Image', hidden: true }, 'Prompt', 'Model', 'Status', { name: 'Cost', number: true }, { name: 'Duration', number: true }, 'Created']}
    >
      <tbody>
        {jobs.map((job) => (
          <JobRow key={job.id} job={job} now={now} />
        ))}
      </tbody>
    </ScrollTable>
  );
}

function JobRow({ job, now }: { job: JobView; now: Date }) {
  const src = platformImageSrc(window.location.origin, job.output?.thumbnail_url, job.output?.asset_id);
  return (
    <tr data-job-id={job.id}>
      <td className="thumb-cell">
        {src ? <img className="thumb" src={src} alt="" width={48} height={48} loading="lazy" /> : <span className="thumb thumb-none" aria-hidden="true" />}
      </td>
      <td className="prompt-cell">
        <Link to="/jobs/$jobId" params={{ jobId: job.id }} className="prompt-link">
          {job.prompt === '' ? <span className="muted">(no prompt)</span> : job.prompt}
        </Link>
        <div className="muted job-id">
          <code>{job.id}</code>
          {job.depth > 0 ? ` · edit ${job.depth} of a lineage` : ''}
        </div>
      </td>
      <td className="model-cell">
        <code>{job.model}</code>
        {job.mode === 'test' ? <span className="badge badge-test">Test</span> : null}
      </td>
      <td>
        <StatusBadge status={job.status} />
        {job.error ? <div className="muted job-error">{job.error}</div> : null}
      </td>
      <td className="cell-number">
        {job.mode === 'test' ? 'free' : formatCredits(job.cost)}
        {job.mode === 'live' && TERMINAL.includes(job.status) && job.status !== 'succeeded' ? <div className="muted small">given back</div> : null}
      </td>
      <td className="cell-number">{formatDuration(jobDurationMs(job, now))}</td>
      <td title={formatTime(job.created_at)}>{formatRelative(job.created_at, now)}</td>
    </tr>
  );
}

export function StatusBadge({ status }: { status: JobStatus }) {
  return <span className={`badge job-status job-status-${status}`}>{statusLabel(status)}</span>;
}
