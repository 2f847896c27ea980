import { z } from '@hono/zod-openapi';

export const WebhookIdParamsSchema = z.object({ id: z.string().min(1).max(100).openapi({ param: { name: 'id', in: 'path' } }) });
