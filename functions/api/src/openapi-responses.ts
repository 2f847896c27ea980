import type { RouteConfig } from '@hono/zod-openapi';
import { ProblemSchema } from '@kontext/core';

const problem = (description: string, headers?: Record<string, { description: string; schema: { type: 'integer' | 'string' } }>) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
  ...(headers ? { headers } : {}),
});

const RETRY_AFTER = { 'retry-after': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' as const } } };

/** What any route of the platform can answer when something beyond the request goes wrong. */
const SERVER_RESPONSES = {
  500: problem('Unexpected server error; quote the request id if you report it.'),
  503: problem('The database or another dependency is unreachable; nothing was done. Retry after Retry-After seconds.', RETRY_AFTER),
} as const;

/** The error responses of every route that takes an API key (or a console session). */
export const COMMON_ERROR_RESPONSES = {
  401: problem('Missing or invalid API key, or an ended console session.'),
  403: problem("The key (or the session's role) lacks the scope this operation needs; or a write with the session cookie came from another origin or without its X-CSRF-Token."),
  429: problem('Over the per-credential request rate (or, for a submit, the active-job limit); see Retry-After and the RateLimit-* headers.'),
  ...SERVER_RESPONSES,
} as const;

/** The error responses of every operator route. */
export const ADMIN_ERROR_RESPONSES = {
  401: problem('Missing or invalid admin token.'),
  403: problem('An API key was sent; the operator API takes only the admin token.'),
  404: problem('Not found, or the operator API is not enabled on this deployment.'),
  429: problem('Too many failed authentication attempts from this address; see Retry-After.', RETRY_AFTER),
  ...SERVER_RESPONSES,
} as const;

/** The error responses of a route with no credential (signed downloads). */
export const PUBLIC_ERROR_RESPONSES = SERVER_RESPONSES;

/** The error responses of the sign-in routes, which take no credential but come from browsers. */
export const SIGN_IN_ERROR_RESPONSES = {
  403: problem('A browser request from another origin (a cross-site form), refused before anything is read.'),
  429: problem('Too many failed attempts for this account or from this address; see Retry-After.', RETRY_AFTER),
  ...SERVER_RESPONSES,
} as const;

export const SUBMIT_ERROR_RESPONSES = {
  400: problem('The body is not valid JSON, or not a well-formed multipart/form-data body (no boundary, no closing delimiter).'),
  402: problem('Not enough credits; `balance` and `price` say by how much.'),
  413: problem('The body is larger than the size limit, or one multipart part is larger than its own (a file part: the image size limit); `errors` names the part.'),
  415: problem('The body is neither application/json nor multipart/form-data.'),
  422: problem('A field is invalid, or an image cannot be read, fetched or decoded; `errors` names each field.'),
} as const;

/**
 * The responses a route's shape implies, whatever its handler does: a request with parameters or
 * a body can be invalid (422); a body can be malformed JSON (400), too large (413) or of another
 * type (415); a path id can name nothing (404); a POST takes an Idempotency-Key, whose request may
 * still be running (409). Declared here once, so no route can forget one.
 */
export function shapeResponses(config: RouteConfig, options: { idempotency?: boolean } = {}) {
  const idempotency = options.idempotency ?? config.method === 'post';
  const request = config.request;
  const hasBody = request?.body !== undefined;
  const hasInput = hasBody || request?.params !== undefined || request?.query !== undefined || config.method === 'post';
  return {
    ...(hasInput ? { 422: problem('A parameter, header or field is invalid; `errors` names each one.') } : {}),
    ...(hasBody
      ? {
          400: problem('The body is not valid JSON.'),
          413: problem('The body is larger than the size limit.'),
          415: problem('The body is not application/json.'),
        }
      : {}),
    ...(request?.params !== undefined ? { 404: problem('Nothing with this id for this account.') } : {}),
    ...(idempotency ? { 409: problem('A request with this Idempotency-Key is still running; retry when it has finished.') } : {}),
  };
}

export { problem as problemResponseSpec };

const binary = { schema: { type: 'string' as const, format: 'binary' } };
/** An image body: any format the platform stores (PNG or JPEG outputs, JPEG thumbnails, WebP inputs). */
export const IMAGE_CONTENT = { 'image/png': binary, 'image/jpeg': binary, 'image/webp': binary };

/**
 * OpenAPI links: the operations a client calls next with the `id` of what it got back, keyed by
 * operationId, each taking it as its path `id` unless another parameter is named.
 */
export function linksById(operations: Record<string, string>): Record<string, { operationId: string; parameters: Record<string, string> }> {
  return Object.fromEntries(
    Object.entries(operations).map(([operationId, parameter]) => [
      operationId.charAt(0).toUpperCase() + operationId.slice(1),
      { operationId, parameters: { [parameter]: '$response.body#/id' } },
    ]),
  );
}

/** What a client does next with a submitted job. */
export const JOB_LINKS = linksById({
  getResult: 'query.id',
  getJob: 'path.id',
  getLineage: 'path.id',
  streamJobEvents: 'path.id',
  continueEdit: 'path.id',
  cancelJob: 'path.id',
});

/** Either header authenticates: `x-key` (BFL's) or `Authorization: Bearer`. */
export const API_KEY_SECURITY: Record<string, string[]>[] = [{ apiKey: [] }, { bearer: [] }, { sessionCookie: [] }];

/** Account routes: a signed-in person only. */
export const SESSION_SECURITY: Record<string, string[]>[] = [{ sessionCookie: [] }];
