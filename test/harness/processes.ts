import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface SpawnedProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the first output line matching the pattern. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a TypeScript entry point the way production starts it (node with the tsx loader). */
export function spawnNode(
  entry: string,
  env: Record<string, string>,
  options: { detached?: boolean; args?: string[] } = {},
): SpawnedProcess {
  return track(
    spawn(process.execPath, ['--import', 'tsx', entry, ...(options.args ?? [])], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      detached: options.detached ?? false,
    }),
  );
}

export function spawnCommand(command: string, args: string[], env: Record<string, string>, options: { detached?: boolean } = {}): SpawnedProcess {
  return track(spawn(command, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, detached: options.detached ?? false }));
}

function track(child: ChildProcess): SpawnedProcess {
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => output,
    exited,
    waitForOutput: (pattern, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = output.split('\n').find((line) => pattern.test(line));
          if (match !== undefined) {
            cleanup();
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no output matching ${pattern} within ${timeoutMs} ms; output so far:\n${output}`));
        }, timeoutMs);
        const onExit = () => {
          check();
          cleanup();
          reject(new Error(`process exited before printing ${pattern}; output:\n${output}`));
        };
        function cleanup() {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
        }
        listeners.add(check);
        child.once('exit', onExit);
        check();
      }),
  };
}
