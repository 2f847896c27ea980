import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { REPO_ROOT } from './processes.ts';

const run = promisify(execFile);

/**
 * The Kontext engine's Python environment, created from its pinned requirements on first use and
 * reused after (gpu-worker/engine/scripts/ensure-venv.sh). Returns its python.
 */
export async function ensureEngineVenv(): Promise<string> {
  const { stdout } = await run('bash', ['gpu-worker/engine/scripts/ensure-venv.sh'], { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 });
  const python = stdout.trim().split('\n').at(-1);
  if (!python) throw new Error('ensure-venv.sh printed no python path');
  return python;
}

/** A random-weight FLUX.1 Kontext pipeline small enough for a CPU, written in diffusers layout. */
export async function buildTinyKontextModel(python: string, directory: string): Promise<void> {
  await run(python, ['-m', 'kontext_engine.testing.tiny', directory], {
    cwd: REPO_ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
}
