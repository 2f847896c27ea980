import { z } from 'zod';
import { IsoTimeSchema } from './platform-contract.ts';
import { API_KEY_SCOPES, ApiKeyScopeSchema, type ApiKeyScope } from './tenancy.ts';
import { integerParameter, text, trimmedText } from './text.ts';

// People of a tenant: users, their memberships with a role, invitations, sessions and the audit
// log. A role is a named set of the API's scopes, stated once here: a console session carries its
// member's scopes and is authorized by them exactly as an API key with those scopes would be.

export const MEMBER_ROLES = ['owner', 'admin', 'developer', 'billing', 'viewer'] as const;
export const MemberRoleSchema = z.enum(MEMBER_ROLES);
export type MemberRole = z.infer<typeof MemberRoleSchema>;

const READ_SCOPES: readonly ApiKeyScope[] = ['jobs:read', 'usage:read', 'credits:read', 'webhooks:read', 'members:read'];

/**
 * What each role may do. Owners and admins hold every scope; what sets owners apart (granting or
 * taking the owner role, and the rule that a tenant keeps at least one owner) is decided by
 * `mayAssignRole` and by the database, not by a scope.
 */
export const ROLE_SCOPES: Readonly<Record<MemberRole, readonly ApiKeyScope[]>> = {
  owner: API_KEY_SCOPES,
  admin: API_KEY_SCOPES,
  developer: [...READ_SCOPES, 'jobs:write', 'webhooks:write', 'keys:write'],
  billing: READ_SCOPES,
  viewer: READ_SCOPES,
};

/** Only an owner may make someone an owner or change what an owner is. */
export function mayAssignRole(actorRole: MemberRole | null, from: MemberRole | null, to: MemberRole | null): boolean {
  if (actorRole === null) return true; // the operator
  if (actorRole === 'owner') return true;
  return from !== 'owner' && to !== 'owner';
}

/** Addresses are compared lower-cased with blanks trimmed: one account per mailbox. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export const EmailSchema = text({
  min: 3,
  max: 254,
  // zod's own address pattern, the one the mailer checks recipients with: an address accepted here can be mailed.
  pattern: { regex: z.regexes.email, message: 'must be an email address like name@example.com' },
})
  .transform(normalizeEmail)
  .describe('An email address; compared without regard to case.');

/** Long enough to resist guessing, short enough that hashing it is cheap; any characters but NUL. */
export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;
export const PasswordSchema = text({ min: PASSWORD_MIN_LENGTH, max: PASSWORD_MAX_LENGTH }).describe(
  `At least ${PASSWORD_MIN_LENGTH} characters (Unicode code points), at most ${PASSWORD_MAX_LENGTH}.`,
);

/** Single-use tokens mailed in links (invitations, password resets): `<prefix>_` and 43 base64url characters. */
export const EMAILED_TOKEN_PATTERN = /^(inv|pwr|sgn)_[A-Za-z0-9_-]{43}$/;
const EmailedTokenSchema = text({ max: 60, pattern: { regex: EMAILED_TOKEN_PATTERN, message: 'must be the token from the link' } });

export const SignInRequestSchema = z
  .strictObject({
    email: EmailSchema,
    password: text({ min: 1, max: PASSWORD_MAX_LENGTH }),
    tenant_id: text({ max: 40 }).optional().describe('Start in this tenant; default the one the user joined first.'),
  })
  .meta({ id: 'SignInRequest' });

export const UserSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    created_at: IsoTimeSchema,
  })
  .meta({ id: 'User' });

export const SessionTenantSchema = z
  .object({ id: z.string(), name: z.string(), role: MemberRoleSchema })
  .meta({ id: 'SessionTenant' });

export const SessionSchema = z
  .object({
    id: z.string(),
    user: UserSchema,
    tenant: SessionTenantSchema.describe('The tenant this session acts in.'),
    tenants: z.array(SessionTenantSchema).describe('Every tenant the user belongs to, to switch between.'),
    scopes: z.array(ApiKeyScopeSchema).describe("The role's scopes: what this session may do."),
    csrf_token: z.string().describe('Send as X-CSRF-Token with every write made with the session cookie.'),
    idle_expires_at: IsoTimeSchema,
    expires_at: IsoTimeSchema.describe('The absolute end of the session, however active.'),
  })
  .meta({ id: 'Session' });

export const SwitchTenantRequestSchema = z.strictObject({ tenant_id: text({ min: 1, max: 40 }) }).meta({ id: 'SwitchTenantRequest' });

export const UserSessionSchema = z
  .object({
    id: z.string(),
    current: z.boolean().describe('The session making this request.'),
    created_at: IsoTimeSchema,
    last_seen_at: IsoTimeSchema,
    expires_at: IsoTimeSchema,
    user_agent: z.string().nullable(),
    client_address: z.string().nullable(),
  })
  .meta({ id: 'UserSession' });

export const UserSessionListSchema = z.object({ data: z.array(UserSessionSchema) }).meta({ id: 'UserSessionList' });

export const ChangePasswordRequestSchema = z
  .strictObject({ current_password: text({ min: 1, max: PASSWORD_MAX_LENGTH }), new_password: PasswordSchema })
  .meta({ id: 'ChangePasswordRequest' });

export const RequestPasswordResetSchema = z.strictObject({ email: EmailSchema }).meta({ id: 'RequestPasswordReset' });

export const CompletePasswordResetSchema = z
  .strictObject({ token: EmailedTokenSchema, password: PasswordSchema })
  .meta({ id: 'CompletePasswordReset' });

export const MemberSchema = z
  .object({
    user_id: z.string(),
    email: z.string(),
    name: z.string(),
    role: MemberRoleSchema,
    joined_at: IsoTimeSchema,
  })
  .meta({ id: 'Member' });

export const MemberListSchema = z.object({ data: z.array(MemberSchema) }).meta({ id: 'MemberList' });

export const UpdateMemberRequestSchema = z.strictObject({ role: MemberRoleSchema }).meta({ id: 'UpdateMemberRequest' });

/** How long an invitation link works, unless the inviter says otherwise. */
export const DEFAULT_INVITATION_TTL_HOURS = 7 * 24;

export const CreateInvitationRequestSchema = z
  .strictObject({
    email: EmailSchema,
    role: MemberRoleSchema,
    expires_in_hours: z.number().int().min(1).max(30 * 24).default(DEFAULT_INVITATION_TTL_HOURS).describe('How long the link works; default 7 days.'),
  })
  .meta({ id: 'CreateInvitationRequest' });

export const InvitationSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    role: MemberRoleSchema,
    invited_by: z.string().nullable().describe('The inviting user; null when the operator invited.'),
    created_at: IsoTimeSchema,
    expires_at: IsoTimeSchema,
  })
  .meta({ id: 'Invitation' });

export const CreatedInvitationSchema = InvitationSchema.extend({
  email_sent: z.boolean().describe('Whether the invitation email was handed to the mail server (or written to the local outbox).'),
}).meta({ id: 'CreatedInvitation' });

/** What the operator gets back: the link itself too, for when mail is not set up. */
export const OperatorInvitationSchema = CreatedInvitationSchema.extend({
  accept_url: z.string().describe('The link from the email: single use, until expires_at.'),
}).meta({ id: 'OperatorInvitation' });

export const InvitationListSchema = z.object({ data: z.array(InvitationSchema) }).meta({ id: 'InvitationList' });

export const AcceptInvitationRequestSchema = z
  .strictObject({
    token: EmailedTokenSchema,
    password: text({ min: 1, max: PASSWORD_MAX_LENGTH }).describe(
      `A new password (at least ${PASSWORD_MIN_LENGTH} characters) for a new account, or the current one of the account with this email.`,
    ),
    name: trimmedText({ max: 100 }).optional().describe('Your name, for a new account.'),
  })
  .meta({ id: 'AcceptInvitationRequest' });

export const SignUpRequestSchema = z
  .strictObject({
    email: EmailSchema,
    password: PasswordSchema,
    name: trimmedText({ max: 100 }).optional(),
    tenant_name: trimmedText({ max: 200 }).refine((value) => value.length > 0, 'must not be empty').describe('Your team or company.'),
  })
  .meta({ id: 'SignUpRequest' });

export const AUDIT_ACTIONS = [
  'session.signed_in',
  'session.sign_in_refused',
  'session.signed_out',
  'session.revoked',
  'password.changed',
  'password.reset',
  'key.created',
  'key.rotated',
  'key.revoked',
  'member.invited',
  'member.joined',
  'member.role_changed',
  'member.removed',
  'invitation.revoked',
  'tenant.created',
] as const;
export const AuditActionSchema = z.enum(AUDIT_ACTIONS);
export type AuditAction = z.infer<typeof AuditActionSchema>;

export const AuditActorSchema = z
  .object({
    kind: z.enum(['user', 'api_key', 'operator', 'anonymous']),
    id: z.string().nullable().describe('The user or key id; null for the operator and anonymous callers.'),
    email: z.string().nullable(),
  })
  .meta({ id: 'AuditActor' });

/** Details are short facts about the change (a role, a key's name), never secrets. */
export const AuditDetailsSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));
export type AuditDetails = z.infer<typeof AuditDetailsSchema>;

export const AuditEntrySchema = z
  .object({
    id: z.string(),
    at: IsoTimeSchema,
    action: AuditActionSchema,
    actor: AuditActorSchema,
    target: z.string().nullable().describe('The id of what changed (a key, a user, an invitation).'),
    details: AuditDetailsSchema,
    client_address: z.string().nullable(),
    request_id: z.string().nullable(),
  })
  .meta({ id: 'AuditEntry' });

export const AuditLogSchema = z
  .object({ data: z.array(AuditEntrySchema), next_cursor: z.string().nullable() })
  .meta({ id: 'AuditLog' });

export const AuditLogQuerySchema = z.object({
  action: AuditActionSchema.optional(),
  cursor: text({ max: 40, pattern: { regex: /^aud_[0-9A-HJKMNP-TV-Z]{26}$/, message: 'must be the next_cursor of an earlier page' } })
    .optional()
    .describe('next_cursor of the previous page.'),
  limit: integerParameter(1, 200).default(50),
});

export const LedgerEntrySchema = z
  .object({
    id: z.string(),
    at: IsoTimeSchema,
    kind: z.enum(['grant', 'reserve', 'settle', 'refund']).describe('grant: added by the operator or a payment; reserve: held by a job; settle: the held credits spent; refund: given back.'),
    amount: z.number().int().describe('Credits added to (negative: taken from) the available balance.'),
    balance_after: z.number().int().describe('Available credits right after this entry: the running balance.'),
    job_id: z.string().nullable(),
    reason: z.string(),
  })
  .meta({ id: 'LedgerEntry' });

export const LedgerPageSchema = z
  .object({ data: z.array(LedgerEntrySchema), next_cursor: z.string().nullable() })
  .meta({ id: 'LedgerPage' });

export const LedgerQuerySchema = z.object({
  job_id: text({ max: 40 }).optional(),
  kind: z.enum(['grant', 'reserve', 'settle', 'refund']).optional(),
  cursor: text({ max: 18, pattern: { regex: /^[1-9][0-9]{0,17}$/, message: 'must be the next_cursor of an earlier page' } })
    .optional()
    .describe('next_cursor of the previous page.'),
  limit: integerParameter(1, 200).default(50),
});

/** A one-time sign-in link (the operator's, or `npm start`'s for the local owner). */
export const SignInWithLinkRequestSchema = z.strictObject({ token: EmailedTokenSchema }).meta({ id: 'SignInWithLinkRequest' });
