import postgres from 'postgres';
import { describe, expect, inject } from 'vitest';
import { it } from './fixtures.ts';

// The fixtures themselves: requests in process really skip the socket, a test's tenant is its
// own, and what a test starts by hand is gone after it.

it.override({ platformOptions: { workerLoops: 0 } });

const wrongToken = `kxadmin_wrong_${'x'.repeat(30)}`;

function failureSources(logs: string[]): string[] {
  return logs
    .filter((line) => line.includes('operator authentication failed'))
    .map((line) => (JSON.parse(line) as { source: string }).source);
}

describe('the platform fixture', () => {
  it('answers in process: no client address, as there is no socket', async ({ platform }) => {
    expect((await platform.admin.request('GET', '/admin/v1/tenants', { key: wrongToken })).status).toBe(401);
    expect(failureSources(platform.logs).at(-1)).toBe('unknown');
  });

  it('still listens, for what needs the socket', async ({ platform }) => {
    const response = await fetch(`${platform.url}/admin/v1/tenants`, { headers: { authorization: `Bearer ${wrongToken}` } });
    expect(response.status).toBe(401);
    expect(failureSources(platform.logs).at(-1)).toBe('127.0.0.1');
  });
});

describe('per-test fixtures', () => {
  const seen: string[] = [];
  let processDatabase: string | undefined;

  it('a tenant per test (first)', ({ tenant }) => {
    seen.push(tenant.tenantId);
  });

  it('a tenant per test (second)', ({ tenant }) => {
    seen.push(tenant.tenantId);
    expect(new Set(seen).size).toBe(2);
  });

  it('an API process on a fresh database', async ({ startApiProcess }) => {
    const api = await startApiProcess();
    processDatabase = new URL(api.databaseUrl).pathname.slice(1);
    expect((await api.client('kx_live_unknown').request('GET', '/v1/models')).status).toBe(401);
  });

  it('is gone after the test that started it, database included', async () => {
    expect(processDatabase).toMatch(/^test_/);
    const admin = postgres(inject('postgresAdminUrl'), { max: 1, onnotice: () => {} });
    try {
      const rows = await admin`SELECT 1 FROM pg_database WHERE datname = ${processDatabase ?? ''}`;
      expect(rows).toHaveLength(0);
    } finally {
      await admin.end();
    }
  });
});
