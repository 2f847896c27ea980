import { useInfiniteQuery, useMutation, useQuery, useQueryClient, useSuspenseQuery } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { useApi } from '../api/context.tsx';
import { forgetSession, SESSION_KEY, sessionQuery } from '../api/session.ts';
import {
  AUDIT_KEY,
  auditLogQuery,
  changeMemberRole,
  invitationsQuery,
  INVITATIONS_KEY,
  invite,
  MEMBERS_KEY,
  membersQuery,
  removeMember,
  withdrawInvitation,
  type AuditEntry,
  type CreatedInvitation,
  type Invitation,
  type Member,
} from '../api/team-queries.ts';
import type { MemberRole, Session } from '../api/types.ts';
import { ACTIONS_COLUMN, ConfirmAction, ConfirmDialog, Done, FilterSelect, FormDialog, MorePages, ScrollTable, useNow, useSearchString } from '../components/manage.tsx';
import { Banner, Button, EmptyState, ErrorMessage, Field, Loading, PageHeader } from '../components/ui.tsx';
import { formatRelative, formatTime } from '../lib/format.ts';
import { searchParam } from '../lib/page-search.ts';
import {
  actorLabel,
  assignableRoles,
  AUDIT_ACTIONS,
  auditActionLabel,
  auditActionOf,
  auditDetails,
  DEFAULT_INVITATION_HOURS,
  INVITATION_EXPIRY_CHOICES,
  mayChangeRole,
  mayRemove,
  personLabel,
  roleLabel,
  ROLES,
  teamHref,
} from '../lib/team.ts';

// The team: members and their roles (changed, removed, or left), pending invitations (sent,
// withdrawn), and, for owners and admins, the audit log filtered by action in the address. Only
// what the session's scopes allow is offered; what the API refuses anyway (the last owner, 403)
// is said in its own words.

export function TeamPage() {
  const api = useApi();
  const { data: session } = useSuspenseQuery(sessionQuery(api));
  const mayRead = session.scopes.includes('members:read');
  const mayWrite = session.scopes.includes('members:write');
  const mayAudit = session.scopes.includes('audit:read');
  const members = useQuery({ ...membersQuery(api), enabled: mayRead });
  const invitations = useQuery({ ...invitationsQuery(api), enabled: mayRead });
  const [inviting, setInviting] = useState(false);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [leaving, setLeaving] = useState(false);
  const [withdrawing, setWithdrawing] = useState<Invitation | null>(null);
  const [done, setDone] = useState<{ tone: 'info' | 'warning'; text: string } | null>(null);

  const memberList = members.data?.data ?? [];
  const people = new Map(memberList.map((member) => [member.user_id, member]));
  const inviteButton = mayWrite ? (
    <Button tone="primary" onClick={() => setInviting(true)}>
      Invite someone
    </Button>
  ) : null;

  return (
    <>
      <PageHeader title="Team" description={`The people of ${session.tenant.name} and what each may do.`} actions={inviteButton} />
      {!mayWrite ? <p className="muted">Your role ({session.tenant.role}) can see the team; an owner or admin can change it.</p> : null}
      {done ? (
        done.tone === 'warning' ? (
          <Banner tone="warning" title="Invited, but no email was sent">
            {done.text}
          </Banner>
        ) : (
          <Done onDismiss={() => setDone(null)}>{done.text}</Done>
        )
      ) : null}

      <section aria-labelledby="members-heading">
        <h2 id="members-heading">Members</h2>
        {!mayRead ? <p>Your role cannot list the members.</p> : null}
        {members.isPending && mayRead ? <Loading label="Loading members…" /> : null}
        <ErrorMessage error={members.error} context="Could not load the members" />
        {memberList.length > 0 ? (
          <MembersTable members={memberList} session={session} onRemove={setRemoving} onLeave={() => setLeaving(true)} />
        ) : null}
        <p className="muted small">
          {ROLES.map((entry) => (
            <span key={entry.role} className="role-note">
              <strong>{entry.label}</strong>: {entry.description}.{' '}
            </span>
          ))}
        </p>
      </section>

      <section aria-labelledby="invitations-heading">
        <h2 id="invitations-heading">Invitations</h2>
        {invitations.isPending && mayRead ? <Loading label="Loading invitations…" /> : null}
        <ErrorMessage error={invitations.error} context="Could not load the invitations" />
        {invitations.data && invitations.data.data.length === 0 ? (
          <EmptyState title="No pending invitations">
            {mayWrite ? (
              <>
                <p>Invite someone by email: the link in it lets them join with the role you choose.</p>
                {inviteButton}
              </>
            ) : (
              <p>An owner or admin can invite people by email.</p>
            )}
          </EmptyState>
        ) : null}
        {invitations.data && invitations.data.data.length > 0 ? (
          <InvitationsTable invitations={invitations.data.data} people={people} mayWrite={mayWrite} onWithdraw={setWithdrawing} />
        ) : null}
      </section>

      {mayAudit ? <AuditLog people={people} /> : null}

      {mayWrite ? (
        <>
          <InviteDialog
            open={inviting}
            session={session}
            onClose={() => setInviting(false)}
            onInvited={(invitation) => {
              setInviting(false);
              setDone(
                invitation.email_sent
                  ? { tone: 'info', text: `Invitation sent to ${invitation.email} as ${roleLabel(invitation.role).toLowerCase()}. The link works until ${formatTime(invitation.expires_at)}.` }
                  : {
                      tone: 'warning',
                      text: `${invitation.email} is invited, but this server has no mail set up. The platform operator can pass the link on (kontext-admin invitations).`,
                    },
              );
            }}
          />
          <ConfirmAction
            target={removing}
            run={(api, member) => removeMember(api, member.user_id)}
            invalidates={[MEMBERS_KEY, AUDIT_KEY]}
            onClose={() => setRemoving(null)}
            onDone={(member) => setDone({ tone: 'info', text: `${personLabel(member)} is no longer a member of ${session.tenant.name}.` })}
            title={(member) => `Remove ${personLabel(member)} from ${session.tenant.name}?`}
            confirmLabel={(member) => `Remove ${member.email}`}
            pendingLabel="Removing…"
            cancelLabel="Keep them"
            errorContext="Could not remove them"
          >
            {() => (
              <p>
                Their sessions in {session.tenant.name} end at once, and they lose access to it. API keys they made keep working until revoked. To come back
                they need a new invitation.
              </p>
            )}
          </ConfirmAction>
          <ConfirmAction
            target={withdrawing}
            run={(api, invitation) => withdrawInvitation(api, invitation.id)}
            invalidates={[INVITATIONS_KEY, AUDIT_KEY]}
            onClose={() => setWithdrawing(null)}
            onDone={(invitation) => setDone({ tone: 'info', text: `The invitation to ${invitation.email} is withdrawn; its link no longer works.` })}
            title={(invitation) => `Withdraw the invitation to ${invitation.email}?`}
            confirmLabel="Withdraw it"
            pendingLabel="Withdrawing…"
            cancelLabel="Keep it"
            errorContext="Could not withdraw the invitation"
          >
            {() => <p>The link in their email stops working at once. You can invite them again later.</p>}
          </ConfirmAction>
        </>
      ) : null}
      <LeaveDialog open={leaving} session={session} onClose={() => setLeaving(false)} />
    </>
  );
}

function MembersTable({ members, session, onRemove, onLeave }: { members: Member[]; session: Session; onRemove: (member: Member) => void; onLeave: () => void }) {
  const now = useNow();
  return (
    <ScrollTable
      label="Members"
      caption={`Members of ${session.tenant.name}`}
      className="members"
      columns={['Name', 'Email', 'Role', 'Joined', ACTIONS_COLUMN]}
    >
      <tbody>
        {members.map((member) => {
          const self = member.user_id === session.user.id;
          return (
            <tr key={member.user_id}>
              <th scope="row">
                {member.name.trim() || <span className="muted">No name</span>}
                {self ? <span className="badge badge-you">you</span> : null}
              </th>
              <td className="wrap">{member.email}</td>
              <td>{mayChangeRole(session, member) ? <RoleSelect member={member} session={session} /> : <span className="badge">{roleLabel(member.role)}</span>}</td>
              <td title={formatTime(member.joined_at)}>{formatRelative(member.joined_at, now)}</td>
              <td>
                <div className="row-actions">
                  {self ? (
                    <Button tone="danger" onClick={onLeave}>
                      Leave the team
                    </Button>
                  ) : mayRemove(session, member) ? (
                    <Button tone="danger" onClick={() => onRemove(member)} aria-label={`Remove ${member.email}`}>
                      Remove
                    </Button>
                  ) : null}
                </div>
              </td>
            </tr>
          );
        })}
      </tbody>
    </ScrollTable>
  );
}

/** A member's role: a select of the roles this session may give, saved on request. */
function RoleSelect({ member, session }: { member: Member; session: Session }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<MemberRole>(member.role);
  const changing = useMutation({
    mutationFn: (role: MemberRole) => changeMemberRole(api, member.user_id, role),
    onSuccess: (changed) => {
      setDraft(changed.role);
      void queryClient.invalidateQueries({ queryKey: MEMBERS_KEY });
      void queryClient.invalidateQueries({ queryKey: AUDIT_KEY });
      // Your own role decides what this session may do: read it again.
      if (member.user_id === session.user.id) void queryClient.invalidateQueries({ queryKey: SESSION_KEY });
    },
  });
  const roles = assignableRoles(session);
  // An owner's row is only offered to owners, who may give every role.
  const options = roles.includes(member.role) ? roles : [member.role, ...roles];
  const changed = draft !== member.role;
  return (
    <div className="role-select">
      <select
        className="select"
        aria-label={`Role of ${member.email}`}
        value={draft}
        onChange={(event) => {
          changing.reset();
          setDraft(event.target.value as MemberRole);
        }}
        disabled={changing.isPending}
      >
        {options.map((role) => (
          <option key={role} value={role}>
            {roleLabel(role)}
          </option>
        ))}
      </select>
      {changed ? (
        <>
          <Button tone="primary" onClick={() => changing.mutate(draft)} disabled={changing.isPending} aria-label={`Save the role of ${member.email}`}>
            {changing.isPending ? 'Saving…' : 'Save'}
          </Button>
          <Button
            tone="ghost"
            onClick={() => {
              changing.reset();
              setDraft(member.role);
            }}
            aria-label={`Keep the role of ${member.email}`}
          >
            Cancel
          </Button>
        </>
      ) : null}
      <ErrorMessage error={changing.error} context={`Could not change the role of ${member.email}`} />
    </div>
  );
}

function InvitationsTable({
  invitations,
  people,
  mayWrite,
  onWithdraw,
}: {
  invitations: Invitation[];
  people: Map<string, Member>;
  mayWrite: boolean;
  onWithdraw: (invitation: Invitation) => void;
}) {
  const now = useNow();
  return (
    <ScrollTable
      label="Pending invitations"
      className="invitations"
      columns={['Email', 'Role', 'Invited by', 'Sent', 'Link expires', mayWrite && ACTIONS_COLUMN]}
    >
      <tbody>
        {invitations.map((invitation) => {
          const by = invitation.invited_by ? people.get(invitation.invited_by) : undefined;
          return (
            <tr key={invitation.id}>
              <th scope="row" className="wrap">
                {invitation.email}
              </th>
              <td>
                <span className="badge">{roleLabel(invitation.role)}</span>
              </td>
              <td className="wrap">{invitation.invited_by === null ? 'the platform operator' : by ? by.email : <span className="muted">a former member</span>}</td>
              <td title={formatTime(invitation.created_at)}>{formatRelative(invitation.created_at, now)}</td>
              <td className="time" title={formatRelative(invitation.expires_at, now)}>
                {formatTime(invitation.expires_at)}
              </td>
              {mayWrite ? (
                <td>
                  <div className="row-actions">
                    <Button tone="danger" onClick={() => onWithdraw(invitation)} aria-label={`Withdraw the invitation to ${invitation.email}`}>
                      Withdraw
                    </Button>
                  </div>
                </td>
              ) : null}
            </tr>
          );
        })}
      </tbody>
    </ScrollTable>
  );
}

function InviteDialog({ open, session, onClose, onInvited }: { open: boolean; session: Session; onClose: () => void; onInvited: (invitation: CreatedInvitation) => void }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const roles = assignableRoles(session);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<MemberRole>('developer');
  const [hours, setHours] = useState<number>(DEFAULT_INVITATION_HOURS);
  const inviting = useMutation({
    mutationFn: () => invite(api, { email: email.trim(), role, expires_in_hours: hours }),
    onSuccess: (invitation) => {
      void queryClient.invalidateQueries({ queryKey: INVITATIONS_KEY });
      void queryClient.invalidateQueries({ queryKey: AUDIT_KEY });
      setEmail('');
      setRole('developer');
      setHours(DEFAULT_INVITATION_HOURS);
      inviting.reset();
      onInvited(invitation);
    },
  });
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title={`Invite someone to ${session.tenant.name}`}
      description="They get an email with a link to join; it works once. Inviting the same address again replaces the earlier link."
      action={inviting}
      errorContext="Could not invite"
      submitLabel="Send the invitation"
      pendingLabel="Inviting…"
      canSubmit={email.trim() !== ''}
      onSubmit={() => inviting.mutate()}
    >
      <Field label="Email">
        {(props) => <input {...props} type="email" name="email" autoComplete="off" required value={email} onChange={(e) => setEmail(e.target.value)} />}
      </Field>
      <Field label="Role" hint={ROLES.find((entry) => entry.role === role)?.description}>
        {(props) => (
          <select {...props} className="select" name="role" value={role} onChange={(e) => setRole(e.target.value as MemberRole)}>
            {roles.map((choice) => (
              <option key={choice} value={choice}>
                {roleLabel(choice)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="The link works for">
        {(props) => (
          <select {...props} className="select" name="expires" value={hours} onChange={(e) => setHours(Number(e.target.value))}>
            {INVITATION_EXPIRY_CHOICES.map((choice) => (
              <option key={choice.hours} value={choice.hours}>
                {choice.label}
              </option>
            ))}
          </select>
        )}
      </Field>
    </FormDialog>
  );
}

function LeaveDialog({ open, session, onClose }: { open: boolean; session: Session; onClose: () => void }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const leaving = useMutation({
    mutationFn: () => removeMember(api, session.user.id),
    onSuccess: () => {
      // Your sessions in this team ended with the membership.
      forgetSession(api, queryClient);
      void navigate({ to: '/sign-in', replace: true });
    },
  });
  return (
    <ConfirmDialog
      open={open}
      title={`Leave ${session.tenant.name}?`}
      confirmLabel="Leave the team"
      pendingLabel="Leaving…"
      cancelLabel="Stay"
      action={leaving}
      errorContext="Could not leave the team"
      onConfirm={() => leaving.mutate()}
      onClose={onClose}
    >
      <p>
        You lose access to {session.tenant.name} at once and are signed out of it. To come back, someone must invite you again.
        {session.tenants.length > 1 ? ' Your other teams are not affected: sign in again to use them.' : ''}
      </p>
    </ConfirmDialog>
  );
}

function AuditLog({ people }: { people: Map<string, Member> }) {
  const api = useApi();
  const action = auditActionOf(searchParam(useSearchString(), 'action'));
  const navigate = useNavigate();
  const log = useInfiniteQuery(auditLogQuery(api, action ? { action } : {}));
  const now = useNow();
  const entries = log.data?.pages.flatMap((page) => page.data) ?? [];
  return (
    <section aria-labelledby="audit-heading">
      <h2 id="audit-heading">Audit log</h2>
      <p className="muted">Sign-ins, key changes, member and invitation changes, newest first, with who, when and from where.</p>
      <div className="filters">
        <FilterSelect
          label="Action"
          value={action}
          any="Every action"
          choices={AUDIT_ACTIONS.map((entry) => ({ value: entry.action, label: entry.label }))}
          onChange={(value) => void navigate({ href: teamHref(auditActionOf(value)), replace: true })}
        />
      </div>
      {log.isPending ? <Loading label="Loading the audit log…" /> : null}
      <ErrorMessage error={log.data ? null : log.error} context="Could not load the audit log" />
      {log.data && entries.length === 0 ? (
        <EmptyState title={action ? 'No entries of this action' : 'Nothing recorded yet'}>
          {action ? (
            <p>
              Nothing of this kind happened yet. <Link to="/team">Show every action</Link>.
            </p>
          ) : (
            <p>Entries appear as people sign in and change keys, members and invitations.</p>
          )}
        </EmptyState>
      ) : null}
      {entries.length > 0 ? (
        <>
          <ScrollTable
            label="Audit log entries"
            caption="Audit log, newest first"
            className="audit"
            columns={['Time', 'Actor', 'Action', 'Target', 'Client address']}
          >
            <tbody>
              {entries.map((entry) => (
                <AuditRow key={entry.id} entry={entry} people={people} now={now} />
              ))}
            </tbody>
          </ScrollTable>
          <MorePages pages={log} what="entries" />
        </>
      ) : null}
    </section>
  );
}

function AuditRow({ entry, people, now }: { entry: AuditEntry; people: Map<string, Member>; now: Date }) {
  const target = entry.target ? people.get(entry.target) : undefined;
  const details = auditDetails(entry.details);
  return (
    <tr>
      <th scope="row" className="time" title={formatRelative(entry.at, now)}>
        {formatTime(entry.at)}
      </th>
      <td className="wrap person">{actorLabel(entry.actor)}</td>
      <td>
        {auditActionLabel(entry.action)}
        <div>
          <code className="muted small">{entry.action}</code>
        </div>
        {details ? <div className="muted small">{details}</div> : null}
      </td>
      <td className="wrap person">
        {target ? <div>{target.email}</div> : null}
        {entry.target ? <code className="muted small">{entry.target}</code> : <span className="muted">—</span>}
      </td>
      <td>{entry.client_address ?? <span className="muted">unknown</span>}</td>
    </tr>
  );
}
