import { z } from '@hono/zod-openapi';

export const JobParamsSchema = z.object({ id: z.string().min(1).max(100).openapi({ param: { name: 'id', in: 'path' } }) });
