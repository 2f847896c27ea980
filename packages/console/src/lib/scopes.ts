import type { Scope } from '../api/types.ts';

// The API's scopes as the key form offers them. The list is the console's own (no runtime code
// from @kontext/core in the bundle); the type below fails to compile when the platform adds a
// scope this list lacks, or names one it does not have.

export const SCOPES = [
  { scope: 'jobs:write', label: 'Submit and cancel jobs' },
  { scope: 'jobs:read', label: 'Read jobs and results' },
  { scope: 'usage:read', label: 'Read usage' },
  { scope: 'credits:read', label: 'Read credits' },
  { scope: 'webhooks:read', label: 'Read webhooks' },
  { scope: 'webhooks:write', label: 'Manage webhooks' },
  { scope: 'keys:write', label: 'Manage API keys' },
  { scope: 'members:read', label: 'Read team members' },
  { scope: 'members:write', label: 'Manage team members' },
  { scope: 'audit:read', label: 'Read the audit log' },
] as const satisfies readonly { scope: Scope; label: string }[];

type Listed = (typeof SCOPES)[number]['scope'];
// Both `never` exactly when the list and the platform's scopes agree.
const everyScopeListed: Exclude<Scope, Listed> extends never ? true : false = true;
void everyScopeListed;

/** Scopes that manage who may do what: a new key gets them only when asked (the API's own default). */
export const ADMINISTRATIVE_SCOPES: readonly Scope[] = ['keys:write', 'members:read', 'members:write', 'audit:read'];

/** What the form ticks at first: the API's default, less what the signed-in member may not grant. */
export function defaultKeyScopes(granted: readonly Scope[]): Scope[] {
  return SCOPES.map((entry) => entry.scope).filter((scope) => granted.includes(scope) && !ADMINISTRATIVE_SCOPES.includes(scope));
}
