import { queryOptions, type QueryClient } from '@tanstack/react-query';
import type { ApiClient } from './client.ts';
import type { Session } from './types.ts';

// The session routes (POST/GET/DELETE /v1/session and friends). Every answer that is a Session
// carries a fresh CSRF token: it goes to the client's memory and the session query's cache.

export const SESSION_KEY = ['session'] as const;

export function sessionQuery(api: ApiClient) {
  return queryOptions({
    queryKey: SESSION_KEY,
    queryFn: async ({ signal }) => {
      const session = await api.get<Session>('/v1/session', { signal });
      api.rememberCsrfToken(session.csrf_token);
      return session;
    },
  });
}

/** A new session (sign-in, link, invitation, tenant switch): remembered, and every tenant-bound answer forgotten. */
export function adoptSession(api: ApiClient, queryClient: QueryClient, session: Session): void {
  api.rememberCsrfToken(session.csrf_token);
  queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== SESSION_KEY[0] });
  queryClient.setQueryData(SESSION_KEY, session);
}

export function forgetSession(api: ApiClient, queryClient: QueryClient): void {
  api.rememberCsrfToken(null);
  queryClient.clear();
}

export const signIn = (api: ApiClient, body: { email: string; password: string; tenant_id?: string }) =>
  api.request<Session>('POST', '/v1/session', { body, authenticated: false });

export const signInWithLink = (api: ApiClient, token: string) =>
  api.request<Session>('POST', '/v1/session/link', { body: { token }, authenticated: false });

export const acceptInvitation = (api: ApiClient, body: { token: string; password: string; name?: string }) =>
  api.request<Session>('POST', '/v1/invitations/accept', { body, authenticated: false });

export const requestPasswordReset = (api: ApiClient, email: string) =>
  api.request<void>('POST', '/v1/password-reset', { body: { email }, authenticated: false });

export const completePasswordReset = (api: ApiClient, body: { token: string; password: string }) =>
  api.request<void>('POST', '/v1/password-reset/complete', { body, authenticated: false });

export const switchTenant = (api: ApiClient, tenantId: string) =>
  api.request<Session>('PUT', '/v1/session/tenant', { body: { tenant_id: tenantId } });

export const signOut = (api: ApiClient) => api.request<void>('DELETE', '/v1/session');
