import { useInfiniteQuery, useMutation, useQuery, useQueryClient, useSuspenseQuery } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import { useEffect, useId, useState } from 'react';
import { useApi } from '../api/context.tsx';
import { sessionQuery } from '../api/session.ts';
import {
  createEndpoint,
  deleteEndpoint,
  DELIVERIES_KEY,
  deliveriesQuery,
  DELIVERY_LOG_KEY,
  ENDPOINTS_KEY,
  endpointsQuery,
  inFlightDeliveriesQuery,
  redeliver,
  rotateEndpointSecret,
  sendTestEvent,
  updateEndpoint,
  type UpdateWebhookEndpointRequest,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookEndpointWithSecret,
  type WebhookEventType,
} from '../api/webhooks-queries.ts';
import { CheckboxChoices, RadioChoices } from '../components/choices.tsx';
import { ACTIONS_COLUMN, ConfirmAction, ConsoleLink, Done, FilterSelect, FormDialog, MorePages, ScrollTable, ShownOnceDialog, useNow, useSearchString } from '../components/manage.tsx';
import { Banner, Button, EmptyState, ErrorMessage, Field, Loading, PageHeader, Problem } from '../components/ui.tsx';
import { formatCount, formatDuration, formatRelative, formatTime } from '../lib/format.ts';
import {
  ALL_WEBHOOK_EVENTS,
  attemptError,
  attemptsInOrder,
  DEFAULT_OVERLAP,
  deliveryFilter,
  endpointLabel,
  endpointUrlProblem,
  eventsLabel,
  goneAnswers,
  IN_FLIGHT_POLL_MIN_MS,
  inFlightPollMs,
  lastAttempt,
  mergeInFlight,
  OVERLAP_CHOICES,
  overlapLabel,
  rotationOverlap,
  WEBHOOK_EVENT_CHOICES,
  webhooksHref,
  webhooksSearch,
  type DeliveryOutcome,
} from '../lib/webhooks.ts';

// Webhooks: the tenant's endpoints (a new one's signing secret shown once; edit, rotate with a
// chosen overlap, enable after a 410, delete after a confirmation that names it, send a test
// event), and the delivery log with every attempt, filtered by endpoint and outcome in the
// address. Deliveries in flight are the only rows polled, and only while there are some.

type Secret = { endpoint: WebhookEndpointWithSecret; rotated: boolean };

export function WebhooksPage() {
  const api = useApi();
  const { data: session } = useSuspenseQuery(sessionQuery(api));
  const mayRead = session.scopes.includes('webhooks:read');
  const mayWrite = session.scopes.includes('webhooks:write');
  const endpoints = useQuery({ ...endpointsQuery(api), enabled: mayRead });
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<WebhookEndpoint | null>(null);
  const [rotating, setRotating] = useState<WebhookEndpoint | null>(null);
  const [deleting, setDeleting] = useState<WebhookEndpoint | null>(null);
  const [secret, setSecret] = useState<Secret | null>(null);
  const [done, setDone] = useState<string | null>(null);

  if (!mayRead)
    return (
      <>
        <PageHeader title="Webhooks" />
        <Banner tone="info" title={`Your role (${session.tenant.role}) cannot see webhooks`}>
          Ask an owner or admin of {session.tenant.name}.
        </Banner>
      </>
    );

  const list = endpoints.data?.data ?? [];
  const addButton = mayWrite ? (
    <Button tone="primary" onClick={() => setCreating(true)}>
      Add an endpoint
    </Button>
  ) : null;
  return (
    <>
      <PageHeader
        title="Webhooks"
        description="Endpoints that hear about jobs as they start and finish, signed per Standard Webhooks, and every delivery with its attempts."
        actions={addButton}
      />
      {!mayWrite ? (
        <p className="muted">Your role ({session.tenant.role}) can look at webhooks; an owner, admin or developer can change them.</p>
      ) : null}
      {done ? <Done onDismiss={() => setDone(null)}>{done}</Done> : null}

      <section aria-labelledby="endpoints-heading">
        <h2 id="endpoints-heading">Endpoints</h2>
        {endpoints.isPending ? <Loading label="Loading endpoints…" /> : null}
        <ErrorMessage error={endpoints.error} context="Could not load the endpoints" />
        {endpoints.data && list.length === 0 ? (
          <EmptyState title="No endpoints yet">
            <p>
              Add the address of a server of yours: it receives a signed POST when a job starts, succeeds, fails, is moderated or is canceled. Then
              send it a test event to see it work.
            </p>
            {mayWrite ? addButton : <p>Ask an owner, admin or developer of {session.tenant.name} to add one.</p>}
          </EmptyState>
        ) : null}
        <div className="endpoint-list">
          {list.map((endpoint) => (
            <EndpointCard
              key={endpoint.id}
              endpoint={endpoint}
              mayWrite={mayWrite}
              onEdit={() => setEditing(endpoint)}
              onRotate={() => setRotating(endpoint)}
              onDelete={() => setDeleting(endpoint)}
            />
          ))}
        </div>
      </section>

      <DeliveryLog endpoints={list} mayWrite={mayWrite} />

      {mayWrite ? (
        <>
          <EndpointDialog
            open={creating}
            onClose={() => setCreating(false)}
            onSaved={(endpoint) => {
              setCreating(false);
              if ('secret' in endpoint) setSecret({ endpoint: endpoint as WebhookEndpointWithSecret, rotated: false });
            }}
          />
          <EndpointDialog
            open={editing !== null}
            endpoint={editing}
            onClose={() => setEditing(null)}
            onSaved={(endpoint) => {
              setEditing(null);
              setDone(`Saved “${endpointLabel(endpoint)}”.`);
            }}
          />
          <RotateDialog
            endpoint={rotating}
            onClose={() => setRotating(null)}
            onRotated={(endpoint) => {
              setRotating(null);
              setSecret({ endpoint, rotated: true });
            }}
          />
          <ConfirmAction
            target={deleting}
            run={(api, endpoint) => deleteEndpoint(api, endpoint.id)}
            invalidates={[ENDPOINTS_KEY, DELIVERIES_KEY]}
            onClose={() => setDeleting(null)}
            onDone={(endpoint) => setDone(`Deleted “${endpointLabel(endpoint)}”. Its deliveries stay in the log.`)}
            title={(endpoint) => `Delete “${endpointLabel(endpoint)}”?`}
            confirmLabel={(endpoint) => `Delete “${endpointLabel(endpoint)}”`}
            pendingLabel="Deleting…"
            cancelLabel="Keep it"
            errorContext="Could not delete the endpoint"
          >
            {(endpoint) => (
              <p>
                Nothing more is sent to <code className="wrap">{endpoint.url}</code>, and its pending deliveries fail. The delivery log keeps its entries. This
                cannot be undone.
              </p>
            )}
          </ConfirmAction>
          <SecretDialog secret={secret} onClose={() => setSecret(null)} />
        </>
      ) : null}
    </>
  );
}

function EndpointCard({
  endpoint,
  mayWrite,
  onEdit,
  onRotate,
  onDelete,
}: {
  endpoint: WebhookEndpoint;
  mayWrite: boolean;
  onEdit: () => void;
  onRotate: () => void;
  onDelete: () => void;
}) {
  const api = useApi();
  const queryClient = useQueryClient();
  const now = useNow();
  const headingId = useId();
  const label = endpointLabel(endpoint);
  const overlapUntil = rotationOverlap(endpoint, now);
  const testing = useMutation({
    mutationFn: () => sendTestEvent(api, endpoint.id),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: DELIVERIES_KEY }),
  });
  const enabling = useMutation({
    mutationFn: () => updateEndpoint(api, endpoint.id, { enabled: true }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ENDPOINTS_KEY }),
  });
  const disabled = endpoint.status === 'disabled';
  return (
    <article className="card endpoint" aria-labelledby={headingId}>
      <div className="endpoint-head">
        <h3 id={headingId}>{label}</h3>
        {disabled ? <span className="badge badge-failed">Disabled</span> : <span className="badge badge-succeeded">Active</span>}
      </div>
      <dl className="facts">
        <div>
          <dt>Address</dt>
          <dd>
            <code className="wrap">{endpoint.url}</code>
          </dd>
        </div>
        <div>
          <dt>Events</dt>
          <dd>{eventsLabel(endpoint.events)}</dd>
        </div>
        <div>
          <dt>Signing secret</dt>
          <dd>
            {overlapUntil ? (
              <>
                Two secrets: deliveries carry a signature with the new secret and one with the previous secret until{' '}
                <span title={formatRelative(overlapUntil, now)}>{formatTime(overlapUntil)}</span>
              </>
            ) : (
              'One secret (shown when the endpoint was added or last rotated)'
            )}
          </dd>
        </div>
        {disabled ? (
          <div>
            <dt>Disabled because</dt>
            <dd>{endpoint.disabled_reason ?? 'after the receiver answered 410 Gone'}</dd>
          </div>
        ) : null}
        <div>
          <dt>Added</dt>
          <dd>{formatTime(endpoint.created_at)}</dd>
        </div>
      </dl>
      <div className="endpoint-actions">
        {mayWrite && !disabled ? (
          <Button tone="primary" onClick={() => testing.mutate()} disabled={testing.isPending} aria-label={`Send test event to ${label}`}>
            {testing.isPending ? 'Sending…' : 'Send test event'}
          </Button>
        ) : null}
        {mayWrite && disabled ? (
          <Button tone="primary" onClick={() => enabling.mutate()} disabled={enabling.isPending} aria-label={`Enable ${label}`}>
            {enabling.isPending ? 'Enabling…' : 'Enable'}
          </Button>
        ) : null}
        {mayWrite ? (
          <>
            <Button onClick={onEdit} aria-label={`Edit ${label}`}>
              Edit
            </Button>
            <Button onClick={onRotate} aria-label={`Rotate secret of ${label}`}>
              Rotate secret
            </Button>
            <Button tone="danger" onClick={onDelete} aria-label={`Delete ${label}`}>
              Delete
            </Button>
          </>
        ) : null}
        <ConsoleLink href={webhooksHref({ endpoint: endpoint.id })} className="action-link" aria-label={`Its deliveries: the log of ${label}`}>
          Its deliveries
        </ConsoleLink>
      </div>
      {testing.isSuccess && testing.data ? (
        <p role="status" className="muted">
          Test event queued as delivery <code data-testid="test-delivery-id">{testing.data.id}</code>: the log below follows it.
        </p>
      ) : null}
      <ErrorMessage error={testing.error} context="Could not send a test event" />
      <ErrorMessage error={enabling.error} context="Could not enable the endpoint" />
    </article>
  );
}

function EndpointDialog({
  open,
  endpoint = null,
  onClose,
  onSaved,
}: {
  open: boolean;
  endpoint?: WebhookEndpoint | null;
  onClose: () => void;
  onSaved: (endpoint: WebhookEndpoint | WebhookEndpointWithSecret) => void;
}) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<WebhookEventType[]>(ALL_WEBHOOK_EVENTS);
  const [problem, setProblem] = useState<string | null>(null);
  // The form starts from the endpoint being edited (or empty) each time it opens.
  useEffect(() => {
    if (!open) return;
    setUrl(endpoint?.url ?? '');
    setDescription(endpoint?.description ?? '');
    setEvents(endpoint ? [...endpoint.events] : ALL_WEBHOOK_EVENTS);
    setProblem(null);
  }, [open, endpoint]);
  const saving = useMutation({
    mutationFn: async (): Promise<WebhookEndpoint | WebhookEndpointWithSecret> => {
      if (!endpoint) return createEndpoint(api, { url: url.trim(), events, ...(description.trim() ? { description: description.trim() } : {}) });
      const changes: UpdateWebhookEndpointRequest = {};
      if (url.trim() !== endpoint.url) changes.url = url.trim();
      if (description.trim() !== endpoint.description) changes.description = description.trim();
      if (events.length !== endpoint.events.length || events.some((event) => !endpoint.events.includes(event))) changes.events = events;
      return Object.keys(changes).length === 0 ? endpoint : updateEndpoint(api, endpoint.id, changes);
    },
    onSuccess: (saved) => {
      void queryClient.invalidateQueries({ queryKey: ENDPOINTS_KEY });
      saving.reset();
      onSaved(saved);
    },
  });
  const submit = () => {
    const found = endpointUrlProblem(url);
    setProblem(found);
    if (!found) saving.mutate();
  };
  const toggle = (event: WebhookEventType, on: boolean) =>
    setEvents((list) => (on ? ALL_WEBHOOK_EVENTS.filter((e) => e === event || list.includes(e)) : list.filter((e) => e !== event)));
  const editing = endpoint !== null;
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title={editing ? `Edit “${endpointLabel(endpoint)}”` : 'Add an endpoint'}
      description={editing ? 'Changes apply to the next delivery.' : 'Its signing secret is shown once, right after this.'}
      action={saving}
      errorContext={editing ? 'Could not save the endpoint' : 'Could not add the endpoint'}
      submitLabel={editing ? 'Save' : 'Add the endpoint'}
      pendingLabel="Saving…"
      canSubmit={events.length > 0 && url.trim() !== ''}
      noValidate
      onSubmit={submit}
    >
      <Field label="Address (URL)" hint="Where deliveries are POSTed, e.g. https://example.com/webhooks/kontext.">
        {(props) => <input {...props} type="url" name="url" inputMode="url" required maxLength={2083} value={url} onChange={(e) => setUrl(e.target.value)} />}
      </Field>
      <Field label="Description" hint="Optional: for recognising it, e.g. the service that receives it.">
        {(props) => <input {...props} type="text" name="description" maxLength={500} value={description} onChange={(e) => setDescription(e.target.value)} />}
      </Field>
      <CheckboxChoices
        legend="Events"
        choices={WEBHOOK_EVENT_CHOICES.map((choice) => ({ value: choice.event, label: choice.label }))}
        checked={events}
        onToggle={toggle}
      />
      <Problem>{events.length === 0 ? 'Choose at least one event.' : null}</Problem>
      <Problem>{problem}</Problem>
    </FormDialog>
  );
}

function RotateDialog({ endpoint, onClose, onRotated }: { endpoint: WebhookEndpoint | null; onClose: () => void; onRotated: (endpoint: WebhookEndpointWithSecret) => void }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [overlap, setOverlap] = useState<number>(DEFAULT_OVERLAP);
  const rotating = useMutation({
    mutationFn: ({ id, seconds }: { id: string; seconds: number }) => rotateEndpointSecret(api, id, seconds),
    onSuccess: (rotated) => {
      void queryClient.invalidateQueries({ queryKey: ENDPOINTS_KEY });
      rotating.reset();
      setOverlap(DEFAULT_OVERLAP);
      onRotated(rotated);
    },
  });
  return (
    <FormDialog
      open={endpoint !== null}
      onClose={() => {
        setOverlap(DEFAULT_OVERLAP);
        onClose();
      }}
      title={endpoint ? `Rotate the secret of “${endpointLabel(endpoint)}”` : 'Rotate the secret'}
      description="A new signing secret replaces this one. During the overlap every delivery carries two signatures, one per secret, so your receiver can switch without missing a message."
      action={rotating}
      errorContext="Could not rotate the secret"
      submitLabel="Rotate"
      pendingLabel="Rotating…"
      onSubmit={() => endpoint && rotating.mutate({ id: endpoint.id, seconds: overlap })}
    >
      <RadioChoices
        legend="The previous secret"
        label="The previous secret"
        value={String(overlap)}
        choices={OVERLAP_CHOICES.map((seconds) => ({ value: String(seconds), label: overlapLabel(seconds) }))}
        onChange={(value) => setOverlap(Number(value))}
      />
    </FormDialog>
  );
}

/** A new signing secret, once: copy it; leaving the page asks first. */
function SecretDialog({ secret, onClose }: { secret: Secret | null; onClose: () => void }) {
  const overlapUntil = secret?.rotated ? rotationOverlap(secret.endpoint, new Date()) : null;
  return (
    <ShownOnceDialog
      secret={secret ? secret.endpoint.secret : null}
      title={secret ? `The signing secret of “${endpointLabel(secret.endpoint)}”` : 'The signing secret'}
      description="Copy it now and store it with your receiver: this is the only time it is shown."
      warning="The platform keeps it sealed and never shows it again. If you lose it, rotate the secret to get a new one."
      testId="new-webhook-secret"
      copyLabel="Copy the signing secret"
      before={
        secret?.rotated ? (
          overlapUntil ? (
            <p>
              Until {formatTime(overlapUntil)} every delivery carries two signatures: one with the previous secret and one with this new one. Switch your
              receiver to the new secret before then.
            </p>
          ) : (
            <p>The previous secret no longer signs: switch your receiver to this one now.</p>
          )
        ) : null
      }
      onClose={onClose}
    >
      <p className="muted">
        Each delivery has the headers webhook-id, webhook-timestamp and webhook-signature; verify them with this secret and any Standard Webhooks library.
      </p>
    </ShownOnceDialog>
  );
}

const OUTCOME_LABELS: Record<DeliveryOutcome, string> = { pending: 'Pending', succeeded: 'Succeeded', failed: 'Failed' };

function DeliveryLog({ endpoints, mayWrite }: { endpoints: WebhookEndpoint[]; mayWrite: boolean }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const search = webhooksSearch(useSearchString());
  const navigate = useNavigate();
  const filter = deliveryFilter(search);
  const now = useNow(10_000);
  const log = useInfiniteQuery(deliveriesQuery(api, filter));
  const listed = log.data?.pages.flatMap((page) => page.data) ?? [];
  const anyPending = listed.some((delivery) => delivery.status === 'pending');
  // Only the deliveries in flight are polled, and only while the log shows some.
  const inFlight = useQuery({
    ...inFlightDeliveriesQuery(api, filter.endpoint_id),
    enabled: anyPending,
    refetchInterval: (query) => {
      const rows = query.state.data?.data ?? [];
      return rows.length > 0 ? (inFlightPollMs(rows, new Date()) ?? false) : IN_FLIGHT_POLL_MIN_MS;
    },
  });
  const merged = mergeInFlight(
    listed,
    anyPending && inFlight.data ? { rows: inFlight.data.data, complete: inFlight.data.next_cursor === null, at: inFlight.dataUpdatedAt } : undefined,
    log.dataUpdatedAt,
  );
  const settled = merged.settled.join(' ');
  useEffect(() => {
    // A delivery left the in-flight list: read the log again for how it ended (once per change;
    // a read already under way is let finish).
    if (settled) void queryClient.invalidateQueries({ queryKey: DELIVERY_LOG_KEY }, { cancelRefetch: false });
  }, [settled, queryClient]);
  const gone = goneAnswers(merged.rows);
  useEffect(() => {
    // A receiver answered 410 Gone, which disables its endpoint: read the endpoints again.
    if (gone) void queryClient.invalidateQueries({ queryKey: ENDPOINTS_KEY });
  }, [gone, queryClient]);

  const names = new Map(endpoints.map((endpoint) => [endpoint.id, endpointLabel(endpoint)]));
  const setFilter = (next: { endpoint?: string | undefined; outcome?: string | undefined }) =>
    void navigate({ href: webhooksHref({ ...search, ...next }), replace: true });
  const filtered = Boolean(filter.endpoint_id || filter.outcome);

  return (
    <section aria-labelledby="deliveries-heading">
      <h2 id="deliveries-heading">Delivery log</h2>
      <div className="filters">
        <FilterSelect
          label="Endpoint"
          value={filter.endpoint_id}
          any="Every endpoint"
          choices={endpoints.map((endpoint) => ({ value: endpoint.id, label: endpointLabel(endpoint) }))}
          onChange={(endpoint) => setFilter({ endpoint })}
        />
        <FilterSelect
          label="Outcome"
          value={filter.outcome}
          any="Any outcome"
          choices={Object.entries(OUTCOME_LABELS).map(([value, label]) => ({ value, label }))}
          onChange={(outcome) => setFilter({ outcome })}
        />
        {anyPending ? (
          <Loading label="Watching deliveries in flight" />
        ) : null}
      </div>
      {log.isPending ? <Loading label="Loading deliveries…" /> : null}
      <ErrorMessage error={log.error && !log.data ? log.error : null} context="Could not load the delivery log" />
      <ErrorMessage error={inFlight.error} context="Could not refresh the deliveries in flight" />
      {log.data && merged.rows.length === 0 ? (
        filtered ? (
          <EmptyState title="No deliveries match">
            <p>
              Nothing matches these filters. <Link to="/webhooks">Show every delivery</Link>.
            </p>
          </EmptyState>
        ) : (
          <EmptyState title="No deliveries yet">
            <p>Deliveries appear here when a job an endpoint listens to starts or finishes, or when you send a test event to an endpoint.</p>
          </EmptyState>
        )
      ) : null}
      {merged.rows.length > 0 ? (
        <>
          <ScrollTable
            label="Deliveries"
            caption="Deliveries, newest first"
            className="deliveries"
            columns={['Delivery', 'Event', 'Endpoint', 'Outcome', 'Last answer', 'Attempts', ACTIONS_COLUMN]}
          >
            <tbody>
              {merged.rows.map((delivery) => (
                <DeliveryRows
                  key={delivery.id}
                  delivery={delivery}
                  endpointName={delivery.endpoint_id ? (names.get(delivery.endpoint_id) ?? delivery.url) : `${delivery.url} (a request's own webhook_url)`}
                  mayWrite={mayWrite}
                  now={now}
                />
              ))}
            </tbody>
          </ScrollTable>
          <MorePages pages={log} what="deliveries" />
        </>
      ) : null}
    </section>
  );
}

function DeliveryRows({ delivery, endpointName, mayWrite, now }: { delivery: WebhookDelivery; endpointName: string; mayWrite: boolean; now: Date }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const attemptsId = useId();
  const redelivering = useMutation({
    mutationFn: () => redeliver(api, delivery.id),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: DELIVERIES_KEY }),
  });
  const last = lastAttempt(delivery);
  const lastError = attemptError(delivery.last_status_code, delivery.last_error);
  return (
    <>
      <tr>
        <th scope="row">
          <span title={formatRelative(delivery.created_at, now)}>{formatTime(delivery.created_at)}</span>
          <br />
          <code className="muted small">{delivery.id}</code>
        </th>
        <td>
          <code>{delivery.event_type}</code>
        </td>
        <td className="wrap">{endpointName}</td>
        <td>
          <span className={`badge badge-${delivery.status}`}>{OUTCOME_LABELS[delivery.status]}</span>
          {delivery.status === 'pending' && delivery.next_attempt_at ? (
            <div className="muted small" title={formatTime(delivery.next_attempt_at)}>
              next attempt {formatRelative(delivery.next_attempt_at, now)}
            </div>
          ) : null}
        </td>
        <td>
          {delivery.last_status_code !== null ? <span className="status-code">{delivery.last_status_code}</span> : null}
          {lastError ? <div className="muted small">{lastError}</div> : null}
          {delivery.last_status_code === null && !delivery.last_error ? '—' : null}
          {last ? <div className="muted small">{formatDuration(last.duration_ms)}</div> : null}
        </td>
        <td>{formatCount(delivery.attempts)}</td>
        <td>
          <div className="row-actions">
            <Button onClick={() => setOpen((was) => !was)} aria-expanded={open} aria-controls={attemptsId} aria-label={`Attempts of ${delivery.id}`}>
              {open ? 'Hide attempts' : 'Attempts'}
            </Button>
            {mayWrite ? (
              <Button onClick={() => redelivering.mutate()} disabled={redelivering.isPending} aria-label={`Redeliver ${delivery.id}`}>
                {redelivering.isPending ? 'Queuing…' : 'Redeliver'}
              </Button>
            ) : null}
          </div>
        </td>
      </tr>
      {redelivering.error ? (
        <tr>
          <td colSpan={7}>
            <ErrorMessage error={redelivering.error} context={`Could not redeliver ${delivery.id}`} />
          </td>
        </tr>
      ) : null}
      <tr id={attemptsId} hidden={!open} className="attempts-row">
        <td colSpan={7}>{open ? <AttemptList delivery={delivery} /> : null}</td>
      </tr>
    </>
  );
}

function AttemptList({ delivery }: { delivery: WebhookDelivery }) {
  if (delivery.attempt_log.length === 0) return <p className="muted">No attempt yet: the first one is on its way.</p>;
  const attempts = attemptsInOrder(delivery);
  return (
    <ol className="attempts" aria-label={`Attempts of ${delivery.id}`}>
      {attempts.map((attempt, index) => (
        <li key={`${attempt.started_at} ${attempt.attempt}`} className="attempt">
          <p className="attempt-facts">
            <strong>Attempt {attempt.attempt}</strong>
            {attempt.redelivery ? <span className="badge">redelivered</span> : null}
            <span>{formatTime(attempt.started_at)}</span>
            <span>
              Status <span className="status-code">{attempt.status_code ?? 'none'}</span>
            </span>
            <span>{formatDuration(attempt.duration_ms)}</span>
            {attempt.error && attemptError(attempt.status_code, attempt.error) ? <span className="error-message">{attempt.error}</span> : null}
          </p>
          {attempt.response_excerpt ? (
            // The receiver's words, as text: never HTML.
            <pre className="verbatim excerpt" tabIndex={0} aria-label={`The answer to try ${index + 1}`}>
              {attempt.response_excerpt}
            </pre>
          ) : (
            <p className="muted small">No answer body.</p>
          )}
        </li>
      ))}
    </ol>
  );
}
