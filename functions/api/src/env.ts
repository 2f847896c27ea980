import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AuthenticatedKey, ServiceContext } from '@kontext/services';
import type { BlobUrlSigner } from '@kontext/storage';

/** Per-request values set by middleware. */
export interface ApiVariables {
  requestId: string;
  auth: AuthenticatedKey;
  /** Headers an error response must carry (Retry-After, RateLimit-*). */
  problemHeaders: Record<string, string>;
}

export interface ApiEnv {
  Variables: ApiVariables;
}

export type ApiApp = OpenAPIHono<ApiEnv>;

export interface ApiDependencies {
  ctx: ServiceContext;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** Set when blobs live on this machine's disk: the API then serves their signed URLs itself. */
  localBlobs?: { signer: BlobUrlSigner };
  version: string;
}
