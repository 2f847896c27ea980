import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '@kontext/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/api-client.ts';
import { spawnCommand, type SpawnedProcess } from '../harness/processes.ts';

// `npm start` as a user runs it: a real embedded Postgres, the API, workers. Ctrl-C (SIGINT to
// the foreground process group) stops everything with no process left behind; a restart keeps
// the data and the dev key.

let dataDir: string;
let port: number;
let running: SpawnedProcess | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kontext-npm-start-'));
  await chmod(dataDir, 0o711); // as root, Postgres runs as "postgres" and must enter it
  port = await findFreePort();
});

afterAll(async () => {
  // Only matters when a test failed half-way: leave nothing running whatever happened.
  const leftovers = [...(running?.child.pid ? [-running.child.pid] : []), ...(await processesMentioning(dataDir))];
  for (const pid of leftovers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await rm(dataDir, { recursive: true, force: true });
});

async function start(): Promise<SpawnedProcess> {
  // detached: npm leads its own process group, as a shell's foreground job would.
  running = spawnCommand('npm', ['start'], { DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' }, { detached: true });
  await running.waitForOutput(/Press Ctrl-C to stop/, 90_000);
  return running;
}

async function pressCtrlC(process_: SpawnedProcess): Promise<void> {
  process.kill(-process_.child.pid!, 'SIGINT');
  await process_.exited;
}

/** Processes whose command line or environment names the data directory (Postgres, the platform). */
async function processesMentioning(text: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const environ = await readFile(`/proc/${entry}/environ`, 'utf8').catch(() => '');
    if (cmdline.includes(text) || environ.includes(`DATA_DIR=${text}`)) found.push(Number(entry));
  }
  return found;
}

function portOpen(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(p, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('npm start', () => {
  let jobId: string;
  let devKey: string;

  it('runs the platform: prints the URLs and the dev key, and an edit reaches Ready', async () => {
    const first = await start();
    devKey = (await readFile(join(dataDir, 'dev-api-key'), 'utf8')).trim();
    expect(first.output()).toContain(`http://localhost:${port}/docs`);
    expect(first.output()).toContain(devKey);
    expect(first.output()).toMatch(/URL inputs may reach loopback and private networks/);

    const api = new ApiClient(`http://127.0.0.1:${port}`, devKey);
    const result = await api.submitAndWait({ prompt: 'a red bicycle', seed: 3 });
    expect(result.status).toBe('Ready');
    jobId = result.id;
    expect((await fetch(result.result!.sample)).status).toBe(200);

    await pressCtrlC(first);
    expect(first.output()).toContain('Stopped.');
    expect(await processesMentioning(dataDir)).toEqual([]);
    expect(await portOpen(port)).toBe(false);
  }, 120_000);

  it('a restart keeps the data and the key', async () => {
    const second = await start();
    expect((await readFile(join(dataDir, 'dev-api-key'), 'utf8')).trim()).toBe(devKey);
    const api = new ApiClient(`http://127.0.0.1:${port}`, devKey);
    const earlier = await api.getResult(jobId);
    expect(earlier.status).toBe(200);
    expect(earlier.body.status).toBe('Ready');
    expect((await fetch(earlier.body.result!.sample)).status).toBe(200);

    await pressCtrlC(second);
    expect(await processesMentioning(dataDir)).toEqual([]);
  }, 120_000);
});
