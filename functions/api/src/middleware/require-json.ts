import { ProblemError } from '@kontext/core';
import type { MiddlewareHandler } from 'hono';
import type { ApiEnv } from '../env.ts';

/** Refuses bodies that are not JSON up front, rather than validating an empty object. */
export const requireJson: MiddlewareHandler<ApiEnv> = async (c, next) => {
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new ProblemError('unsupported_media_type', 'send the request body as JSON with Content-Type: application/json');
  }
  await next();
};
