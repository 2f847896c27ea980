import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// Builds the console with Vite's JS API when its sources changed since the last build, so that
// `npm start` (and tests) can call this every time: an up-to-date build costs a hash of a few
// dozen small files. Vite itself is imported only when a build is needed.

const CONSOLE_ROOT = fileURLToPath(new URL('.', import.meta.url));

/** Where the built console is: what the API serves at /console. */
export const CONSOLE_DIST = join(CONSOLE_ROOT, 'dist');

/** What a build depends on: a change to any of these builds again. */
const INPUTS = ['src', 'index.html', 'vite.config.ts', 'package.json', 'tsconfig.json'];
const STAMP = '.build-stamp';
/** A folder (mkdir is atomic) held by the process that builds; others wait for it. */
const LOCK = join(CONSOLE_ROOT, '.build-lock');
const LOCK_WAIT_MS = 180_000;
const LOCK_POLL_MS = 100;

export interface EnsureConsoleBuiltOptions {
  log: (msg: string, fields?: Record<string, unknown>) => void;
  /** Build even when the stamp matches. */
  force?: boolean;
}

export interface ConsoleBuild {
  directory: string;
  /** Whether this call ran Vite (false: the build was up to date). */
  built: boolean;
  ms: number;
}

/** Builds packages/console/dist unless it was built from exactly these sources. */
export async function ensureConsoleBuilt(options: EnsureConsoleBuiltOptions): Promise<ConsoleBuild> {
  const started = performance.now();
  const hash = await sourceHash();
  if (!options.force && (await stampOf(CONSOLE_DIST)) === hash) {
    return { directory: CONSOLE_DIST, built: false, ms: Math.round(performance.now() - started) };
  }
  const release = await acquireLock();
  try {
    // Another process may have built these very sources while this one waited.
    if (!options.force && (await stampOf(CONSOLE_DIST)) === hash) {
      return { directory: CONSOLE_DIST, built: false, ms: Math.round(performance.now() - started) };
    }
    options.log('building the console', { directory: CONSOLE_DIST });
    await runViteBuild(options.log);
    await writeFile(join(CONSOLE_DIST, STAMP), `${hash}\n`);
    const ms = Math.round(performance.now() - started);
    options.log('console built', { directory: CONSOLE_DIST, ms });
    return { directory: CONSOLE_DIST, built: true, ms };
  } finally {
    await release();
  }
}

/**
 * Vite in a child process with NODE_ENV=production: Vite and React choose their production builds
 * from the process's NODE_ENV, which the caller may have set otherwise (vitest sets 'test').
 */
async function runViteBuild(log: EnsureConsoleBuiltOptions['log']): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), VITE_CHILD_FLAG], {
    cwd: CONSOLE_ROOT,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`the console's build failed (exit ${code}):\n${output.trim()}`);
  if (output.trim()) log('vite says', { output: output.trim() });
}

const VITE_CHILD_FLAG = '--vite-build-child';

/** SHA-256 over the inputs' relative paths and contents, in a fixed order. */
export async function sourceHash(root: string = CONSOLE_ROOT): Promise<string> {
  const hash = createHash('sha256');
  for (const input of INPUTS) {
    for (const file of await filesUnder(join(root, input))) {
      hash.update(relative(root, file).split(sep).join('/'));
      hash.update('\0');
      hash.update(await readFile(file));
      hash.update('\0');
    }
  }
  return hash.digest('hex');
}

async function filesUnder(path: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch (error) {
    if (isCode(error, 'ENOTDIR')) return [path];
    if (isCode(error, 'ENOENT')) return [];
    throw error;
  }
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) files.push(...(await filesUnder(full)));
    else if (entry.isFile()) files.push(full);
  }
  return files;
}

async function stampOf(directory: string): Promise<string | null> {
  try {
    // index.html too: a stamp left beside a half-deleted build does not count.
    await readFile(join(directory, 'index.html'));
    return (await readFile(join(directory, STAMP), 'utf8')).trim();
  } catch (error) {
    if (isCode(error, 'ENOENT')) return null;
    throw error;
  }
}

async function acquireLock(): Promise<() => Promise<void>> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await mkdir(LOCK);
      await writeFile(join(LOCK, 'pid'), String(process.pid));
      return () => rm(LOCK, { recursive: true, force: true });
    } catch (error) {
      if (!isCode(error, 'EEXIST')) throw error;
    }
    // A lock whose process is gone (killed mid-build) is taken over.
    if (await lockIsStale()) {
      await rm(LOCK, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`another process has been building the console for over ${LOCK_WAIT_MS / 1000} s (${LOCK})`);
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
}

async function lockIsStale(): Promise<boolean> {
  let pid: number;
  try {
    pid = Number((await readFile(join(LOCK, 'pid'), 'utf8')).trim());
  } catch {
    // Just made and its pid not written yet, or just released; or left by a process that died
    // between the two steps, which a lock this old must have been.
    try {
      return Date.now() - (await stat(LOCK)).mtimeMs > 10_000;
    } catch {
      return false;
    }
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return isCode(error, 'ESRCH');
  }
}

function isCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];

if (isMain && process.argv.includes(VITE_CHILD_FLAG)) {
  // The child of runViteBuild: Vite's build of vite.config.ts, warnings and errors only.
  const [{ build }, { default: config }] = await Promise.all([import('vite'), import('./vite.config.ts')]);
  await build({ ...config, configFile: false, logLevel: 'warn' });
} else if (isMain) {
  // `npm run build -w packages/console`: always builds (--force), then prints where.
  const force = process.argv.includes('--force');
  ensureConsoleBuilt({ force, log: (msg, fields) => console.log(msg, fields ?? '') }).then(
    (result) => console.log(result.built ? `built ${result.directory} in ${result.ms} ms` : `${result.directory} is up to date`),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
