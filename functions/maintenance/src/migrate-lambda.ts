import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolveDatabaseUrl, secretsManagerClient } from '@kontext/cloud';
import { migrateDatabase } from '@kontext/db';
import { MIGRATE_LAMBDA_SETTINGS, readSettings } from '@kontext/settings';
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
  const env = readSettings(MIGRATE_LAMBDA_SETTINGS, process.env);
  const secrets = secretsManagerClient(env);
  try {
    const url = await resolveDatabaseUrl(env, () => secrets);
    await migrateDatabase(url, existsSync(bundledMigrations) ? { migrationsFolder: bundledMigrations } : {});
  } finally {
    secrets.destroy();
  }
  return { PhysicalResourceId: PHYSICAL_RESOURCE_ID, Data: { Migrated: 'true' } };
}
