import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIGURATION_BEGIN, CONFIGURATION_END, renderConfigurationTable, withConfigurationTable } from '../src/configuration-table.ts';
import { defineProcess } from '../src/composition.ts';
import { declareSetting } from '../src/setting.ts';
import { wholeNumber } from '../src/value-schemas.ts';

// The README's configuration table is generated from the declarations; this fails when someone
// changes one without running `npm run docs:config` (or edits the table by hand).

const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');

describe("the README's configuration table", () => {
  it('is what the declarations generate (run `npm run docs:config` to rewrite it)', () => {
    expect(readme).toBe(withConfigurationTable(readme, renderConfigurationTable()));
  });

  it('lists each variable once, with every process that reads it and each default that differs', () => {
    const LIMIT = declareSetting({ name: 'LIMIT', description: 'a | limit', schema: wholeNumber(0), default: 5 });
    const TOKEN = declareSetting({ name: 'TOKEN', description: 'a token', schema: wholeNumber(0) });
    const a = defineProcess({ id: 'a', title: 'process a', settings: [LIMIT, TOKEN] });
    const b = defineProcess({ id: 'b', title: 'process b', settings: [LIMIT.variant({ default: 9 }), TOKEN.required()] });
    const c = defineProcess({ id: 'c', title: 'process c', settings: [LIMIT] });
    const table = renderConfigurationTable([a, b, c], [b, c]);
    expect(table).toContain('| `LIMIT` | `5` (a, c); `9` (b) | a \\| limit | a, cloud |');
    expect(table).toContain('| `TOKEN` | unset (a); required (b) | a token | a, b |');
    expect(table).toContain('- `a`: process a.');
  });

  it('sits between its markers', () => {
    expect(readme.indexOf(CONFIGURATION_BEGIN)).toBeGreaterThan(0);
    expect(readme.indexOf(CONFIGURATION_END)).toBeGreaterThan(readme.indexOf(CONFIGURATION_BEGIN));
    expect(() => withConfigurationTable('# no markers', 'table')).toThrow(/markers/);
  });
});
