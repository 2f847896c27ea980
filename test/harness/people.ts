import { randomBytes } from 'node:crypto';
import type { MemberRole, OperatorInvitationSchema } from '@kontext/core';
import { expect } from 'vitest';
import type { z } from 'zod';
import type { ApiClient } from './api-client.ts';
import { ConsoleSession } from './console-session.ts';

// Factories for the people of a tenant, made only through the HTTP API: the operator invites,
// the invitee accepts the link and is signed in. Every address is fresh, so no two tests share a
// person (or a sign-in failure count).

export type OperatorInvitation = z.infer<typeof OperatorInvitationSchema>;

/** What any test person's password is, unless the test chooses one: long enough for the policy. */
export const PASSWORD = 'correct horse battery staple';

/** The platform as these factories need it. */
export interface PeoplePlatform {
  api: ApiClient;
  admin: ApiClient;
  publicBaseUrl: string;
}

export function uniqueEmail(label = 'person'): string {
  return `${label}-${randomBytes(5).toString('hex')}@example.com`;
}

/** The token of a console link (`…/console/<page>#token=<token>`): it travels in the fragment. */
export function tokenOfLink(link: string): string {
  const hash = new URL(link).hash;
  expect(hash, link).toMatch(/^#token=/);
  return decodeURIComponent(hash.slice('#token='.length));
}

/** The operator's invitation (POST /admin/v1/tenants/{id}/invitations), with the token of its link. */
export async function operatorInvite(
  platform: PeoplePlatform,
  tenantId: string,
  email: string,
  role: MemberRole,
  options: { expiresInHours?: number } = {},
): Promise<OperatorInvitation & { token: string }> {
  const response = await platform.admin.request<OperatorInvitation>('POST', `/admin/v1/tenants/${tenantId}/invitations`, {
    json: { email, role, ...(options.expiresInHours !== undefined ? { expires_in_hours: options.expiresInHours } : {}) },
  });
  expect(response.status, response.text).toBe(201);
  return { ...response.body, token: tokenOfLink(response.body.accept_url) };
}

export interface SignedInMember {
  email: string;
  password: string;
  userId: string;
  tenantId: string;
  role: MemberRole;
  /** The browser the member accepted the invitation in, signed in. */
  browser: ConsoleSession;
}

/**
 * A person who joined the tenant with the role by the operator's invitation, signed in. An
 * `email` that has an account already joins with that account (give its `password`).
 */
export async function joinTenant(
  platform: PeoplePlatform,
  tenantId: string,
  role: MemberRole,
  options: { email?: string; password?: string; name?: string } = {},
): Promise<SignedInMember> {
  const email = options.email ?? uniqueEmail(role);
  const password = options.password ?? PASSWORD;
  const invitation = await operatorInvite(platform, tenantId, email, role);
  const browser = ConsoleSession.of(platform);
  const accepted = await browser.acceptInvitation(invitation.token, password, options.name);
  expect(accepted.status, accepted.text).toBe(200);
  expect(accepted.body.tenant).toMatchObject({ id: tenantId, role });
  return { email, password, userId: accepted.body.user.id, tenantId, role, browser };
}

/** The same person signed in again, in another browser (another device). */
export async function signInAgain(platform: PeoplePlatform, member: Pick<SignedInMember, 'email' | 'password'>, tenantId?: string): Promise<ConsoleSession> {
  const browser = ConsoleSession.of(platform);
  const response = await browser.signIn(member.email, member.password, tenantId ? { tenantId } : {});
  expect(response.status, response.text).toBe(200);
  return browser;
}
