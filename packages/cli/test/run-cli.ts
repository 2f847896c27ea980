import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Runs `kontext` the way a person does: a real process from the bin entry, with an environment of
// its own (no KONTEXT_* leaking in from the test run), a temporary config home and working directory.

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../bin/kontext.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Written to stdin, which is then closed (stdin is always a pipe here, never a terminal). */
  input?: string;
  timeoutMs?: number;
}

/** A scratch home for one test: a working directory and a config home inside it, removed afterwards. */
export interface Scratch {
  dir: string;
  configHome: string;
  env: Record<string, string>;
  remove(): Promise<void>;
}

export async function scratch(): Promise<Scratch> {
  const dir = await mkdtemp(join(tmpdir(), 'kontext-cli-test-'));
  const configHome = join(dir, 'config');
  return {
    dir,
    configHome,
    env: baseEnv({ HOME: dir, XDG_CONFIG_HOME: configHome }),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export function baseEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', ...extra };
}

export function runCli(args: string[], options: CliRunOptions = {}): Promise<CliResult> {
  return runProcess(process.execPath, [BIN, ...args], options);
}

export function runProcess(command: string, args: string[], options: CliRunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? REPO_ROOT, env: options.env ?? baseEnv({}), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not end within ${options.timeoutMs ?? 60_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** One word for `sh -c`. */
export const shellWord = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the CLI in a pseudo-terminal (util-linux `script`): its stdin, stdout and stderr are the
 * terminal, and what the terminal showed comes back as stdout. `answer` is typed into the
 * terminal once `prompt` has appeared on it.
 */
export function runInTerminal(
  args: string[],
  options: { env: Record<string, string>; cwd: string; timeoutMs?: number; prompt?: string; answer?: string },
): Promise<CliResult> {
  const command = [process.execPath, BIN, ...args].map(shellWord).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: options.cwd, env: { ...options.env, TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    let stderr = '';
    let answered = false;
    child.stdout.on('data', (chunk: Buffer) => {
      screen += chunk.toString();
      if (options.prompt !== undefined && !answered && screen.includes(options.prompt)) {
        answered = true;
        child.stdin.write(options.answer ?? '');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} did not end within ${options.timeoutMs ?? 90_000} ms; the terminal showed:\n${screen}`));
    }, options.timeoutMs ?? 90_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: screen, stderr });
    });
    if (options.prompt === undefined) child.stdin.end();
  });
}

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(bytes: Buffer): { width: number; height: number } {
  if (bytes.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a' || bytes.subarray(12, 16).toString('ascii') !== 'IHDR') {
    throw new Error('not a PNG');
  }
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** What a stack trace looks like in output: `    at fn (file:line:col)`. */
export const STACK_TRACE = /^\s+at .+[:(]/m;
