import type { ApiKeyScope as CoreApiKeyScope, MemberRole as CoreMemberRole, SessionSchema, UserSessionSchema } from '@kontext/core';
import type { z } from 'zod';

// The API's answers, named once for the pages. Existing routes: the SDK's types, generated from
// the OpenAPI document. The session routes are newer than that document: their types come from
// the zod schemas in @kontext/core, as types only (no zod code enters the bundle).

export type {
  ApiKey,
  ApiKeyList,
  CreateApiKeyRequest,
  CreatedApiKey,
  Credits,
  JobList,
  JobStatus,
  Problem,
  RotateApiKeyRequest,
  RotatedApiKey,
  Usage,
  UsageQuery,
} from '@kontext/sdk';

export type Session = z.infer<typeof SessionSchema>;
export type SessionTenant = Session['tenant'];
export type UserSession = z.infer<typeof UserSessionSchema>;
/** Every scope, the session's and the newer people scopes (members:*, audit:read) included. */
export type Scope = CoreApiKeyScope;
export type MemberRole = CoreMemberRole;
