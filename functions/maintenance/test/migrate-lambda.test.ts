import { randomBytes } from 'node:crypto';
import { quoteIdentifier } from '@kontext/local';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

// The migration custom resource's handler against an empty database on the real server: Create
// builds the whole schema, Update finds nothing to do, Delete leaves the data alone.

const adminUrl = inject('postgresAdminUrl');
const name = `migrate_${randomBytes(5).toString('hex')}`;
const url = new URL(adminUrl);
url.pathname = `/${name}`;
let handler: (event: CloudFormationCustomResourceEvent) => Promise<{ PhysicalResourceId: string; Data: { Migrated: string } }>;

beforeAll(async () => {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${quoteIdentifier(name)}`);
  await admin.end();
  Object.assign(process.env, { DATABASE_URL: url.toString(), BUCKET_NAME: 'unused-by-migrations', LOG_LEVEL: 'error' });
  ({ handler } = (await import('@kontext/maintenance/migrate-lambda')) as { handler: typeof handler });
});

afterAll(async () => {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
  await admin.end();
});

function event(requestType: 'Create' | 'Update' | 'Delete'): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:provider',
    ResponseURL: 'https://cloudformation-custom-resource-response.example/',
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/Kontext/1',
    RequestId: randomBytes(8).toString('hex'),
    LogicalResourceId: 'DatabaseSchema',
    ResourceType: 'Custom::DatabaseSchema',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:provider', MigrationsHash: 'abc' },
  };
  if (requestType === 'Create') return { ...common, RequestType: 'Create' };
  const physical = { PhysicalResourceId: 'kontext-database-schema' };
  if (requestType === 'Update') return { ...common, ...physical, RequestType: 'Update', OldResourceProperties: { ServiceToken: common.ServiceToken, MigrationsHash: 'old' } };
  return { ...common, ...physical, RequestType: 'Delete' };
}

async function tables(): Promise<string[]> {
  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ table_name: string }[]>`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`;
    return rows.map((row) => row.table_name);
  } finally {
    await sql.end();
  }
}

describe('the migration custom resource', () => {
  it('Create applies every migration', async () => {
    expect(await tables()).toEqual([]);
    expect(await handler(event('Create'))).toEqual({ PhysicalResourceId: 'kontext-database-schema', Data: { Migrated: 'true' } });
    expect(await tables()).toEqual(expect.arrayContaining(['tenants', 'api_keys', 'jobs', 'assets', 'webhook_deliveries', 'job_events']));
  });

  it('Update is idempotent and keeps the physical id (CloudFormation never replaces the schema)', async () => {
    const before = await tables();
    expect(await handler(event('Update'))).toEqual({ PhysicalResourceId: 'kontext-database-schema', Data: { Migrated: 'true' } });
    expect(await tables()).toEqual(before);
  });

  it('Delete leaves the database alone', async () => {
    const before = await tables();
    expect((await handler(event('Delete'))).Data.Migrated).toBe('false');
    expect(await tables()).toEqual(before);
  });
});
