import { z } from '@hono/zod-openapi';
import { text } from '@kontext/core';

export const MemberParamsSchema = z.object({ user_id: text({ min: 1, max: 100 }).openapi({ param: { name: 'user_id', in: 'path' } }) });
