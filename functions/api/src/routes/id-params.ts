import { z } from '@hono/zod-openapi';
import { text } from '@kontext/core';

/** A path's `{id}`: a prefixed id, bounded (a longer one names nothing and is refused before any query). */
export function idParams(maxLength = 100) {
  return z.object({ id: text({ min: 1, max: maxLength }).openapi({ param: { name: 'id', in: 'path' } }) });
}

export const IdParamsSchema = idParams();
