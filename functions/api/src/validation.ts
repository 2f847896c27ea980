import { ProblemError, unknownFieldMessage, type FieldIssue } from '@kontext/core';
import type { ZodError } from 'zod';

/**
 * zod issues -> field issues a client can act on; unknown fields are named one by one with why.
 * `input` is what was validated: zod does not echo it in its issues, and a field that is absent
 * ("is required") must be told apart from one of the wrong type.
 */
export function validationProblem(error: ZodError, location: 'body' | 'query' | 'path' = 'body', input?: unknown): ProblemError {
  const issues: FieldIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) issues.push({ field: [...issue.path, key].join('.'), message: unknownFieldMessage(key) });
      continue;
    }
    const field = issue.path.length > 0 ? issue.path.join('.') : location;
    const missing = issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined;
    issues.push({ field, message: missing ? 'is required' : issue.message });
  }
  const detail = issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ');
  return new ProblemError('validation_failed', detail, { issues });
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
