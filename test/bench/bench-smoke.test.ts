import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness/processes.ts';

// Every part of `npm run bench`, run end to end at a tiny size (BENCH_SMOKE=1), so a change that
// breaks a benchmark fails the suite instead of the next person who measures. Nothing here looks
// at the figures themselves, only that each part ran and measured every one of them.

const PARTS = [
  { script: 'run.ts', name: 'bench', sections: ['helloWorld', 'submitThroughput', 'submitAtFixedRate', 'dispatchLatency', 'endToEnd1MpEdit'] },
  { script: 'accounts.ts', name: 'accounts', sections: ['keyVerification', 'usageQuery'] },
  { script: 'delivery.ts', name: 'delivery', sections: ['webhookLatency', 'dispatcherThroughput', 'lineageQuery'] },
  { script: 'cloud.ts', name: 'cloud', sections: ['sqsDispatchLatency', 'lambdas'] },
  { script: 'client.ts', name: 'client', sections: ['sdkWait', 'uploadMemory'] },
  { script: 'console.ts', name: 'console', sections: ['pages', 'jobLogFirstPage', 'usageApi90DaysByModel', 'initialJavaScript'] },
] as const;

function runPart(script: string, resultsDir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join('test', 'bench', script)], {
      cwd: REPO_ROOT,
      env: { ...process.env, BENCH_SMOKE: '1', BENCH_RESULTS_DIR: resultsDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/** Paths of the figures that came out null (NaN or missing in JSON): a part that measured nothing. */
function nullFigures(value: unknown, path = ''): string[] {
  if (value === null) return [path];
  if (typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => nullFigures(inner, `${path}.${key}`));
}

describe('npm run bench, smoke size', () => {
  it.for([...PARTS])('$script runs to the end and reports every section', { timeout: 300_000 }, async (part) => {
    const resultsDir = await mkdtemp(join(tmpdir(), 'kontext-bench-smoke-'));
    try {
      const { code, output } = await runPart(part.script, resultsDir);
      expect(code, output.slice(-4000)).toBe(0);
      const files = (await readdir(resultsDir)).filter((file) => file.startsWith(`${part.name}-`));
      expect(files).toHaveLength(1);
      const results = JSON.parse(await readFile(join(resultsDir, files[0]!), 'utf8')) as Record<string, unknown>;
      expect(Object.keys(results)).toEqual(expect.arrayContaining(['machine', ...part.sections]));
      expect(nullFigures(results)).toEqual([]);
    } finally {
      await rm(resultsDir, { recursive: true, force: true });
    }
  });
});
