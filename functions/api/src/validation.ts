import { ProblemError, unknownFieldMessage, type FieldIssue } from '@kontext/core';
import type { ZodError } from 'zod';

/** zod issues -> field issues a client can act on; unknown fields are named one by one with why. */
export function validationProblem(error: ZodError, location: 'body' | 'query' | 'path' = 'body'): ProblemError {
  const issues: FieldIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) issues.push({ field: [...issue.path, key].join('.'), message: unknownFieldMessage(key) });
      continue;
    }
    const field = issue.path.length > 0 ? issue.path.join('.') : location;
    const missing = issue.code === 'invalid_type' && issue.input === undefined;
    issues.push({ field, message: missing ? 'is required' : issue.message });
  }
  const detail = issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ');
  return new ProblemError('validation_failed', detail, { issues });
}
