import { mayAssignRole, newId, ProblemError, type MemberRole } from '@kontext/core';
import { findMembership, findTenant, findUserByEmail, upsertInvitation } from '@kontext/db';
import { requireScope, type AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';
import { actorOf, recordAudit, type RequestOrigin } from './audit.ts';
import { consoleLink, sendMail } from './send-mail.ts';
import { newLinkToken } from './tokens.ts';

/** The role a principal assigns with: a member's own, `admin` for an API key with members:write, none (anything) for the operator. */
export function assigningRoleOf(auth: AuthenticatedPrincipal | undefined): MemberRole | null {
  if (!auth) return null;
  return auth.member?.role ?? 'admin';
}

export interface InvitationResult {
  id: string;
  email: string;
  role: MemberRole;
  invited_by: string | null;
  created_at: string;
  expires_at: string;
  email_sent: boolean;
  accept_url: string;
}

/**
 * Invites an address to a tenant with a role and mails the link. Inviting the same address again
 * replaces the earlier link. Only an owner (or the operator) may invite an owner.
 */
export async function inviteMember({
  ctx,
  input,
}: VerbArgs<{ tenantId: string; email: string; role: MemberRole; expiresInHours: number; auth?: AuthenticatedPrincipal | undefined; origin: RequestOrigin }>): Promise<InvitationResult> {
  if (input.auth) requireScope(input.auth, 'members:write');
  if (!mayAssignRole(assigningRoleOf(input.auth), null, input.role)) {
    throw new ProblemError('forbidden', 'only an owner can invite an owner', { issues: [{ field: 'role', message: 'only an owner can invite an owner' }] });
  }
  const tenant = await findTenant(ctx.db, input.tenantId);
  if (!tenant) throw new ProblemError('not_found', `no tenant ${input.tenantId}`);
  const known = await findUserByEmail(ctx.db, input.email);
  if (known && (await findMembership(ctx.db, input.tenantId, known.id))) {
    throw new ProblemError('conflict', `${input.email} is a member already: change their role instead`, { issues: [{ field: 'email', message: 'is a member already' }] });
  }
  const { token, tokenHash } = newLinkToken('inv');
  const invitedBy = input.auth?.member?.userId ?? null;
  const invitation = await ctx.db.transaction(async (tx) => {
    const saved = await upsertInvitation(tx, {
      id: newId('invitation'),
      tenantId: input.tenantId,
      email: input.email,
      role: input.role,
      tokenHash,
      invitedBy,
      expiresInSeconds: input.expiresInHours * 3600,
    });
    await recordAudit(tx, { tenantId: input.tenantId, action: 'member.invited', actor: actorOf(input.auth), target: saved.id, details: { email: input.email, role: input.role }, origin: input.origin });
    return saved;
  });
  const link = consoleLink(ctx, 'accept-invitation', token);
  const inviter = input.auth?.member?.email ?? 'The operator';
  const sent = await sendMail(ctx, {
    to: input.email,
    subject: `You are invited to ${tenant.name} on Kontext`,
    text: `${inviter} invited you to join ${tenant.name} as ${input.role}.\n\nAccept the invitation here (the link works once, until ${invitation.expiresAt.toISOString()}):\n${link}\n\nIf you did not expect this, ignore the message.\n`,
    link,
  });
  return {
    id: invitation.id,
    email: invitation.email,
    role: invitation.role,
    invited_by: invitation.invitedBy,
    created_at: invitation.createdAt.toISOString(),
    expires_at: invitation.expiresAt.toISOString(),
    email_sent: sent,
    accept_url: link,
  };
}
