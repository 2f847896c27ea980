import { queryOptions } from '@tanstack/react-query';
import type { ApiClient } from './client.ts';
import type { Session, UserSession } from './types.ts';

// /v1/me: the signed-in person's password and sessions (on every device, in every team).

export const MY_SESSIONS_KEY = ['me', 'sessions'] as const;

export const mySessionsQuery = (api: ApiClient) =>
  queryOptions({ queryKey: MY_SESSIONS_KEY, queryFn: ({ signal }) => api.get<{ data: UserSession[] }>('/v1/me/sessions', { signal }), staleTime: 0 });

/** Every other session of the user ends; this one goes on as a new session (new cookie, new CSRF token). */
export const changePassword = (api: ApiClient, body: { current_password: string; new_password: string }) =>
  api.request<Session>('POST', '/v1/me/password', { body });

export const endSession = (api: ApiClient, id: string) => api.request<void>('DELETE', `/v1/me/sessions/${encodeURIComponent(id)}`);
