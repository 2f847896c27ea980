import type { components, operations } from './generated/openapi.ts';

// The wire's own shapes, named once, from the types generated out of the API's OpenAPI document:
// field names stay exactly as the server sends them (snake_case, BFL's).

type Schemas = components['schemas'];
type QueryOf<Operation extends keyof operations> = NonNullable<operations[Operation]['parameters']['query']>;

export type SubmitResponse = Schemas['SubmitResponse'];
export type GetResultResponse = Schemas['GetResultResponse'];
/** BFL's statuses: `Pending`, `Ready`, `Error`, `Request Moderated`, `Content Moderated`, `Task not found`. */
export type BflStatus = GetResultResponse['status'];
/** The platform's own job status (`queued`, `running`, `succeeded`, `failed`, `canceled`, …). */
export type JobStatus = Schemas['JobDetails']['status'];
export type Result = Schemas['Result'];
export type JobDetails = Schemas['JobDetails'];
/** The full record of a job (`GET /v1/jobs/{id}`); `Job` is the SDK's handle. */
export type JobView = Schemas['Job'];
export type JobInput = Schemas['JobInput'];
export type JobList = Schemas['JobList'];
export type JobListQuery = QueryOf<'listJobs'>;
export type Lineage = Schemas['Lineage'];
export type LineageNode = Schemas['LineageNode'];
export type JobStatusEventData = Schemas['JobStreamEventData-status'];
export type JobProgressEventData = Schemas['JobStreamEventData-progress'];

export type ModelList = Schemas['ModelList'];
export type Model = Schemas['Model'];
export type Asset = Schemas['Asset'];

export type SubmitRequest = Schemas['SubmitRequest-flux-kontext-dev'];
export type EditRequest = Schemas['EditRequest'];

export type ApiKey = Schemas['ApiKey'];
export type ApiKeyList = Schemas['ApiKeyList'];
export type ApiKeyScope = ApiKey['scopes'][number];
export type CreatedApiKey = Schemas['CreatedApiKey'];
export type CreateApiKeyRequest = Schemas['CreateApiKeyRequest'];
export type RotatedApiKey = Schemas['RotatedApiKey'];
export type RotateApiKeyRequest = Schemas['RotateApiKeyRequest'];

export type WebhookEndpoint = Schemas['WebhookEndpoint'];
export type WebhookEndpointWithSecret = Schemas['WebhookEndpointWithSecret'];
export type WebhookEndpointList = Schemas['WebhookEndpointList'];
export type CreateWebhookEndpointRequest = Schemas['CreateWebhookEndpointRequest'];
export type UpdateWebhookEndpointRequest = Schemas['UpdateWebhookEndpointRequest'];
export type RotateWebhookSecretRequest = Schemas['RotateWebhookSecretRequest'];
export type WebhookDelivery = Schemas['WebhookDelivery'];
export type WebhookDeliveryList = Schemas['WebhookDeliveryList'];
export type WebhookDeliveryQuery = QueryOf<'listWebhookDeliveries'>;
export type WebhookEventType = WebhookEndpoint['events'][number];

export type Credits = Schemas['Credits'];
export type Usage = Schemas['Usage'];
export type UsageQuery = QueryOf<'getUsage'>;

/** An RFC 9457 problem document as the platform writes it. */
export type Problem = Schemas['Problem'];
export type ProblemIssue = NonNullable<Problem['errors']>[number];

/**
 * The body of a webhook delivery: the event, then get_result's fields as the job was at the event.
 * Webhooks are not operations of the OpenAPI document, so this shape is the delivery's, built from
 * the poll's types; `details` carries only what a delivery knows.
 */
export type WebhookPayload = Pick<GetResultResponse, 'id' | 'status' | 'result' | 'progress'> & {
  type: WebhookEventType;
  /** When the event happened (ISO 8601). */
  timestamp: string;
  details: Pick<JobDetails, 'status' | 'error' | 'reason' | 'prompt_upsampling'> & { model: string | null; engine: string | null };
};

export type Member = Schemas['Member'];
export type MemberList = Schemas['MemberList'];
export type MemberRole = Member['role'];
export type Invitation = Schemas['Invitation'];
export type InvitationList = Schemas['InvitationList'];
export type CreatedInvitation = Schemas['CreatedInvitation'];
export type CreateInvitationRequest = Schemas['CreateInvitationRequest'];
export type AuditEntry = Schemas['AuditEntry'];
export type AuditLog = Schemas['AuditLog'];
export type AuditLogQuery = QueryOf<'listAuditLog'>;
export type LedgerEntry = Schemas['LedgerEntry'];
export type LedgerPage = Schemas['LedgerPage'];
export type LedgerQuery = QueryOf<'listLedger'>;
/** A console session (`GET /v1/session`): who, where, the role's scopes and the CSRF token. */
export type Session = Schemas['Session'];
