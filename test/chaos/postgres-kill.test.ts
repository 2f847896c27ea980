import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '@kontext/local';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnNode, type SpawnedProcess } from '../harness/processes.ts';

// The platform as `npm start` runs it (embedded Postgres, API, workers, dispatcher, sweeper in
// one supervised process), with clients submitting all along, while its Postgres server is
// SIGKILLed. Every answer during the outage is a 200 or a quick 503 with Retry-After, never a
// 500; the supervisor restarts Postgres and the platform heals by itself; every job a client
// was told about ends terminal, and no job exists that a client was not told about. Then the
// platform is stopped while its Postgres is dead, and stops.

const CLIENTS = 4;
const LEASE_SECONDS = 3;

let dataDir: string;
let port: number;
let platform: SpawnedProcess;
let key: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kontext-pg-kill-'));
  await chmod(dataDir, 0o711); // as root, Postgres runs as "postgres" and must enter it
  port = await findFreePort();
  platform = spawnNode(
    'functions/local/src/main.ts',
    { DATA_DIR: dataDir, PORT: String(port), LEASE_SECONDS: String(LEASE_SECONDS), PREVIEW_STEP_DELAY_MS: '20', LOG_LEVEL: 'warn' },
    { detached: true },
  );
  await platform.waitForOutput(/Press Ctrl-C to stop/, 120_000);
  key = (await readFile(join(dataDir, 'dev-api-key'), 'utf8')).trim();
}, 150_000);

afterAll(async () => {
  if (platform?.child.pid && platform.child.exitCode === null) {
    try {
      process.kill(-platform.child.pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  await rm(dataDir, { recursive: true, force: true });
});

async function postmasterPid(): Promise<number> {
  return Number((await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
}

interface Answer {
  status: number;
  ms: number;
  requestId: string | null;
  retryAfter: string | null;
  jobId?: string;
  at: number;
}

async function submit(): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(`http://127.0.0.1:${port}/v1/flux-kontext-dev`, {
    method: 'POST',
    headers: { 'x-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'through an outage' }),
    signal: AbortSignal.timeout(60_000),
  });
  const body = (await response.json()) as { id?: string };
  return {
    status: response.status,
    ms: performance.now() - started,
    requestId: response.headers.get('x-request-id'),
    retryAfter: response.headers.get('retry-after'),
    ...(response.status === 200 && body.id ? { jobId: body.id } : {}),
    at: Date.now(),
  };
}

describe('Postgres killed under load', () => {
  it('answers 503 with Retry-After meanwhile, heals by itself, and loses no job', async () => {
    const answers: Answer[] = [];
    let running = true;
    const clients = Array.from({ length: CLIENTS }, async () => {
      while (running) answers.push(await submit());
    });
    await expect.poll(() => answers.filter((a) => a.status === 200).length, { timeout: 30_000 }).toBeGreaterThan(20);

    const killed = await postmasterPid();
    const killedAt = Date.now();
    process.kill(killed, 'SIGKILL');
    // Healed: a new postmaster, and submits accepted again after the kill.
    await expect.poll(() => answers.some((a) => a.at > killedAt && a.status === 503), { timeout: 30_000 }).toBe(true);
    await expect.poll(async () => (await postmasterPid().catch(() => killed)) !== killed, { timeout: 60_000 }).toBe(true);
    await expect.poll(() => answers.filter((a) => a.at > killedAt && a.status === 200).length, { timeout: 60_000 }).toBeGreaterThan(20);
    running = false;
    await Promise.all(clients);

    const during = answers.filter((a) => a.at > killedAt);
    const healedAt = Math.min(...during.filter((a) => a.status === 200 && a.at > Math.max(...during.filter((b) => b.status === 503).map((b) => b.at))).map((a) => a.at));
    const unavailable = answers.filter((a) => a.status === 503);
    // Every answer is an accept or "unavailable, retry": never a 500, never a hang.
    expect([...new Set(answers.map((a) => a.status))].filter((status) => ![200, 429, 503].includes(status))).toEqual([]);
    for (const answer of unavailable) expect(Number(answer.retryAfter)).toBeGreaterThan(0);

    // Every job a client was told about ends terminal (those running at the kill are taken over
    // after their lease), and exactly those jobs exist.
    const accepted = answers.filter((a) => a.jobId).map((a) => a.jobId!);
    const sql = postgres(await databaseUrl(), { max: 1, onnotice: () => {} });
    try {
      await expect
        .poll(async () => (await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM jobs WHERE status IN ('queued', 'running')`)[0]!.n, {
          timeout: 120_000,
          interval: 500,
        })
        .toBe(0);
      const jobs = await sql<{ id: string; status: string; request_id: string }[]>`SELECT id, status, request_id FROM jobs`;
      expect(jobs.map((job) => job.id).sort()).toEqual([...accepted].sort());
      const toldAccepted = new Set(answers.filter((a) => a.status === 200).map((a) => a.requestId));
      expect(jobs.filter((job) => !toldAccepted.has(job.request_id))).toEqual([]);
      expect(jobs.filter((job) => job.status !== 'succeeded')).toEqual([]);
    } finally {
      await sql.end();
    }

    process.stdout.write(
      `postgres outage: ${answers.length} submits, ${accepted.length} accepted, ${unavailable.length} answered 503 ` +
        `(Retry-After ${unavailable[0]?.retryAfter}s, slowest ${Math.max(...unavailable.map((a) => a.ms)).toFixed(0)} ms); ` +
        `slowest answer overall ${Math.max(...answers.map((a) => a.ms)).toFixed(0)} ms; healed ${healedAt - killedAt} ms after the kill; ` +
        `jobs lost 0 of ${accepted.length}\n`,
    );
  }, 300_000);

  it('stops within its timeout when Ctrl-C comes while Postgres is dead', async () => {
    process.kill(await postmasterPid(), 'SIGKILL');
    const stopping = Date.now();
    process.kill(-platform.child.pid!, 'SIGINT');
    const exited = await platform.exited;
    expect(platform.output()).toContain('Stopped.');
    expect(exited.code).toBe(0);
    process.stdout.write(`stopped ${Date.now() - stopping} ms after Ctrl-C, with Postgres dead\n`);
  }, 60_000);
});

/** The embedded server's URL, as the platform wrote it (its password file and the pid file's port). */
async function databaseUrl(): Promise<string> {
  const password = (await readFile(join(dataDir, 'postgres.password'), 'utf8')).trim();
  const pidLines = (await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n');
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pidLines[3]}/kontext`;
}
