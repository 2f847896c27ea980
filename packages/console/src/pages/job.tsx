import { useQuery, useQueryClient, useSuspenseQuery } from '@tanstack/react-query';
import { getRouteApi, Link, useNavigate, useRouter } from '@tanstack/react-router';
import { useEffect, useId, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import { useApi } from '../api/context.tsx';
import { jobDeliveriesQuery, jobLedgerQuery, jobLineageQuery, jobQuery } from '../api/jobs-queries.ts';
import type { JobView, LedgerEntry, Lineage, WebhookDelivery } from '../api/jobs-types.ts';
import { sessionQuery } from '../api/session.ts';
import { ScrollTable } from '../components/manage.tsx';
import { ErrorMessage, Loading, PageHeader } from '../components/ui.tsx';
import { formatCredits, formatDuration, formatTime, statusLabel } from '../lib/format.ts';
import {
  buildTimeline,
  eventsTellHistory,
  flattenTree,
  formatInstant,
  isInFlight,
  jobDurationMs,
  lineageTree,
  parseStreamEvent,
  platformImageSrc,
  timelineFromJob,
  TERMINAL,
  type JobStreamEvent,
  type LineageTreeNode,
  type TimelineItem,
} from '../lib/jobs-view.ts';
import { routerHref } from '../lib/redirect.ts';
import { StatusBadge } from './jobs.tsx';

// One job: its inputs and output side by side, its parameters, its event timeline (live, from
// the job's Server-Sent Events, with their history), its cost and ledger entries, its webhook
// deliveries and its lineage as a tree. The route's loader has read the job already; an id the
// API does not know for this team shows the console's not-found page instead.

const route = getRouteApi('/signed-in/jobs/$jobId');

export function JobPage() {
  const api = useApi();
  const { jobId } = route.useParams();
  const { data: session } = useSuspenseQuery(sessionQuery(api));
  const { data: job } = useSuspenseQuery(jobQuery(api, jobId));
  const events = useJobEvents(job);
  const [now] = useState(() => new Date());
  const router = useRouter();
  // The playground is a page of a later increment: linked only once the router has it.
  const hasPlayground = Boolean((router.routesByPath as Record<string, unknown>)['/playground']);

  return (
    <>
      <p className="breadcrumb">
        <Link to="/jobs">← Jobs</Link>
      </p>
      <PageHeader
        title="Job"
        description={
          <>
            <code>{job.id}</code> · <StatusBadge status={job.status} /> · created {formatTime(job.created_at)}
          </>
        }
        actions={
          <>
            <Link to="/jobs" search={{ root: job.root_job_id }} className="button button-secondary">
              All jobs of this lineage
            </Link>
            {hasPlayground ? <AppLink href={`/console/playground?job=${encodeURIComponent(job.id)}`}>Open in playground</AppLink> : null}
          </>
        }
      />
      {job.error ? (
        <div className="banner banner-danger" role="status">
          <strong>{statusLabel(job.status)}</strong>
          <div>{job.error}</div>
        </div>
      ) : null}

      <section aria-labelledby="prompt-heading">
        <h2 id="prompt-heading">Prompt</h2>
        <p className="verbatim prompt-text">{job.prompt === '' ? <span className="muted">(no prompt)</span> : job.prompt}</p>
        {job.upsampled_prompt ? (
          <>
            <h3>Upsampled prompt (what the engine ran)</h3>
            <p className="verbatim prompt-text">{job.upsampled_prompt}</p>
          </>
        ) : null}
      </section>

      <section aria-labelledby="images-heading">
        <h2 id="images-heading">Images</h2>
        <JobImages job={job} />
      </section>

      <div className="job-columns">
        <section aria-labelledby="parameters-heading">
          <h2 id="parameters-heading">Parameters</h2>
          <JobParameters job={job} now={now} />
        </section>
        <section aria-labelledby="timeline-heading">
          <h2 id="timeline-heading">Timeline</h2>
          <Timeline job={job} stream={events} />
        </section>
      </div>

      <section aria-labelledby="cost-heading">
        <h2 id="cost-heading">Cost</h2>
        <p>
          {job.mode === 'test' ? (
            'Free: a test key’s job runs on the preview engine and costs nothing.'
          ) : (
            <>
              <strong>{formatCredits(job.cost)} credits</strong> for {job.model}
              {job.status === 'succeeded' ? '' : isInFlight(job.status) ? ', held until it finishes' : ', given back (it did not succeed)'}.
            </>
          )}
        </p>
        {session.scopes.includes('credits:read') ? <LedgerEntries jobId={job.id} /> : <p className="muted">Your role cannot read the credit ledger.</p>}
      </section>

      {session.scopes.includes('webhooks:read') ? (
        <section aria-labelledby="deliveries-heading">
          <h2 id="deliveries-heading">Webhook deliveries</h2>
          <Deliveries jobId={job.id} />
        </section>
      ) : null}

      <section aria-labelledby="lineage-heading">
        <h2 id="lineage-heading">Lineage</h2>
        <LineageSection jobId={job.id} />
      </section>
    </>
  );
}

/** A link to a console path the router may not know in its types (a later page): the router navigates, no reload. */
function AppLink({ href, children }: { href: string; children: string }) {
  const navigate = useNavigate();
  const follow = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    void navigate({ href: routerHref(href) });
  };
  return (
    <a className="button button-primary" href={href} onClick={follow}>
      {children}
    </a>
  );
}

interface EventStream {
  events: JobStreamEvent[];
  state: 'connecting' | 'open' | 'ended' | 'failed';
}

/**
 * The job's events from GET /v1/jobs/{id}/events (history first, then live), with the session
 * cookie (same origin). Closed after the terminal status (the server ends the stream there, and
 * EventSource would reconnect); a stream that ends early reconnects by itself with Last-Event-ID.
 * While it runs, its record is read again at each status change; when it ends, its ledger,
 * deliveries and lineage too.
 */
function useJobEvents(job: JobView): EventStream {
  const queryClient = useQueryClient();
  const [stream, setStream] = useState<EventStream>({ events: [], state: 'connecting' });
  const jobId = job.id;
  const wasInFlight = useRef(isInFlight(job.status));
  useEffect(() => {
    setStream({ events: [], state: 'connecting' });
    const source = new EventSource(`/v1/jobs/${encodeURIComponent(jobId)}/events`);
    const received = (message: MessageEvent<string>) => {
      const event = parseStreamEvent(message.type, message.lastEventId, message.data);
      if (!event) return;
      const terminal = event.event === 'status' && TERMINAL.includes(event.data.status);
      if (terminal) source.close();
      setStream((previous) => ({ events: [...previous.events, event], state: terminal ? 'ended' : 'open' }));
      // A job in flight: its record follows each status change (the header's status, its times).
      if (event.event === 'status' && wasInFlight.current) void queryClient.invalidateQueries({ queryKey: ['job', jobId], exact: true });
      if (terminal && wasInFlight.current) {
        wasInFlight.current = false;
        void queryClient.invalidateQueries({ queryKey: ['job', jobId] });
        void queryClient.invalidateQueries({ queryKey: ['credits'] });
        void queryClient.invalidateQueries({ queryKey: ['webhooks', 'deliveries', { job_id: jobId }] });
      }
    };
    source.addEventListener('status', received);
    source.addEventListener('progress', received);
    source.addEventListener('open', () => setStream((previous) => (previous.state === 'ended' ? previous : { ...previous, state: 'open' })));
    source.addEventListener('error', () => {
      // CLOSED: refused (an answer other than the stream); otherwise EventSource reconnects by itself.
      if (source.readyState === EventSource.CLOSED) setStream((previous) => (previous.state === 'ended' ? previous : { ...previous, state: 'failed' }));
    });
    return () => source.close();
  }, [jobId, queryClient]);
  return stream;
}

function Timeline({ job, stream }: { job: JobView; stream: EventStream }) {
  const fromEvents = eventsTellHistory(stream.events);
  const items: TimelineItem[] = fromEvents ? buildTimeline(stream.events) : stream.state === 'connecting' ? [] : timelineFromJob(job);
  const first = items[0] ? Date.parse(items[0].at) : null;
  return (
    <>
      {stream.state === 'connecting' && items.length === 0 ? <Loading label="Reading the job’s events…" /> : null}
      <ol className="timeline" aria-label="What happened to the job">
        {items.map((item, index) => (
          <li key={`${item.kind}-${index}`} className={`timeline-item timeline-${item.kind}${item.status ? ` timeline-${item.status}` : ''}`}>
            <span className="timeline-label">{item.label}</span>
            <time dateTime={item.at} className="timeline-time">
              {formatInstant(item.at)}
              {first !== null && index > 0 ? <span className="muted"> (+{formatDuration(Date.parse(item.at) - first)})</span> : null}
            </time>
            {item.detail ? <span className="timeline-detail muted">{item.detail}</span> : null}
          </li>
        ))}
      </ol>
      {/* Screen readers hear the job's progress as it happens. */}
      <p className="visually-hidden" aria-live="polite">
        {stream.state === 'open' && items.length > 0 ? items.at(-1)!.label : ''}
      </p>
      {!fromEvents && stream.state !== 'connecting' ? (
        <p className="muted">{stream.state === 'failed' ? 'The live events could not be read; these are the job’s own times.' : 'The detailed events of this job have expired; these are its own times.'}</p>
      ) : null}
      {stream.state === 'open' && isInFlight(job.status) ? <p className="muted">Live: new events appear as they happen.</p> : null}
    </>
  );
}

function JobImages({ job }: { job: JobView }) {
  const origin = window.location.origin;
  const output = job.output;
  const outputSrc = platformImageSrc(origin, output?.url, output?.asset_id);
  return (
    <div className="job-images">
      <div className="job-images-inputs">
        <h3>Inputs</h3>
        {job.inputs.length === 0 ? <p className="muted">None: generated from the prompt alone.</p> : null}
        {job.inputs.map((input) => {
          const src = input.expired ? null : platformImageSrc(origin, null, input.asset_id);
          const name = input.role === 'context' ? 'The edited image' : `Reference ${input.position}`;
          return (
            <figure key={input.position} className="job-image">
              {src ? <img src={src} alt={`${name}, ${input.width}×${input.height}`} loading="lazy" /> : <span className="job-image-missing">expired</span>}
              <figcaption>
                {name} · {input.width}×{input.height}
                {input.producing_job_id ? (
                  <>
                    {' '}
                    · output of{' '}
                    <Link to="/jobs/$jobId" params={{ jobId: input.producing_job_id }}>
                      <code>{input.producing_job_id}</code>
                    </Link>
                  </>
                ) : null}
              </figcaption>
            </figure>
          );
        })}
      </div>
      <div className="job-images-output">
        <h3>Output</h3>
        {output ? (
          <figure className="job-image">
            {outputSrc && !output.expired ? <img src={outputSrc} alt={`The output, ${job.width}×${job.height}`} /> : <span className="job-image-missing">expired</span>}
            <figcaption>
              {job.width}×{job.height} {job.output_format}
              {output.expired ? ' · deleted by retention; the record stays' : ''}
            </figcaption>
          </figure>
        ) : (
          <p className="muted">{isInFlight(job.status) ? 'Not yet: the job is still in flight.' : 'None: the job did not produce an image.'}</p>
        )}
      </div>
    </div>
  );
}

function JobParameters({ job, now }: { job: JobView; now: Date }) {
  const rows: [string, string][] = [
    ['Model', job.model],
    ['Mode', job.mode === 'test' ? 'test (preview engine)' : 'live'],
    ['Size', `${job.width}×${job.height}${job.aspect_ratio ? ` (${job.aspect_ratio})` : ''}`],
    ['Format', job.output_format],
    ['Seed', String(job.seed)],
    ['Steps', String(job.steps)],
    ['Guidance', String(job.guidance)],
    ['Safety tolerance', String(job.safety_tolerance)],
    ['Prompt upsampling', job.prompt_upsampling ?? 'not asked for'],
    ['Engine', job.engine ?? '—'],
    ['Attempts', String(job.attempts)],
    ['Megapixels', `${job.input_mp} in, ${job.output_mp} out`],
    ['Queued for', formatDuration(job.queue_ms)],
    ['Ran for', formatDuration(job.engine_ms)],
    ['Submit to finish', formatDuration(jobDurationMs(job, now))],
    ['Webhook URL', job.webhook_url ?? 'none'],
  ];
  return (
    <dl className="facts">
      {rows.map(([name, value]) => (
        <div key={name}>
          <dt>{name}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

const LEDGER_KINDS: Record<LedgerEntry['kind'], string> = { grant: 'granted', reserve: 'held', settle: 'charged', refund: 'given back' };

function LedgerEntries({ jobId }: { jobId: string }) {
  const api = useApi();
  const ledger = useQuery(jobLedgerQuery(api, jobId));
  if (ledger.isPending) return <Loading label="Loading the ledger…" />;
  if (ledger.error) return <ErrorMessage error={ledger.error} context="Could not load the ledger" />;
  const entries = [...ledger.data.data].reverse();
  if (entries.length === 0) return <p className="muted">No ledger entries for this job: it has not held or spent credits.</p>;
  return (
    <ScrollTable
      label="Ledger entries of this job"
      caption="Ledger entries of this job, oldest first"
      columns={['When', 'Entry', { name: 'Credits', number: true }, { name: 'Balance after', number: true }, 'Reason']}
    >
      <tbody>
        {entries.map((entry) => (
          <tr key={entry.id} data-ledger-kind={entry.kind}>
            <td>{formatInstant(entry.at)}</td>
            <th scope="row">{LEDGER_KINDS[entry.kind]}</th>
            <td className="cell-number">{entry.amount > 0 ? `+${formatCredits(entry.amount)}` : formatCredits(entry.amount)}</td>
            <td className="cell-number">{formatCredits(entry.balance_after)}</td>
            <td>{entry.reason}</td>
          </tr>
        ))}
      </tbody>
    </ScrollTable>
  );
}

function Deliveries({ jobId }: { jobId: string }) {
  const api = useApi();
  const deliveries = useQuery(jobDeliveriesQuery(api, jobId));
  if (deliveries.isPending) return <Loading label="Loading the deliveries…" />;
  if (deliveries.error) return <ErrorMessage error={deliveries.error} context="Could not load the deliveries" />;
  const list: WebhookDelivery[] = deliveries.data.data;
  if (list.length === 0) return <p className="muted">None: the job had no webhook_url and no endpoint of your team listens to its events.</p>;
  return (
    <ScrollTable label="Webhook deliveries of this job" columns={['Event', 'To', 'Outcome', { name: 'Attempts', number: true }, 'Last answer', 'Created']}>
      <tbody>
        {list.map((delivery) => (
          <tr key={delivery.id}>
            <th scope="row">
              <code>{delivery.event_type}</code>
            </th>
            <td className="url-cell">{delivery.url}</td>
            <td>{delivery.status}</td>
            <td className="cell-number">{delivery.attempts}</td>
            <td>{delivery.last_status_code !== null ? `HTTP ${delivery.last_status_code}` : (delivery.last_error ?? '—')}</td>
            <td>{formatInstant(delivery.created_at)}</td>
          </tr>
        ))}
      </tbody>
    </ScrollTable>
  );
}

function LineageSection({ jobId }: { jobId: string }) {
  const api = useApi();
  const lineage = useQuery(jobLineageQuery(api, jobId));
  if (lineage.isPending) return <Loading label="Loading the lineage…" />;
  if (lineage.error) return <ErrorMessage error={lineage.error} context="Could not load the lineage" />;
  const single = lineage.data.ancestors.length === 0 && lineage.data.tree.children.length === 0;
  if (single) return <p className="muted">No edits before or after this one: it is a lineage of its own.</p>;
  return <LineageTree lineage={lineage.data} currentId={jobId} />;
}

/**
 * The lineage as an ARIA tree (role=tree, every node expanded): one node in the tab order at a
 * time; ↑/↓ move, → to the first child, ← to the parent, Home/End, Enter opens the job.
 */
function LineageTree({ lineage, currentId }: { lineage: Lineage; currentId: string }) {
  const navigate = useNavigate();
  const root = lineageTree(lineage);
  const order = flattenTree(root);
  const [focused, setFocused] = useState(currentId);
  const items = useRef(new Map<string, HTMLLIElement>());
  const labelId = useId();
  const parentOf = new Map<string, string>();
  for (const node of order) for (const child of node.children) parentOf.set(child.node.id, node.node.id);
  const tabStop = order.some((node) => node.node.id === focused) ? focused : (order[0]?.node.id ?? '');

  const move = (id: string | undefined) => {
    if (!id) return;
    setFocused(id);
    items.current.get(id)?.focus();
  };
  const onKeyDown = (event: KeyboardEvent<HTMLLIElement>, node: LineageTreeNode) => {
    if (event.target !== event.currentTarget) return;
    const index = order.findIndex((entry) => entry.node.id === node.node.id);
    const keys: Record<string, () => void> = {
      ArrowDown: () => move(order[index + 1]?.node.id),
      ArrowUp: () => move(order[index - 1]?.node.id),
      ArrowRight: () => move(node.children[0]?.node.id),
      ArrowLeft: () => move(parentOf.get(node.node.id)),
      Home: () => move(order[0]?.node.id),
      End: () => move(order.at(-1)?.node.id),
      Enter: () => void navigate({ to: '/jobs/$jobId', params: { jobId: node.node.id } }),
    };
    const action = keys[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  };

  const render = (node: LineageTreeNode) => {
    const current = node.node.id === currentId;
    const src = platformImageSrc(window.location.origin, node.node.thumbnail_url, node.node.output_asset_id);
    return (
      <li
        key={node.node.id}
        role="treeitem"
        aria-level={node.level}
        aria-selected={current}
        aria-current={current ? 'page' : undefined}
        aria-expanded={node.children.length > 0 ? true : undefined}
        tabIndex={node.node.id === tabStop ? 0 : -1}
        ref={(element) => {
          if (element) items.current.set(node.node.id, element);
          else items.current.delete(node.node.id);
        }}
        onKeyDown={(event) => onKeyDown(event, node)}
        onFocus={(event) => event.target === event.currentTarget && setFocused(node.node.id)}
        className="tree-item"
      >
        <span className={`tree-node${current ? ' tree-node-current' : ''}`}>
          {src && !node.node.output_expired ? <img className="thumb thumb-small" src={src} alt="" width={32} height={32} loading="lazy" /> : <span className="thumb thumb-small thumb-none" aria-hidden="true" />}
          {current ? (
            <span className="tree-prompt">{node.node.prompt || '(no prompt)'}</span>
          ) : (
            <Link to="/jobs/$jobId" params={{ jobId: node.node.id }} tabIndex={-1} className="tree-prompt">
              {node.node.prompt || '(no prompt)'}
            </Link>
          )}
          <span className="muted small">
            {statusLabel(node.node.status)} · {node.node.model}
            {current ? ' · this job' : ''}
          </span>
        </span>
        {node.children.length > 0 ? <ul role="group">{node.children.map(render)}</ul> : null}
      </li>
    );
  };

  return (
    <>
      <p id={labelId} className="muted">
        Edits of one first image, the first at the top; ↑ ↓ move between them, Enter opens one.
      </p>
      <ul role="tree" aria-labelledby={labelId} className="tree">
        {render(root)}
      </ul>
    </>
  );
}
