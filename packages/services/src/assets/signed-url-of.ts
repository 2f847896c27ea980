import type { ServiceContext } from '../context.ts';

/** A fresh signed URL for a stored blob, or null when there is none. */
export async function signedUrlOf(ctx: ServiceContext, key: string | null): Promise<string | null> {
  if (!key) return null;
  return ctx.storage.signedUrl(key, { expiresInSeconds: ctx.settings.signedUrlTtlSeconds });
}
