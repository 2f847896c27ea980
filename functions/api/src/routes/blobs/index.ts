import type { BlobUrlSigner } from '@kontext/storage';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { registerGetBlob } from './get-blob.ts';

/** /v1/blobs: signed URLs to blobs on this machine's disk (S3 presigns them in the cloud). */
export function registerBlobRoutes(app: ApiApp, deps: ApiDependencies, signer: BlobUrlSigner): void {
  registerGetBlob(app, deps, signer);
}
