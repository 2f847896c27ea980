import { useMutation, useQuery, useQueryClient, useSuspenseQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { changePassword, endSession, MY_SESSIONS_KEY, mySessionsQuery } from '../api/account-queries.ts';
import { isApiError } from '../api/client.ts';
import { useApi } from '../api/context.tsx';
import { SESSION_KEY, sessionQuery } from '../api/session.ts';
import type { Session, UserSession } from '../api/types.ts';
import { ACTIONS_COLUMN, ConfirmAction, ConfirmDialog, Done, ScrollTable, useNow } from '../components/manage.tsx';
import { NewPasswordFields, useNewPassword } from '../components/new-password.tsx';
import { Button, ErrorMessage, Field, Loading, PageHeader, Problem } from '../components/ui.tsx';
import { describeUserAgent, otherSessions, sessionsInOrder } from '../lib/account.ts';
import { formatRelative, formatTime } from '../lib/format.ts';
import { SCOPES } from '../lib/scopes.ts';
import { roleLabel } from '../lib/team.ts';

// Your account: who you are and your role here, a new password (every other device is signed
// out; this one continues in a fresh session, whose CSRF token the page adopts), and where you are
// signed in, with a way to end any other session or all of them.

export function AccountPage() {
  const api = useApi();
  const { data: session } = useSuspenseQuery(sessionQuery(api));
  const [done, setDone] = useState<string | null>(null);
  return (
    <>
      <PageHeader title="Account" description="Who you are, your password, and where you are signed in." />
      {done ? <Done onDismiss={() => setDone(null)}>{done}</Done> : null}
      <Profile session={session} />
      <ChangePassword email={session.user.email} onChanged={() => setDone('Your password is changed. Every other device was signed out; this one stays signed in.')} />
      <Sessions onEnded={setDone} />
    </>
  );
}

function Profile({ session }: { session: Session }) {
  const others = session.tenants.filter((tenant) => tenant.id !== session.tenant.id);
  const granted = SCOPES.filter((entry) => session.scopes.includes(entry.scope));
  return (
    <section aria-labelledby="profile-heading">
      <h2 id="profile-heading">You</h2>
      <div className="card">
        <dl className="facts">
          <div>
            <dt>Name</dt>
            <dd>{session.user.name.trim() || <span className="muted">No name given</span>}</dd>
          </div>
          <div>
            <dt>Email</dt>
            <dd className="wrap">{session.user.email}</dd>
          </div>
          <div>
            <dt>Account since</dt>
            <dd>{formatTime(session.user.created_at)}</dd>
          </div>
          <div>
            <dt>Your role in {session.tenant.name}</dt>
            <dd>
              <span className="badge">{roleLabel(session.tenant.role)}</span>
            </dd>
          </div>
          <div>
            <dt>What your role may do here</dt>
            <dd>
              <ul className="inline-list scope-list">
                {granted.map((entry) => (
                  <li key={entry.scope}>{entry.label}</li>
                ))}
              </ul>
            </dd>
          </div>
          {others.length > 0 ? (
            <div>
              <dt>Your other teams</dt>
              <dd>
                <ul className="inline-list">
                  {others.map((tenant) => (
                    <li key={tenant.id}>
                      {tenant.name} <span className="muted">({roleLabel(tenant.role).toLowerCase()})</span>
                    </li>
                  ))}
                </ul>
              </dd>
            </div>
          ) : null}
        </dl>
      </div>
    </section>
  );
}

function ChangePassword({ email, onChanged }: { email: string; onChanged: () => void }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [current, setCurrent] = useState('');
  const pair = useNewPassword();
  const changing = useMutation({
    mutationFn: () => changePassword(api, { current_password: current, new_password: pair.password }),
    onSuccess: (fresh) => {
      // This device goes on in a new session: its CSRF token replaces the old one (which no longer works).
      api.rememberCsrfToken(fresh.csrf_token);
      queryClient.setQueryData(SESSION_KEY, fresh);
      void queryClient.invalidateQueries({ queryKey: MY_SESSIONS_KEY });
      setCurrent('');
      pair.clear();
      onChanged();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    changing.reset();
    if (pair.check()) changing.mutate();
  };
  const wrongCurrent = isApiError(changing.error, 403) && changing.error.field === 'current_password';
  return (
    <section aria-labelledby="password-heading">
      <h2 id="password-heading">Password</h2>
      <form className="form card narrow-form" onSubmit={submit}>
        {/* For password managers: whose password this is. */}
        <input type="text" name="username" autoComplete="username" value={email} readOnly hidden />
        <Field label="Current password">
          {(props) => (
            <input {...props} type="password" name="current-password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
          )}
        </Field>
        <NewPasswordFields pair={pair} againLabel="The new password again" note="Every other device is signed out when it changes." />
        {wrongCurrent ? (
          <Problem>The current password is wrong.</Problem>
        ) : (
          <ErrorMessage error={changing.error} context="Could not change the password" />
        )}
        <div>
          <Button tone="primary" type="submit" disabled={changing.isPending}>
            {changing.isPending ? 'Changing…' : 'Change the password'}
          </Button>
        </div>
      </form>
    </section>
  );
}

function Sessions({ onEnded }: { onEnded: (message: string) => void }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const sessions = useQuery(mySessionsQuery(api));
  const now = useNow();
  const [ending, setEnding] = useState<UserSession | null>(null);
  const [endingOthers, setEndingOthers] = useState(false);
  const list = sessionsInOrder(sessions.data?.data ?? []);
  const others = otherSessions(list);
  const endOthers = useMutation({
    mutationFn: async (targets: UserSession[]) => {
      // One at a time: a session that ended by itself meanwhile (404) is as good as ended.
      for (const target of targets) {
        await endSession(api, target.id).catch((error: unknown) => {
          if (!isApiError(error, 404)) throw error;
        });
      }
      return targets.length;
    },
    onSettled: () => void queryClient.invalidateQueries({ queryKey: MY_SESSIONS_KEY }),
    onSuccess: (count) => {
      endOthers.reset();
      setEndingOthers(false);
      onEnded(count === 1 ? 'The other session has ended.' : `The ${count} other sessions have ended.`);
    },
  });
  return (
    <section aria-labelledby="sessions-heading">
      <div className="section-head">
        <h2 id="sessions-heading">Where you are signed in</h2>
        {others.length > 0 ? (
          <Button tone="danger" onClick={() => setEndingOthers(true)}>
            Sign out everywhere else
          </Button>
        ) : null}
      </div>
      <p className="muted">Every session of your account, on any device and in any of your teams, most recently used first.</p>
      {sessions.isPending ? <Loading label="Loading your sessions…" /> : null}
      <ErrorMessage error={sessions.error} context="Could not load your sessions" />
      {sessions.data && others.length === 0 ? <p>You are signed in on this device only.</p> : null}
      {list.length > 0 ? (
        <ScrollTable
          label="Your sessions"
          className="sessions"
          columns={['Device', 'Address', 'Signed in', 'Last used', 'Ends', ACTIONS_COLUMN]}
        >
          <tbody>
            {list.map((entry) => (
              <tr key={entry.id} className={entry.current ? 'this-device' : undefined}>
                <th scope="row" title={entry.user_agent ?? undefined}>
                  {describeUserAgent(entry.user_agent)}
                  {entry.current ? <span className="badge badge-you">This device</span> : null}
                </th>
                <td>{entry.client_address ?? <span className="muted">unknown</span>}</td>
                <td title={formatRelative(entry.created_at, now)}>{formatTime(entry.created_at)}</td>
                <td title={formatTime(entry.last_seen_at)}>{formatRelative(entry.last_seen_at, now)}</td>
                <td title={formatTime(entry.expires_at)}>{formatRelative(entry.expires_at, now)}</td>
                <td>
                  <div className="row-actions">
                    {entry.current ? null : (
                      <Button
                        tone="danger"
                        onClick={() => setEnding(entry)}
                        aria-label={`End the session on ${describeUserAgent(entry.user_agent)} from ${entry.client_address ?? 'an unknown address'}, last used ${formatRelative(entry.last_seen_at, now)}`}
                      >
                        End
                      </Button>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </ScrollTable>
      ) : null}
      <ConfirmAction
        target={ending}
        run={(api, target) => endSession(api, target.id)}
        invalidates={[MY_SESSIONS_KEY]}
        onClose={() => setEnding(null)}
        onDone={(target) => onEnded(`The session on ${describeUserAgent(target.user_agent)} has ended.`)}
        title={(target) => `End the session on ${describeUserAgent(target.user_agent)}?`}
        confirmLabel="End it"
        pendingLabel="Ending…"
        cancelLabel="Keep it"
        errorContext="Could not end the session"
      >
        {(target) => (
          <p>
            The device at {target.client_address ?? 'an unknown address'}, signed in {formatTime(target.created_at)}, is signed out at once and must sign
            in again.
          </p>
        )}
      </ConfirmAction>
      <ConfirmDialog
        open={endingOthers}
        title="Sign out everywhere else?"
        confirmLabel={others.length === 1 ? 'End the other session' : `End ${others.length} other sessions`}
        pendingLabel="Signing out…"
        cancelLabel="Cancel"
        action={endOthers}
        errorContext="Could not end every other session"
        onConfirm={() => endOthers.mutate(others)}
        onClose={() => setEndingOthers(false)}
      >
        <p>Every other device signed in to your account, in any of your teams, is signed out at once. This device stays signed in.</p>
      </ConfirmDialog>
    </section>
  );
}
