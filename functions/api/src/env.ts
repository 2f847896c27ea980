import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AuthenticatedPrincipal, AuthenticatedSession, ServiceContext } from '@kontext/services';
import type { BlobUrlSigner } from '@kontext/storage';
import type { GetConnInfo } from 'hono/conninfo';

/** Per-request values set by middleware. */
export interface ApiVariables {
  requestId: string;
  auth: AuthenticatedPrincipal;
  /** Set when the request came with the console's session cookie (not for API keys). */
  session: AuthenticatedSession;
  /** Headers an error response must carry (Retry-After, RateLimit-*). */
  problemHeaders: Record<string, string>;
  /** The client's address as the server or the gateway saw it; `unknown` where none is known. */
  clientAddress: string;
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
  /**
   * Longest `Prefer: wait` and longest live-status stream, in seconds. Unset on a server of our
   * own (60 s and unbounded); behind a gateway that buffers responses and times out (API Gateway
   * with Lambda: 29 s) they must end in time, and clients resume with Last-Event-ID.
   */
  maxWaitSeconds?: number;
  maxStreamSeconds?: number;
  /** Browser origins allowed to call the API routes (CORS_ORIGINS); none by default, so CORS is off. */
  corsOrigins?: readonly string[];
  /** Where Swagger UI's files are; default the swagger-ui-dist package. */
  swaggerUiDirectory?: string;
  /** Where the built console is (served at /console); default packages/console/dist of this checkout. */
  consoleDirectory?: string;
  /**
   * The connection's remote address, from the runtime (Node's socket, or API Gateway's source IP
   * on Lambda). Forwarded-for headers are not trusted: a client could write any address there.
   */
  connectionInfo?: GetConnInfo;
}
