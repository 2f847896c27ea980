import { ProblemError } from '@kontext/core';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ApiEnv } from '../env.ts';

/** Refuses bodies over the limit with 413, by Content-Length or while streaming when there is none. */
export function limitBody(maxBytes: number): MiddlewareHandler<ApiEnv> {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ProblemError('payload_too_large', `the request body is larger than the limit of ${maxBytes} bytes`, {
        extensions: { limit_bytes: maxBytes },
      });
    },
  });
}
