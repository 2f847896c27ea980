import { AssetSchema } from '@kontext/core';
import { getAsset } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { linksById, problemResponseSpec } from '../../openapi-responses.ts';
import { tenantRoute } from '../../route-kinds.ts';
import { IdParamsSchema } from '../id-params.ts';

export function registerGetAsset(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'get',
    operationId: 'getAsset',
    path: '/v1/assets/{id}',
    tags: ['Jobs and lineage'],
    summary: 'Get an asset',
    description: 'Metadata and a fresh signed URL of an image the platform holds (an input or an output). Needs jobs:read.',
    request: { params: IdParamsSchema },
    responses: {
      200: { description: 'The asset.', content: { 'application/json': { schema: AssetSchema } }, links: linksById({ getAssetContent: 'path.id' }) },
      404: problemResponseSpec('No such asset for this tenant.'),
    },
  });
  app.openapi(route, async (c) => c.json(await getAsset({ ctx: deps.ctx, input: { auth: c.get('auth'), assetId: c.req.valid('param').id } }), 200));
}
