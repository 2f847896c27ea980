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
// the data and the dev key. So does every signal a service manager, a container runtime or a CI
// runner sends: SIGTERM or SIGINT to npm, to the process npm started, or to the whole group.

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

/** The processes `npm start` started (its children). */
async function childrenOf(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text.split(' ').filter(Boolean).map(Number);
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
    expect((await fetch(result.result!.sample!)).status).toBe(200);

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
    expect((await fetch(earlier.body.result!.sample!)).status).toBe(200);

    await pressCtrlC(second);
    expect(await processesMentioning(dataDir)).toEqual([]);
  }, 120_000);

  describe.each([
    ['SIGTERM', 'npm'],
    ['SIGINT', 'npm'],
    ['SIGTERM', 'the process npm started'],
    ['SIGINT', 'the process npm started'],
    ['SIGTERM', 'the process group'],
  ] as const)('%s to %s', (signal, target) => {
    it('stops everything, Postgres last, and leaves nothing running', async () => {
      const started = await start();
      const npm = started.child.pid!;
      const [direct] = await childrenOf(npm);
      expect(direct).toBeDefined();
      const sentAt = Date.now();
      if (target === 'npm') process.kill(npm, signal);
      else if (target === 'the process npm started') process.kill(direct!, signal);
      else process.kill(-npm, signal);
      // npm may exit before the platform has finished stopping; everything must be gone soon after.
      await started.exited;
      await expect.poll(() => processesMentioning(dataDir), { timeout: 30_000, interval: 100 }).toEqual([]);
      expect(started.output()).toContain('Stopped.');
      expect(await portOpen(port)).toBe(false);
      process.stdout.write(`${signal} to ${target}: everything stopped ${Date.now() - sentAt} ms after the signal\n`);
    }, 120_000);
  });
});

