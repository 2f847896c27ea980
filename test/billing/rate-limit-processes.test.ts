import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findFreePort } from '@kontext/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/api-client.ts';
import { startTestPlatform, type TestPlatform } from '../harness/platform.ts';
import { spawnNode, type SpawnedProcess } from '../harness/processes.ts';

// The per-key rate limit lives in Postgres, not in a process: two separate API server processes
// sharing the database enforce one limit between them.

let platform: TestPlatform;
const servers: SpawnedProcess[] = [];
const urls: string[] = [];

beforeAll(async () => {
  platform = await startTestPlatform({ workerLoops: 0 });
  const secret = (await readFile(join(platform.dataDir, 'url-signing-secret'), 'utf8')).trim();
  for (let i = 0; i < 2; i++) {
    const port = await findFreePort();
    const server = spawnNode('functions/api/src/main.ts', {
      DATABASE_URL: platform.database.url,
      STORAGE_DIR: platform.blobDir,
      URL_SIGNING_SECRET: secret,
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      PORT: String(port),
      LOG_LEVEL: 'warn',
    });
    servers.push(server);
    urls.push(`http://127.0.0.1:${port}`);
  }
  await Promise.all(
    urls.map(async (url) => {
      for (let i = 0; i < 200; i++) {
        if ((await fetch(`${url}/health`).catch(() => undefined))?.ok) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`API server at ${url} did not start`);
    }),
  );
});

afterAll(async () => {
  for (const server of servers) server.child.kill('SIGTERM');
  await Promise.all(servers.map((server) => server.exited));
  await platform?.stop();
});

describe('the per-key rate limit across two API processes', () => {
  it('allows the limit in total, not per process', async () => {
    const LIMIT = 30;
    const tenant = await platform.createTenantWithKey({ limits: { requests_per_minute_per_key: LIMIT } });
    const clients = urls.map((url) => new ApiClient(url, tenant.key));
    const started = Date.now();
    // 90 requests, alternating between the two servers, 10 at a time.
    const statuses: number[] = [];
    for (let batch = 0; batch < 9; batch++) {
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, i) => clients[(batch * 10 + i) % 2]!.request('GET', '/v1/credits')),
      );
      statuses.push(...responses.map((r) => r.status));
    }
    const seconds = (Date.now() - started) / 1000;
    const allowed = statuses.filter((s) => s === 200).length;
    // A burst of LIMIT from idle, plus what refills during the run (LIMIT per minute).
    expect(allowed).toBeGreaterThanOrEqual(LIMIT);
    expect(allowed).toBeLessThanOrEqual(LIMIT + Math.ceil((seconds * LIMIT) / 60));
    expect(statuses.filter((s) => s !== 200).every((s) => s === 429)).toBe(true);
    // Both processes refused once the shared allowance was gone.
    for (const client of clients) {
      const refused = await client.request('GET', '/v1/credits');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
  });
});
