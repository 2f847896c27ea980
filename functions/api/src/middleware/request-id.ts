import { newId } from '@kontext/core';
import type { MiddlewareHandler } from 'hono';
import type { ApiEnv } from '../env.ts';

/** Every request gets a fresh `req_` id, echoed in `x-request-id` and carried into logs and problems. */
export const requestId: MiddlewareHandler<ApiEnv> = async (c, next) => {
  const id = newId('request');
  c.set('requestId', id);
  await next();
  c.res.headers.set('x-request-id', id);
};
