import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Variables are read in one place: an entry point hands its whole environment to its composition
// (`readSettings(..., process.env)`) or to a child process (`{ ...process.env, ... }`). Reading one
// variable anywhere else (`process.env.X`, `process.env['X']`, destructuring) is how they drifted.

const root = fileURLToPath(new URL('../../../', import.meta.url));
const sourceFolders = ['packages', 'functions', 'gpu-worker', 'infra'];
const SINGLE_VARIABLE_READ = /process\.env\s*(\.|\[|\?\.)|\{[^}]*\}\s*=\s*process\.env\b/;
/** Quoted text is no read: a bundler's `define` names the expression `'process.env.NODE_ENV'` to replace. */
const withoutQuotedText = (line: string) => line.replace(/'[^']*'|"[^"]*"/g, "''");

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    // dist: built bundles (the console's), not sources.
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) return [];
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return entry.name === 'test' ? [] : sourceFiles(path);
    return /\.(ts|mts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

describe('environment reads', () => {
  it('happen only by passing the whole environment on, outside tests', () => {
    const offenders = sourceFolders
      .flatMap((folder) => sourceFiles(join(root, folder)))
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .flatMap((line, index) => (SINGLE_VARIABLE_READ.test(withoutQuotedText(line)) && !line.trimStart().startsWith('//') ? [`${relative(root, file)}:${index + 1}: ${line.trim()}`] : [])),
      );
    expect(offenders).toEqual([]);
  });
});
