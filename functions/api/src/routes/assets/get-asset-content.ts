import { readAssetContent } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { IMAGE_CONTENT, problemResponseSpec } from '../../openapi-responses.ts';
import { tenantRoute } from '../../route-kinds.ts';
import { IdParamsSchema } from '../id-params.ts';

export function registerGetAssetContent(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'get',
    operationId: 'getAssetContent',
    path: '/v1/assets/{id}/content',
    tags: ['Jobs and lineage'],
    summary: "An asset's bytes",
    description: 'The image itself, with the API key (no signed URL needed). Needs jobs:read.',
    request: { params: IdParamsSchema },
    responses: {
      200: { description: 'The image.', content: IMAGE_CONTENT },
      404: problemResponseSpec('No such asset for this tenant.'),
      410: problemResponseSpec('Retention deleted the image.'),
    },
  });
  app.openapi(route, async (c) => {
    const { bytes, contentType } = await readAssetContent({ ctx: deps.ctx, input: { auth: c.get('auth'), assetId: c.req.valid('param').id } });
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
      'content-type': contentType,
      'cache-control': 'private, max-age=3600',
      // The type is the one the image was stored as; a browser must not guess another.
      'x-content-type-options': 'nosniff',
    });
  });
}
