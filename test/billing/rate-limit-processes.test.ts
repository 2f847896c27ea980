import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findFreePort, SECRET_KEYS_DIRECTORY } from '@kontext/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/api-client.ts';
import { startTestPlatform, type TestPlatform } from '../harness/platform.ts';
import { spawnNode, type SpawnedProcess } from '../harness/processes.ts';
import { sleep } from '@kontext/core';

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
      // The platform's own key files, so this process opens the secrets the platform sealed.
      SECRET_KEYS_DIR: join(platform.dataDir, SECRET_KEYS_DIRECTORY),
      URL_SIGNING_SECRET: secret,
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      PORT: String(port),
      LOG_LEVEL: 'warn',
    });
    servers.push(server);
    urls.push(`http://127.0.0.1:${port}`);
  }
  // A deadline inside the hook's timeout: starting two tsx processes on a loaded machine takes a while.
  const deadline = Date.now() + 90_000;
  await Promise.all(
    urls.map(async (url, i) => {
      const server = servers[i]!;
      while (Date.now() < deadline && server.child.exitCode === null) {
        if ((await fetch(`${url}/health`).catch(() => undefined))?.ok) return;
        await sleep(50);
      }
      throw new Error(`API server at ${url} did not start; output:\n${server.output()}`);
    }),
  );
}, 120_000);

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
    const answers: { server: number; status: number; retryAfter: string | null }[] = [];
    for (let batch = 0; batch < 9; batch++) {
      const responses = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const server = (batch * 10 + i) % 2;
          const response = await clients[server]!.request('GET', '/v1/credits');
          return { server, status: response.status, retryAfter: response.headers.get('retry-after') };
        }),
      );
      answers.push(...responses);
    }
    const seconds = (Date.now() - started) / 1000;
    const allowed = answers.filter((a) => a.status === 200).length;
    // A burst of LIMIT from idle, plus what refills during the run (LIMIT per minute). The bound
    // grows with the run's measured length, so a slow machine cannot break it; two limits of
    // LIMIT each would allow about twice LIMIT.
    expect(allowed).toBeGreaterThanOrEqual(LIMIT);
    expect(allowed).toBeLessThanOrEqual(LIMIT + Math.ceil((seconds * LIMIT) / 60));
    expect(answers.filter((a) => a.status !== 200).every((a) => a.status === 429)).toBe(true);
    // Both processes refused once the shared allowance was gone (read from the run itself: a
    // request sent afterwards could find a token refilled meanwhile on a slow machine).
    for (const server of [0, 1]) {
      const refused = answers.filter((a) => a.server === server && a.status === 429);
      expect(refused.length, `server ${server} refused nothing`).toBeGreaterThan(0);
      for (const answer of refused) expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
    }
  });
});
