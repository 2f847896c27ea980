import { createRoute, z } from '@hono/zod-openapi';
import { ProblemError, text } from '@kontext/core';
import { contentTypeOf, InvalidBlobKeyError, type BlobUrlSigner } from '@kontext/storage';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { IMAGE_CONTENT, problemResponseSpec, PUBLIC_ERROR_RESPONSES } from '../../openapi-responses.ts';

// GET /v1/blobs/{token}: serves a stored image to whoever holds an unexpired signed URL. Only
// registered when blobs live on the API's own disk; in the cloud, S3 presigned URLs do this.

const ParamsSchema = z.object({ token: text({ min: 1, max: 700 }).openapi({ param: { name: 'token', in: 'path' } }) });
const QuerySchema = z.object({
  expires: text({ max: 12 }).openapi({ param: { name: 'expires', in: 'query' } }),
  signature: text({ max: 64 }).openapi({ param: { name: 'signature', in: 'query' } }),
});

export function registerGetBlob(app: ApiApp, deps: ApiDependencies, signer: BlobUrlSigner): void {
  const route = createRoute({
    method: 'get',
    operationId: 'getBlob',
    path: '/v1/blobs/{token}',
    tags: ['Generate and edit'],
    summary: 'Download a result (signed URL)',
    description: 'The target of result.sample. Needs no API key; the URL itself is the credential until it expires.',
    request: { params: ParamsSchema, query: QuerySchema },
    responses: {
      200: { description: 'The image bytes.', content: IMAGE_CONTENT },
      403: problemResponseSpec('The URL is expired or its signature is wrong.'),
      404: problemResponseSpec('The blob no longer exists.'),
      422: problemResponseSpec('A parameter is missing or too long.'),
      ...PUBLIC_ERROR_RESPONSES,
    },
  });
  app.openapi(route, async (c) => {
    const { token } = c.req.valid('param');
    const { expires, signature } = c.req.valid('query');
    const check = signer.verify(token, expires, signature);
    if (!check.ok) {
      throw new ProblemError(
        'forbidden',
        check.reason === 'expired' ? 'this link has expired; poll get_result for a fresh one' : 'this link is not valid',
      );
    }
    // Only our own keys are ever signed; refusing anything else here is defence in depth.
    const bytes = await deps.ctx.storage.get(check.key).catch((error: unknown) => {
      if (error instanceof InvalidBlobKeyError) return null;
      throw error;
    });
    if (!bytes) throw new ProblemError('not_found', 'this file no longer exists');
    const maxAge = Math.max(0, Number(expires) - Math.floor(Date.now() / 1000));
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
      'content-type': contentTypeOf(check.key),
      'cache-control': `private, max-age=${maxAge}`,
      'x-content-type-options': 'nosniff',
    });
  });
}
