import type { AuditEntry, Member } from '../api/team-queries.ts';
import type { MemberRole, Scope, Session } from '../api/types.ts';
import { hrefWith } from './page-search.ts';

// Who may do what on the team page, as the API decides it (the page offers only what would pass),
// and how roles, audit actions and actors read. Pure: no DOM.

export const ROLES = [
  { role: 'owner', label: 'Owner', description: 'Everything, including making and removing owners' },
  { role: 'admin', label: 'Admin', description: 'Everything except making, changing or removing owners' },
  { role: 'developer', label: 'Developer', description: 'Jobs, API keys and webhooks; reads everything else' },
  { role: 'billing', label: 'Billing', description: 'Reads jobs, usage, credits, webhooks and the team' },
  { role: 'viewer', label: 'Viewer', description: 'Reads jobs, usage, credits, webhooks and the team' },
] as const satisfies readonly { role: MemberRole; label: string; description: string }[];

type ListedRole = (typeof ROLES)[number]['role'];
const everyRoleListed: Exclude<MemberRole, ListedRole> extends never ? true : false = true;
void everyRoleListed;

export function roleLabel(role: MemberRole): string {
  return ROLES.find((entry) => entry.role === role)?.label ?? role;
}

type Actor = Pick<Session, 'scopes'> & { tenant: Pick<Session['tenant'], 'role'> };

const has = (session: Actor, scope: Scope) => session.scopes.includes(scope);

/** The roles this session may give: all five for an owner, all but owner for anyone else with members:write, none otherwise. */
export function assignableRoles(session: Actor): MemberRole[] {
  if (!has(session, 'members:write')) return [];
  return ROLES.map((entry) => entry.role).filter((role) => role !== 'owner' || session.tenant.role === 'owner');
}

/** Whether the page offers to change this member's role: members:write, and only an owner touches an owner. */
export function mayChangeRole(session: Actor, member: Pick<Member, 'role'>): boolean {
  return has(session, 'members:write') && (member.role !== 'owner' || session.tenant.role === 'owner');
}

/** Whether the page offers to remove this member (someone else; yourself is "leave"). */
export function mayRemove(session: Actor & { user: Pick<Session['user'], 'id'> }, member: Pick<Member, 'role' | 'user_id'>): boolean {
  return member.user_id !== session.user.id && mayChangeRole(session, member);
}

/** How long an invitation's link works (hours; the API's default is 7 days, at most 30). */
export const INVITATION_EXPIRY_CHOICES = [
  { hours: 24, label: '1 day' },
  { hours: 72, label: '3 days' },
  { hours: 168, label: '7 days' },
  { hours: 336, label: '14 days' },
  { hours: 720, label: '30 days' },
] as const;
export const DEFAULT_INVITATION_HOURS = 168;

export type AuditAction = AuditEntry['action'];

export const AUDIT_ACTIONS = [
  { action: 'session.signed_in', label: 'Signed in' },
  { action: 'session.sign_in_refused', label: 'Sign-in refused' },
  { action: 'session.signed_out', label: 'Signed out' },
  { action: 'session.revoked', label: 'Session ended' },
  { action: 'password.changed', label: 'Password changed' },
  { action: 'password.reset', label: 'Password reset' },
  { action: 'key.created', label: 'API key created' },
  { action: 'key.rotated', label: 'API key rotated' },
  { action: 'key.revoked', label: 'API key revoked' },
  { action: 'member.invited', label: 'Member invited' },
  { action: 'member.joined', label: 'Member joined' },
  { action: 'member.role_changed', label: 'Role changed' },
  { action: 'member.removed', label: 'Member removed' },
  { action: 'invitation.revoked', label: 'Invitation withdrawn' },
  { action: 'tenant.created', label: 'Team created' },
] as const satisfies readonly { action: AuditAction; label: string }[];

type ListedAction = (typeof AUDIT_ACTIONS)[number]['action'];
const everyActionListed: Exclude<AuditAction, ListedAction> extends never ? true : false = true;
void everyActionListed;

/** The audit log's filter from the address (`?action=member.joined`); an unknown action is no filter. */
export function auditActionOf(value: string | undefined): AuditAction | undefined {
  return AUDIT_ACTIONS.find((entry) => entry.action === value)?.action;
}

/** The team page's address with this audit filter (none: every action). */
export function teamHref(action: AuditAction | undefined): string {
  return hrefWith('/team', { action });
}

export function auditActionLabel(action: AuditAction): string {
  return AUDIT_ACTIONS.find((entry) => entry.action === action)?.label ?? action;
}

/** Who did it: a person's email, an API key's id, the operator, or someone not signed in. */
export function actorLabel(actor: AuditEntry['actor']): string {
  switch (actor.kind) {
    case 'user':
      return actor.email ?? actor.id ?? 'a person';
    case 'api_key':
      return actor.id ? `API key ${actor.id}` : 'an API key';
    case 'operator':
      return 'the platform operator';
    default:
      return 'someone not signed in';
  }
}

/** An audit entry's details as short `name: value` facts (never secrets: the API keeps none there). */
export function auditDetails(details: AuditEntry['details']): string {
  return Object.entries(details)
    .filter(([, value]) => value !== null && value !== '')
    .map(([name, value]) => `${name.replace(/_/g, ' ')}: ${String(value)}`)
    .join(', ');
}

/** A person as the lists name them: `Ada Lovelace (ada@example.com)`, or the address alone. */
export function personLabel(person: Pick<Member, 'name' | 'email'>): string {
  const name = person.name.trim();
  return name ? `${name} (${person.email})` : person.email;
}
