import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { TEST_AWS_CREDENTIALS, TEST_AWS_REGION } from '../../../test/harness/aws-servers.ts';
import { resolveDatabaseUrl } from '../src/database-url.ts';
import { CloudEnvironmentSchema } from '../src/environment.ts';

// The database URL each cloud process builds at start, with the secret read from Secrets
// Manager over its real protocol (moto's server).

const secrets = new SecretsManagerClient({ region: TEST_AWS_REGION, credentials: TEST_AWS_CREDENTIALS, endpoint: inject('motoEndpoint') });
afterAll(() => secrets.destroy());

const base = { BUCKET_NAME: 'kontext-bucket' };

async function secretWith(value: unknown): Promise<string> {
  const created = await secrets.send(
    new CreateSecretCommand({ Name: `db-${Math.random().toString(36).slice(2)}`, SecretString: typeof value === 'string' ? value : JSON.stringify(value) }),
  );
  return created.ARN!;
}

describe('resolveDatabaseUrl', () => {
  it('uses DATABASE_URL as given', async () => {
    const env = CloudEnvironmentSchema.parse({ ...base, DATABASE_URL: 'postgres://u:p@db.internal:5433/app' });
    expect(await resolveDatabaseUrl(env, () => secrets)).toBe('postgres://u:p@db.internal:5433/app');
  });

  it('builds the URL from the RDS secret, with the proxy as host and verified TLS by default', async () => {
    const arn = await secretWith({ engine: 'postgres', host: 'cluster.internal', port: 5432, username: 'kontext', password: 'p@ss:w/rd?#', dbname: 'kontext' });
    const env = CloudEnvironmentSchema.parse({ ...base, DATABASE_SECRET_ARN: arn, DATABASE_HOST: 'proxy.internal' });
    const url = new URL(await resolveDatabaseUrl(env, () => secrets));
    expect(url.hostname).toBe('proxy.internal');
    expect(url.port).toBe('5432');
    expect(decodeURIComponent(url.username)).toBe('kontext');
    // Special characters survive the round trip through the URL.
    expect(decodeURIComponent(url.password)).toBe('p@ss:w/rd?#');
    expect(url.pathname).toBe('/kontext');
    expect(url.searchParams.get('sslmode')).toBe('verify-full');
  });

  it("falls back to the secret's host and database name", async () => {
    const arn = await secretWith({ host: 'cluster.internal', port: 6543, username: 'u', password: 'p', dbname: 'other' });
    const env = CloudEnvironmentSchema.parse({ ...base, DATABASE_SECRET_ARN: arn, DATABASE_SSL: 'require' });
    const url = new URL(await resolveDatabaseUrl(env, () => secrets));
    expect([url.hostname, url.port, url.pathname, url.searchParams.get('sslmode')]).toEqual(['cluster.internal', '6543', '/other', 'require']);
  });

  it('builds the URL from credentials injected by ECS', async () => {
    const env = CloudEnvironmentSchema.parse({
      ...base,
      DATABASE_HOST: 'proxy.internal',
      DATABASE_USERNAME: 'worker',
      DATABASE_PASSWORD: 'secret',
      DATABASE_NAME: 'kontext',
    });
    let asked = false;
    const url = new URL(
      await resolveDatabaseUrl(env, () => {
        asked = true;
        return secrets;
      }),
    );
    expect(asked).toBe(false);
    expect([url.hostname, url.username, url.password, url.pathname]).toEqual(['proxy.internal', 'worker', 'secret', '/kontext']);
  });

  it('names the missing secret fields without echoing any value', async () => {
    const arn = await secretWith({ host: 'cluster.internal', password: 'do-not-log-me' });
    const env = CloudEnvironmentSchema.parse({ ...base, DATABASE_SECRET_ARN: arn });
    const failure = await resolveDatabaseUrl(env, () => secrets).catch((error: unknown) => error as Error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toContain('username');
    expect((failure as Error).message).not.toContain('do-not-log-me');
  });
});

describe('the cloud environment', () => {
  it('needs some way to reach the database', () => {
    const parsed = CloudEnvironmentSchema.safeParse(base);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(/DATABASE_URL, or DATABASE_SECRET_ARN/);
  });

  it('refuses a queue prefix SQS could not name a queue with, and a malformed key prefix', () => {
    expect(CloudEnvironmentSchema.safeParse({ ...base, DATABASE_URL: 'postgres://x/y', QUEUE_NAME_PREFIX: 'bad.prefix' }).success).toBe(false);
    expect(CloudEnvironmentSchema.safeParse({ ...base, DATABASE_URL: 'postgres://x/y', BUCKET_KEY_PREFIX: '../up/' }).success).toBe(false);
    expect(CloudEnvironmentSchema.parse({ ...base, DATABASE_URL: 'postgres://x/y', BUCKET_KEY_PREFIX: 'blobs/' }).BUCKET_KEY_PREFIX).toBe('blobs/');
  });
});
