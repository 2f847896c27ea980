import { ProblemSchema } from '@kontext/core';

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

/** The error responses every authenticated route can give, declared once for the OpenAPI document. */
export const COMMON_ERROR_RESPONSES = {
  401: problem('Missing or invalid API key.'),
  403: problem('The key lacks the scope this operation needs.'),
  429: problem('Over the per-key request rate; see Retry-After and the RateLimit-* headers.'),
  500: problem('Unexpected server error.'),
  503: problem('A dependency is unavailable; retry later.'),
} as const;

export const ADMIN_ERROR_RESPONSES = {
  401: problem('Missing or invalid admin token.'),
  403: problem('An API key was sent; the operator API takes only the admin token.'),
  404: problem('Not found, or the operator API is not enabled on this deployment.'),
  422: problem('A field is invalid; `errors` names each one.'),
  500: problem('Unexpected server error.'),
} as const;

export const SUBMIT_ERROR_RESPONSES = {
  ...COMMON_ERROR_RESPONSES,
  400: problem('Malformed JSON.'),
  402: problem('Not enough credits; `balance` and `price` say by how much.'),
  413: problem('Request body over the size limit.'),
  415: problem('Body is not application/json.'),
  422: problem('A field is invalid; `errors` names each one.'),
} as const;

export { problem as problemResponseSpec };

/** Either header authenticates: `x-key` (BFL's) or `Authorization: Bearer`. */
export const API_KEY_SECURITY: Record<string, string[]>[] = [{ apiKey: [] }, { bearer: [] }];
