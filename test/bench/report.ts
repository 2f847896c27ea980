import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../harness/processes.ts';

// Statistics and reporting shared by the benchmark scripts.

/** The q-quantile (0..1) of a sample by the nearest-rank method; NaN for an empty sample. */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** Rounds for reporting, to `digits` decimals. */
export function round(n: number, digits = 2): number {
  return Math.round(n * 10 ** digits) / 10 ** digits;
}

/** What the figures were measured on, reported with every result. */
export function describeMachine(): { cpus: number; cpu: string | undefined; memoryGiB: number; node: string } {
  return { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30, 1), node: process.version };
}

/**
 * `BENCH_SMOKE=1`: every part at a tiny size, so the suite can check each still runs end to end
 * (test/bench/bench-smoke.test.ts) without measuring anything. Its figures mean nothing.
 */
export const SMOKE = process.env.BENCH_SMOKE === '1';

/** A count or duration: the real one, or the smoke run's tiny one. */
export function sized(full: number, smoke: number): number {
  return SMOKE ? smoke : full;
}

/** Prints the results and keeps them as `<name>-<timestamp>.json` under bench-results/ (or BENCH_RESULTS_DIR). */
export async function reportResults(name: string, results: Record<string, unknown>): Promise<void> {
  const out = process.env.BENCH_RESULTS_DIR ?? join(REPO_ROOT, 'bench-results');
  await mkdir(out, { recursive: true });
  const file = join(out, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(results, null, 2)}\nwritten to ${file}\n`);
}
