import { randomBytes } from 'node:crypto';
import { hashApiKey } from '@kontext/services';
import { describe, expect } from 'vitest';
import { it } from '../../../test/harness/fixtures.ts';
import type { TestPlatform } from '../../../test/harness/platform.ts';
import { expectProblem } from '../../../test/harness/problems.ts';
import { withSql } from '../../../test/harness/sql.ts';

// A statement that fails carries its bound parameters: a prompt, a (sealed) webhook secret, an
// API key's hash. Failures are provoked in this file's own database, and every log line of the
// platform is searched: a database error is logged by SQLSTATE, constraint and statement text,
// never by what was bound to it.

it.override({ platformOptions: { workerLoops: 0 } });

function errorLines(platform: TestPlatform): { message: string; sqlState?: string; statement?: string; constraint?: string }[] {
  return platform.logs.map((line) => JSON.parse(line) as { level: string; message: string }).filter((line) => line.level === 'error');
}

describe('a failing statement in the logs', () => {
  it('a submit whose insert fails: 500 with a request id; the log names the SQLSTATE and constraint, not the prompt or the secret', async ({ platform }) => {
    const marker = `prompt-${randomBytes(8).toString('hex')}`;
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    await withSql(platform.database.url, (sql) => sql`ALTER TABLE jobs ADD CONSTRAINT refuse_every_job CHECK (false) NOT VALID`);
    try {
      const response = await platform.api.submit({ prompt: marker, webhook_url: 'http://127.0.0.1:9/hook', webhook_secret: secret });
      const problem = expectProblem(response, 500);
      const logged = errorLines(platform).find((line) => line.message === 'unhandled error');
      expect(logged).toMatchObject({ sqlState: '23514', constraint: 'refuse_every_job' });
      expect(logged?.statement).toMatch(/^WITH admitted AS/);
      expect(platform.logs.find((line) => line.includes(problem.request_id))).toBeDefined();
      for (const line of platform.logs) {
        expect(line).not.toContain(marker);
        expect(line).not.toContain(secret);
        expect(line).not.toContain('sealed:v1:');
        expect(line).not.toMatch(/params/i);
      }
    } finally {
      await withSql(platform.database.url, (sql) => sql`ALTER TABLE jobs DROP CONSTRAINT refuse_every_job`);
    }
  });

  it('a new webhook endpoint whose insert fails: the sealed secret is not in any line', async ({ platform }) => {
    await withSql(platform.database.url, (sql) => sql`ALTER TABLE webhook_endpoints ADD CONSTRAINT refuse_every_endpoint CHECK (false) NOT VALID`);
    try {
      expectProblem(await platform.api.request('POST', '/v1/webhooks/endpoints', { json: { url: 'http://127.0.0.1:9/hook' } }), 500);
      expect(errorLines(platform).some((line) => line.constraint === 'refuse_every_endpoint')).toBe(true);
      for (const line of platform.logs) expect(line).not.toMatch(/sealed:v1:|whsec_/);
    } finally {
      await withSql(platform.database.url, (sql) => sql`ALTER TABLE webhook_endpoints DROP CONSTRAINT refuse_every_endpoint`);
    }
  });

  // A fresh tenant's key (not in this process's cache), so the lookup reaches the broken table.
  it("a key lookup that fails: the key's hash is not in any line", async ({ platform, tenant }) => {
    const hash = hashApiKey(platform.devApiKey);
    await withSql(platform.database.url, (sql) => sql`ALTER TABLE api_keys RENAME COLUMN key_hash TO key_hash_renamed`);
    try {
      expectProblem(await tenant.api.request('GET', '/v1/credits'), 500);
      expect(errorLines(platform).some((line) => line.sqlState === '42703')).toBe(true);
      for (const line of platform.logs) {
        expect(line).not.toContain(hash);
        expect(line).not.toContain(hashApiKey(tenant.key));
        expect(line).not.toContain(tenant.key);
      }
    } finally {
      await withSql(platform.database.url, (sql) => sql`ALTER TABLE api_keys RENAME COLUMN key_hash_renamed TO key_hash`);
    }
  });
});
