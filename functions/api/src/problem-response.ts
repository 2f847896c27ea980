import { PROBLEM_KINDS, problemType, type ProblemError } from '@kontext/core';
import type { Context } from 'hono';
import type { ApiEnv } from './env.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Renders a ProblemError as RFC 9457 problem+json with the request id and the fields at fault. */
export function problemResponse(c: Context<ApiEnv>, problem: ProblemError, headers: Record<string, string> = {}): Response {
  const body: Record<string, unknown> = {
    type: problemType(problem.kind),
    title: PROBLEM_KINDS[problem.kind].title,
    status: problem.status,
    detail: problem.detail,
    // BFL's clients print `message`; the same text, so they show why, not only the status line.
    message: problem.detail,
    instance: c.req.path,
    request_id: c.get('requestId'),
    ...problem.extensions,
  };
  if (problem.issues.length > 0) body.errors = problem.issues;
  return new Response(JSON.stringify(body), {
    status: problem.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, 'x-request-id': c.get('requestId') ?? '', ...headers },
  });
}
