import { queryOptions } from '@tanstack/react-query';
import type { AuditLog, CreatedInvitation, CreateInvitationRequest, InvitationList, Member, MemberList, MemberRole } from '@kontext/sdk';
import type { ApiClient } from './client.ts';
import { cursorPagesQuery } from './cursor-pages.ts';

// The team: members and their roles, pending invitations, and the audit log, keyed by the call.

export type { AuditEntry, AuditLog, CreatedInvitation, CreateInvitationRequest, Invitation, InvitationList, Member, MemberList } from '@kontext/sdk';

export const MEMBERS_KEY = ['members'] as const;
export const INVITATIONS_KEY = ['invitations'] as const;
export const AUDIT_KEY = ['audit-log'] as const;

export const AUDIT_PAGE_SIZE = 50;

export const membersQuery = (api: ApiClient) => queryOptions({ queryKey: MEMBERS_KEY, queryFn: ({ signal }) => api.get<MemberList>('/v1/members', { signal }) });

export const invitationsQuery = (api: ApiClient) =>
  queryOptions({ queryKey: INVITATIONS_KEY, queryFn: ({ signal }) => api.get<InvitationList>('/v1/invitations', { signal }) });

export interface AuditQuery {
  action?: AuditLog['data'][number]['action'];
}

export const auditLogQuery = (api: ApiClient, query: AuditQuery) => cursorPagesQuery<AuditLog>(api, [...AUDIT_KEY, query], '/v1/audit-log', query, AUDIT_PAGE_SIZE);

const memberPath = (userId: string) => `/v1/members/${encodeURIComponent(userId)}`;

export const changeMemberRole = (api: ApiClient, userId: string, role: MemberRole) => api.request<Member>('PATCH', memberPath(userId), { body: { role } });

/** Removes a member, or (your own id) leaves the team: your sessions in it end. */
export const removeMember = (api: ApiClient, userId: string) => api.request<void>('DELETE', memberPath(userId));

export const invite = (api: ApiClient, body: CreateInvitationRequest) => api.request<CreatedInvitation>('POST', '/v1/invitations', { body });

export const withdrawInvitation = (api: ApiClient, id: string) => api.request<void>('DELETE', `/v1/invitations/${encodeURIComponent(id)}`);
