import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configPath, readConfig, resolveConnection, writeConfig } from '../src/config.ts';
import { UsageError } from '../src/errors.ts';
import { truncate } from '../src/format.ts';
import { MARK, lineageTree, renderTree, type TreeNode } from '../src/tree.ts';

// The pieces with no I/O beyond a temporary directory: tree drawing, precedence, the config file.

const node = (id: string, prompt: string, children: TreeNode[] = [], status = 'succeeded'): TreeNode => ({ id, status, prompt, children });

describe('the lineage tree', () => {
  it('draws branches with ├── └── │ and marks the job asked for', () => {
    const tree = node('job_A', 'make it night', [node('job_B', 'add a hat', [node('job_D', 'and a scarf')]), node('job_C', 'add snow', [], 'running')]);
    expect(renderTree(tree, 'job_B')).toBe(
      [
        'job_A  succeeded  "make it night"',
        `├── job_B  succeeded  "add a hat"  ${MARK}`,
        '│   └── job_D  succeeded  "and a scarf"',
        '└── job_C  running  "add snow"',
      ].join('\n'),
    );
  });

  it('puts the ancestors above the asked job as one line of descent', () => {
    const root = lineageTree({ job_id: 'job_C', ancestors: [node('job_A', 'first'), node('job_B', 'second')], tree: node('job_C', 'third', [node('job_D', 'fourth')]) });
    expect(renderTree(root, 'job_C')).toBe(
      ['job_A  succeeded  "first"', '└── job_B  succeeded  "second"', `    └── job_C  succeeded  "third"  ${MARK}`, '        └── job_D  succeeded  "fourth"'].join('\n'),
    );
  });

  it('truncates long prompts to one line', () => {
    expect(truncate('a\nvery   long prompt indeed', 12)).toBe('a very long…');
    expect(renderTree(node('job_A', 'x'.repeat(100)), 'job_A', { promptWidth: 10 })).toBe(`job_A  succeeded  "${'x'.repeat(9)}…"  ${MARK}`);
  });
});

describe('which server and key a command uses', () => {
  const stored = { baseUrl: 'http://stored.example', apiKey: 'kx_stored' };

  it('takes flags over the environment over the config file over the default', () => {
    const env = { KONTEXT_API_KEY: 'kx_env', KONTEXT_BASE_URL: 'http://env.example/' };
    expect(resolveConnection({ apiKey: 'kx_flag', baseUrl: 'http://flag.example' }, env, stored)).toEqual({ apiKey: 'kx_flag', baseUrl: 'http://flag.example' });
    expect(resolveConnection({}, env, stored)).toEqual({ apiKey: 'kx_env', baseUrl: 'http://env.example' });
    expect(resolveConnection({}, { KONTEXT_API_KEY: ' ', KONTEXT_BASE_URL: '' }, stored)).toEqual(stored);
    expect(resolveConnection({}, { KONTEXT_API_KEY: 'kx_env' }, undefined)).toEqual({ apiKey: 'kx_env', baseUrl: 'http://localhost:8787' });
  });

  it('without a key anywhere, says how to get one', () => {
    expect(() => resolveConnection({}, {}, undefined)).toThrow(UsageError);
    expect(() => resolveConnection({}, {}, undefined)).toThrow(/kontext login.*KONTEXT_API_KEY/);
    expect(() => resolveConnection({ baseUrl: 'ftp://x' }, { KONTEXT_API_KEY: 'k' }, undefined)).toThrow(/http or https/);
  });

  it('finds the file under XDG_CONFIG_HOME, else under HOME', () => {
    expect(configPath({ XDG_CONFIG_HOME: '/x/cfg', HOME: '/home/u' })).toBe('/x/cfg/kontext/config.json');
    expect(configPath({ XDG_CONFIG_HOME: 'relative', HOME: '/home/u' })).toBe('/home/u/.config/kontext/config.json');
    expect(configPath({ HOME: '/home/u' })).toBe('/home/u/.config/kontext/config.json');
  });
});

describe('the config file', () => {
  it('is written 600 in a 700 directory, replaced atomically, and read back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kontext-cli-config-'));
    try {
      const path = join(dir, 'deep', 'kontext', 'config.json');
      await writeConfig(path, { baseUrl: 'http://a', apiKey: 'kx_one' });
      await writeConfig(path, { baseUrl: 'http://b', apiKey: 'kx_two' });
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect((await stat(join(dir, 'deep', 'kontext'))).mode & 0o777).toBe(0o700);
      expect(await readConfig(path)).toEqual({ baseUrl: 'http://b', apiKey: 'kx_two' });
      // No temporary file is left beside it.
      expect(await readdir(join(dir, 'deep', 'kontext'))).toEqual(['config.json']);
      expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ baseUrl: 'http://b', apiKey: 'kx_two' });
      await writeFile(path, '{ not json');
      await expect(readConfig(path)).rejects.toThrow(UsageError);
      expect(await readConfig(join(dir, 'missing.json'))).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('what the CLI may import', () => {
  it('is the SDK, its own files, node built-ins and its own dependencies: no other @kontext package', () => {
    const root = fileURLToPath(new URL('../', import.meta.url));
    const files = (directory: string): string[] =>
      readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? files(join(directory, entry.name)) : /\.(ts|js)$/.test(entry.name) ? [join(directory, entry.name)] : [],
      );
    const allowed = /^(\.{1,2}\/|node:|@kontext\/sdk$|commander$|cli-progress$|cli-table3$|tsx\/esm\/api$)/;
    const offenders = [...files(join(root, 'src')), ...files(join(root, 'bin'))].flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/(?:^|\s)(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm)]
        .map((match) => match[1] ?? match[2] ?? '')
        .filter((specifier) => !allowed.test(specifier))
        .map((specifier) => `${relative(root, file)}: ${specifier}`),
    );
    expect(offenders).toEqual([]);
  });
});
