import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// Every change of a job's status goes through transitionJob (packages/db/src/job-transitions.ts):
// its WHERE clause comes from the core state machine. This reads the sources and finds any other
// UPDATE of jobs that sets `status`, in drizzle (`.update(jobs).set({ status ...`) or raw SQL.

const ROOT = join(import.meta.dirname, '..', '..', '..');
const SCANNED = ['packages', 'functions', 'gpu-worker/src'];
const DOOR = 'packages/db/src/job-transitions.ts';

async function sourceFiles(directory: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, directory), { withFileTypes: true }).catch(() => []);
  const files = await Promise.all(
    entries.map(async (entry) => {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) return ['node_modules', 'test', 'dist', 'cdk.out'].includes(entry.name) ? [] : sourceFiles(path);
      return /\.(ts|tsx)$/.test(entry.name) && !entry.name.endsWith('.test.ts') ? [path] : [];
    }),
  );
  return files.flat();
}

/** The SET part of each UPDATE of the jobs table in `text`: from the update to its WHERE. */
function jobUpdatesSettingStatus(text: string): string[] {
  const found: string[] = [];
  const drizzle = /\.update\(\s*jobs\s*\)([\s\S]*?)\.(?:where|returning)\(/g;
  const raw = /UPDATE\s+(?:\$\{\s*jobs\s*\}|jobs)(?:\s+(?:AS\s+)?\w+)?\s+SET\b([\s\S]*?)(?:\bWHERE\b|\bFROM\b|\bRETURNING\b|`)/gi;
  for (const pattern of [drizzle, raw]) {
    for (const match of text.matchAll(pattern)) {
      const setPart = match[1] ?? '';
      if (/\bstatus\b/.test(setPart)) found.push(match[0]);
    }
  }
  return found;
}

describe('the one door for job status', () => {
  it('finds a status write in either spelling (the scanner itself can fail)', () => {
    expect(jobUpdatesSettingStatus("await tx.update(jobs).set({ status: 'failed' }).where(eq(jobs.id, id))")).toHaveLength(1);
    expect(jobUpdatesSettingStatus('sql`UPDATE jobs SET status = \'queued\' WHERE id = ${id}`')).toHaveLength(1);
    expect(jobUpdatesSettingStatus('sql`UPDATE ${jobs} j SET error_message = NULL, status = \'failed\' FROM x`')).toHaveLength(1);
    expect(jobUpdatesSettingStatus('exec.update(jobs).set({ progress, engine }).where(heldBy(lease))')).toEqual([]);
  });

  it('is transitionJob: no other source file sets jobs.status', async () => {
    const files = (await Promise.all(SCANNED.map(sourceFiles))).flat();
    expect(files).toContain(DOOR);
    const offenders: string[] = [];
    for (const file of files) {
      if (relative('.', file) === DOOR) continue;
      for (const update of jobUpdatesSettingStatus(await readFile(join(ROOT, file), 'utf8'))) offenders.push(`${file}: ${update}`);
    }
    expect(offenders).toEqual([]);
    // And the door itself does write it (so the scan is looking at the right thing).
    expect(jobUpdatesSettingStatus(await readFile(join(ROOT, DOOR), 'utf8')).length).toBeGreaterThan(0);
  });
});
