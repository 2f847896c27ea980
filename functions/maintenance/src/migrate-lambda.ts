import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CloudEnvironmentSchema, resolveDatabaseUrl } from '@kontext/cloud';
import { checkEnvironment } from '@kontext/core';
import { migrateDatabase } from '@kontext/db';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

// Applies the database migrations during a deployment: the onEvent handler of a CloudFormation
// custom resource (through the CDK provider framework, which reports the result). Create and
// Update migrate; Delete leaves the database alone. Migrating is idempotent and serialised by an
// advisory lock, so a repeated or concurrent run is harmless.

/** One physical id for the schema's whole life, so an update never replaces (deletes) it. */
const PHYSICAL_RESOURCE_ID = 'kontext-database-schema';

// The bundle carries the migrations beside itself; from source, the package's folder is used.
const bundledMigrations = fileURLToPath(new URL('./migrations/', import.meta.url));

export async function handler(event: CloudFormationCustomResourceEvent): Promise<{ PhysicalResourceId: string; Data: { Migrated: string } }> {
  if (event.RequestType === 'Delete') return { PhysicalResourceId: PHYSICAL_RESOURCE_ID, Data: { Migrated: 'false' } };
  const checked = checkEnvironment(CloudEnvironmentSchema, process.env);
  if (!checked.ok) throw new Error(checked.message);
  const env = checked.config;
  const secrets = new SecretsManagerClient({
    region: env.AWS_REGION,
    ...(env.AWS_ENDPOINT_URL_SECRETS_MANAGER ? { endpoint: env.AWS_ENDPOINT_URL_SECRETS_MANAGER } : {}),
  });
  try {
    const url = await resolveDatabaseUrl(env, () => secrets);
    await migrateDatabase(url, existsSync(bundledMigrations) ? { migrationsFolder: bundledMigrations } : {});
  } finally {
    secrets.destroy();
  }
  return { PhysicalResourceId: PHYSICAL_RESOURCE_ID, Data: { Migrated: 'true' } };
}
