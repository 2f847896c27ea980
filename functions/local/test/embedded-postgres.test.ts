import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnNode } from '../../../test/harness/processes.ts';
import { startEmbeddedPostgres, type EmbeddedPostgresOptions, type RunningPostgres } from '../src/embedded-postgres.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startServer(onRestart?: EmbeddedPostgresOptions['onRestart']): Promise<RunningPostgres> {
  const root = await mkdtemp(join(tmpdir(), 'kontext-embedded-'));
  await chmod(root, 0o711); // as root, Postgres runs as "postgres" and must enter it
  const server = await startEmbeddedPostgres({
    directory: join(root, 'cluster'),
    database: 'supervised',
    ephemeral: true,
    ...(onRestart ? { onRestart } : {}),
  });
  cleanups.push(async () => {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  });
  return server;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startEmbeddedPostgres', () => {
  it('leaves the process exit code alone (a failed test run must not exit 0)', async () => {
    const child = spawnNode('functions/local/test/fixtures/exit-code.ts', { EXPECTED_EXIT_CODE: '3' });
    const exited = await child.exited;
    expect({ ...exited, output: exited.code === 3 ? '' : child.output() }).toEqual({ code: 3, signal: null, output: '' });
  }, 60_000);

  it('restarts a server that was killed, on the same port, and a pool reconnects by itself', async () => {
    const events: string[] = [];
    const server = await startServer((event) => events.push(event.kind));
    const sql = postgres(server.url, { max: 2, onnotice: () => {}, connect_timeout: 3 });
    cleanups.push(() => sql.end({ timeout: 1 }));
    await sql`CREATE TABLE kept (n int)`;
    await sql`INSERT INTO kept VALUES (1)`;
    const first = server.pid!;

    process.kill(first, 'SIGKILL');
    await expect.poll(() => isAlive(first), { timeout: 10_000 }).toBe(false);
    // Back by itself, with the committed row (crash recovery replayed the WAL).
    await expect
      .poll(async () => (await sql<{ n: number }[]>`SELECT n FROM kept`.catch(() => [])).map((row) => row.n), { timeout: 60_000, interval: 200 })
      .toEqual([1]);
    expect(server.pid).toBeDefined();
    expect(server.pid).not.toBe(first);
    expect(events).toContain('died');
    expect(events.at(-1)).toBe('restarted');
  }, 90_000);

  it('stops at once when the server is already dead, and does not start it again afterwards', async () => {
    const server = await startServer();
    const pid = server.pid!;
    process.kill(pid, 'SIGKILL');
    await expect.poll(() => isAlive(pid), { timeout: 10_000 }).toBe(false);
    // Stopped while a restart is pending: the stop wins, whatever the backoff timer says.
    await server.stop();
    expect(server.pid).toBeUndefined();
    const probe = postgres(server.url, { max: 1, onnotice: () => {}, connect_timeout: 2 });
    cleanups.push(() => probe.end({ timeout: 1 }));
    await expect(probe`SELECT 1`).rejects.toThrow();
  }, 60_000);
});
