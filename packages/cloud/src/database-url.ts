import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import type { CloudEnvironment } from './environment.ts';

/** The fields of an RDS-generated database secret that a connection needs. */
const DatabaseSecretSchema = z.object({
  username: z.string().min(1),
  password: z.string().min(1),
  host: z.string().min(1).optional(),
  port: z.coerce.number().int().optional(),
  dbname: z.string().min(1).optional(),
});

/**
 * The connection URL for this process: DATABASE_URL as given, or one assembled from the database
 * secret (read once, at start) or from injected credentials, with the proxy's host and TLS.
 */
export async function resolveDatabaseUrl(env: CloudEnvironment, secrets: () => SecretsManagerClient): Promise<string> {
  if (env.DATABASE_URL) return env.DATABASE_URL;
  let parts: z.infer<typeof DatabaseSecretSchema>;
  if (env.DATABASE_SECRET_ARN) {
    const secret = await secrets().send(new GetSecretValueCommand({ SecretId: env.DATABASE_SECRET_ARN }));
    const parsed = DatabaseSecretSchema.safeParse(JSON.parse(secret.SecretString ?? '{}'));
    // The message names the missing fields only: the secret's values never reach a log.
    if (!parsed.success) throw new Error(`the database secret lacks ${parsed.error.issues.map((issue) => issue.path.join('.')).join(', ')}`);
    parts = parsed.data;
  } else {
    parts = { username: env.DATABASE_USERNAME ?? '', password: env.DATABASE_PASSWORD ?? '' };
  }
  const host = env.DATABASE_HOST ?? parts.host;
  if (!host) throw new Error('no database host: set DATABASE_HOST or put host in the database secret');
  const url = new URL('postgres://placeholder');
  url.hostname = host;
  url.port = String(env.DATABASE_PORT ?? parts.port ?? 5432);
  url.username = encodeURIComponent(parts.username);
  url.password = encodeURIComponent(parts.password);
  url.pathname = `/${encodeURIComponent(env.DATABASE_NAME ?? parts.dbname ?? 'kontext')}`;
  url.searchParams.set('sslmode', env.DATABASE_SSL);
  return url.toString();
}

/** A secret's string value (the operator token, for instance), read once at start. */
export async function readSecretString(secrets: SecretsManagerClient, secretId: string): Promise<string> {
  const secret = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (!secret.SecretString) throw new Error(`secret ${secretId} has no string value`);
  return secret.SecretString;
}
