import type { Problem } from '@kontext/core';
import { expect } from 'vitest';
import type { ApiResponse } from './api-client.ts';

export type { Problem };

/**
 * Asserts an RFC 9457 problem response: the status, the media type, a detail, the request id in
 * body and header, and an `errors` entry naming each given field.
 */
export function expectProblem(response: ApiResponse, status: number, fields: string[] = []): Problem {
  expect(response.status, response.text).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  const problem = response.body as Problem;
  expect(problem.status).toBe(status);
  expect(problem.detail).toEqual(expect.any(String));
  expect(problem.request_id).toMatch(/^req_/);
  expect(response.headers.get('x-request-id')).toBe(problem.request_id);
  const named = problem.errors?.map((error) => error.field) ?? [];
  for (const field of fields) expect(named, problem.detail).toContain(field);
  return problem;
}
