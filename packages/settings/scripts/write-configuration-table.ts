import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { renderConfigurationTable, withConfigurationTable } from '../src/configuration-table.ts';

// `npm run docs:config`: rewrites the README's configuration table from the declarations.

const readmePath = fileURLToPath(new URL('../../../README.md', import.meta.url));
const readme = await readFile(readmePath, 'utf8');
const updated = withConfigurationTable(readme, renderConfigurationTable());
if (updated === readme) {
  process.stdout.write('README.md: configuration table up to date\n');
} else {
  await writeFile(readmePath, updated);
  process.stdout.write('README.md: configuration table rewritten\n');
}
