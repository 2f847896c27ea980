import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

// What the console's source may use: it is a browser app, so from the platform's packages only
// types (never server code, never zod's runtime), and it never sets HTML from data.

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

async function sources(directory: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) files.push(...(await sources(path)));
    else if (/\.(ts|tsx)$/.test(entry.name)) files.push(path);
  }
  return files;
}

/** Every import or export ... from '<specifier>' of a file, with whether it is type-only. */
function importsOf(text: string): { specifier: string; typeOnly: boolean }[] {
  const found: { specifier: string; typeOnly: boolean }[] = [];
  for (const match of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?\bfrom\s+['"]([^'"]+)['"]/gm)) {
    found.push({ specifier: match[3]!, typeOnly: Boolean(match[2]) });
  }
  for (const match of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push({ specifier: match[1]!, typeOnly: false });
  for (const match of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) found.push({ specifier: match[1]!, typeOnly: false });
  return found;
}

test('the console imports only types from the platform and from zod, and sets no HTML', async () => {
  const files = await sources(SRC);
  expect(files.length).toBeGreaterThan(10);
  const problems: string[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    const name = relative(SRC, file);
    for (const { specifier, typeOnly } of importsOf(text)) {
      if ((specifier.startsWith('@kontext/') || specifier === 'zod' || specifier.startsWith('zod/')) && !typeOnly) problems.push(`${name}: imports ${specifier} at run time`);
      if (specifier.startsWith('node:') || specifier.includes('/functions/') || /^(\.\.\/){2,}/.test(specifier)) problems.push(`${name}: imports ${specifier}`);
    }
    if (/dangerouslySetInnerHTML|\.innerHTML\s*=|\beval\(|new Function\(/.test(text)) problems.push(`${name}: sets HTML or evaluates code`);
  }
  expect(problems).toEqual([]);
});
