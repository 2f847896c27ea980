import { useQuery, useSuspenseQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useState, type ReactNode } from 'react';
import { useApi } from '../api/context.tsx';
import { creditsQuery, jobsQuery, keysQuery, usageQuery } from '../api/queries.ts';
import { sessionQuery } from '../api/session.ts';
import { Banner, CodeBlock, EmptyState, ErrorMessage, Loading, PageHeader } from '../components/ui.tsx';
import { firstCurlCommand } from '../lib/curl.ts';
import { formatCount, formatCredits, formatDollars, formatDuration, formatPercent, maskedKey, plural, statusLabel } from '../lib/format.ts';
import { activeJobsLabel, balanceWarning, overviewUsageQuery, summarizeUsage, type UsageSummary } from '../lib/overview.ts';

// Where a tenant lands: the balance, this month's and today's spend, today's jobs by status, the
// success rate and latency, and the jobs in flight. One usage query (month to date, by day and
// status) feeds every usage figure.

export function OverviewPage() {
  const api = useApi();
  const { data: session } = useSuspenseQuery(sessionQuery(api));
  // One "now" for every figure on the page, fixed when it opened.
  const [now] = useState(() => new Date());
  const credits = useQuery(creditsQuery(api));
  const usage = useQuery(usageQuery(api, overviewUsageQuery(now)));
  const queued = useQuery(jobsQuery(api, { status: 'queued', limit: 100 }));
  const running = useQuery(jobsQuery(api, { status: 'running', limit: 100 }));
  const mayManageKeys = session.scopes.includes('keys:write');
  const keys = useQuery({ ...keysQuery(api), enabled: mayManageKeys });

  const summary = usage.data ? summarizeUsage(usage.data, now) : null;
  const warning = credits.data && summary ? balanceWarning(credits.data, summary.dailySpend) : null;
  const firstKey = keys.data?.data.find((key) => key.status === 'active');

  return (
    <>
      <PageHeader title="Overview" description={`${session.tenant.name}, this month so far (UTC).`} />
      {warning?.kind === 'empty' ? (
        <Banner tone="danger" title="No credits left">
          New live jobs are refused until credits are added. Test keys keep working: they run on the preview engine and cost nothing.
        </Banner>
      ) : warning?.kind === 'low' ? (
        <Banner tone="warning" title="Credits are running low">
          About {plural(warning.daysLeft, 'day')} left at this month's rate. Ask your platform operator to add credits.
        </Banner>
      ) : null}

      <section aria-labelledby="balance-heading">
        <h2 id="balance-heading">Balance</h2>
        <div className="cards">
          <Figure label="Credits available" query={credits} value={(c) => formatCredits(c.credits)} note={(c) => formatDollars(c.credits)} />
          <Figure label="Reserved by running jobs" query={credits} value={(c) => formatCredits(c.reserved)} note={() => 'returned if a job fails'} />
          <Figure label="Spent today" query={usage} value={() => formatCredits(summary!.todayCredits)} note={() => formatDollars(summary!.todayCredits)} />
          <Figure label="Spent this month" query={usage} value={() => formatCredits(summary!.monthCredits)} note={() => formatDollars(summary!.monthCredits)} />
        </div>
      </section>

      <section aria-labelledby="jobs-heading">
        <h2 id="jobs-heading">Jobs</h2>
        <div className="cards">
          <Figure label="Jobs today" query={usage} value={() => formatCount(summary!.todayJobs)} note={() => <StatusBreakdown summary={summary!} />} />
          <Figure
            label="Success rate this month"
            query={usage}
            value={() => formatPercent(summary!.successRate)}
            note={() => `${plural(summary!.monthJobs, 'finished job')}`}
          />
          <Figure
            label="Latency this month"
            query={usage}
            value={() => (summary!.p50Ms === null ? '—' : `${formatDuration(summary!.p50Ms)} median`)}
            note={() => (summary!.p95Ms === null ? 'no finished jobs yet' : `${formatDuration(summary!.p95Ms)} at p95, submit to finish`)}
          />
          <ActiveJobs queued={queued} running={running} />
        </div>
      </section>

      {summary && summary.monthJobs === 0 && queued.data?.data.length === 0 && running.data?.data.length === 0 ? (
        <FirstSteps mayManageKeys={mayManageKeys} keyHint={firstKey ? `${maskedKey(firstKey)}` : null} />
      ) : null}
    </>
  );
}

interface QueryLike<T> {
  data: T | undefined;
  error: unknown;
  isPending: boolean;
}

function Figure<T>({ label, query, value, note }: { label: string; query: QueryLike<T>; value: (data: T) => ReactNode; note?: (data: T) => ReactNode }) {
  return (
    <div className="card figure">
      <h3 className="figure-label">{label}</h3>
      {query.data !== undefined ? (
        <>
          <p className="figure-value">{value(query.data)}</p>
          {note ? <div className="figure-note muted">{note(query.data)}</div> : null}
        </>
      ) : query.error ? (
        <ErrorMessage error={query.error} />
      ) : (
        <Loading />
      )}
    </div>
  );
}

function StatusBreakdown({ summary }: { summary: UsageSummary }) {
  if (summary.todayByStatus.length === 0) return <>none finished yet today</>;
  return (
    <ul className="inline-list">
      {summary.todayByStatus.map((entry) => (
        <li key={entry.status}>
          {formatCount(entry.jobs)} {statusLabel(entry.status)}
        </li>
      ))}
    </ul>
  );
}

function ActiveJobs({ queued, running }: { queued: QueryLike<{ data: unknown[]; next_cursor: string | null }>; running: QueryLike<{ data: unknown[]; next_cursor: string | null }> }) {
  const both = queued.data && running.data ? { queued: queued.data, running: running.data } : undefined;
  return (
    <Figure
      label="Active jobs"
      query={{ data: both, error: queued.error ?? running.error, isPending: queued.isPending || running.isPending }}
      value={(jobs) => activeJobsLabel(jobs.queued, jobs.running)}
      note={(jobs) => `${formatCount(jobs.running.data.length)} running, ${formatCount(jobs.queued.data.length)} queued; your operator sets how many may run at once`}
    />
  );
}

function FirstSteps({ mayManageKeys, keyHint }: { mayManageKeys: boolean; keyHint: string | null }) {
  return (
    <section aria-labelledby="first-steps-heading">
      <EmptyState title="No jobs yet">
        <h3 id="first-steps-heading" className="visually-hidden">
          First steps
        </h3>
        <ol className="steps">
          <li>
            {keyHint ? (
              <>You have a key ({keyHint}); use the full key you stored when it was created.</>
            ) : mayManageKeys ? (
              <>
                <Link to="/keys">Create an API key</Link>: its secret is shown once, with this command filled in.
              </>
            ) : (
              <>Ask an owner, admin or developer of your team for an API key.</>
            )}
          </li>
          <li>
            Submit a first job:
            <CodeBlock label="the first request" code={firstCurlCommand(window.location.origin, keyHint ?? '$KONTEXT_API_KEY')} />
          </li>
          <li>It appears here within seconds; poll the polling_url it answers with for the image.</li>
        </ol>
      </EmptyState>
    </section>
  );
}
