import type { CallOptions, WriteOptions } from '../call-options.ts';
import type { Transport } from '../transport.ts';
import type { AuditLog, AuditLogQuery, CreatedInvitation, CreateInvitationRequest, InvitationList, Member, MemberList, MemberRole } from '../types.ts';

/** The people of the tenant: members and their roles (`members:read`/`members:write`), invitations, the audit log (`audit:read`). */
export class TeamResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  members(options: CallOptions = {}): Promise<MemberList> {
    return this.#transport.json<MemberList>({ method: 'GET', path: '/v1/members', signal: options.signal });
  }

  /** Only an owner can make an owner or change one; a team keeps at least one owner. */
  changeRole(userId: string, role: MemberRole, options: CallOptions = {}): Promise<Member> {
    return this.#transport.json<Member>({ method: 'PATCH', path: `/v1/members/${encodeURIComponent(userId)}`, json: { role }, signal: options.signal });
  }

  async removeMember(userId: string, options: CallOptions = {}): Promise<void> {
    await this.#transport.json<unknown>({ method: 'DELETE', path: `/v1/members/${encodeURIComponent(userId)}`, signal: options.signal });
  }

  invitations(options: CallOptions = {}): Promise<InvitationList> {
    return this.#transport.json<InvitationList>({ method: 'GET', path: '/v1/invitations', signal: options.signal });
  }

  /** Mails a single-use link; inviting the same address again replaces it. */
  invite(request: CreateInvitationRequest, options: WriteOptions = {}): Promise<CreatedInvitation> {
    return this.#transport.json<CreatedInvitation>({ method: 'POST', path: '/v1/invitations', json: request, signal: options.signal, idempotencyKey: options.idempotencyKey });
  }

  async withdrawInvitation(id: string, options: CallOptions = {}): Promise<void> {
    await this.#transport.json<unknown>({ method: 'DELETE', path: `/v1/invitations/${encodeURIComponent(id)}`, signal: options.signal });
  }

  /** Newest first; pass `next_cursor` as `cursor` for the next page. */
  auditLog(query: AuditLogQuery = {}, options: CallOptions = {}): Promise<AuditLog> {
    return this.#transport.json<AuditLog>({ method: 'GET', path: '/v1/audit-log', query, signal: options.signal });
  }
}

