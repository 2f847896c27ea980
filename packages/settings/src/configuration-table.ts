import type { ProcessSettings } from './composition.ts';
import { CLOUD_PROCESSES, PROCESSES } from './processes.ts';
import type { Setting } from './setting.ts';

// The README's configuration section, generated from the declarations and the processes'
// compositions (`npm run docs:config` writes it; a test fails when README.md differs).

export const CONFIGURATION_BEGIN = '<!-- configuration:begin (generated from packages/settings by `npm run docs:config`; do not edit) -->';
export const CONFIGURATION_END = '<!-- configuration:end -->';

const CLOUD = 'cloud';

/** What a process does when the variable is unset, as the table shows it. */
function unsetText(setting: Setting): string {
  if (setting.presence === 'required') return 'required';
  if (setting.presence === 'optional') return setting.whenUnset ?? 'unset';
  const value = setting.defaultValue;
  return value === '' ? 'empty' : `\`${String(value)}\``;
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** Reader ids, with the processes that all read it written as "cloud". */
function readerList(readers: readonly string[], cloudIds: readonly string[]): string[] {
  const allCloud = cloudIds.every((id) => readers.includes(id));
  return allCloud ? [...readers.filter((id) => !cloudIds.includes(id)), CLOUD] : [...readers];
}

interface Row {
  name: string;
  description: string;
  /** Process id -> how that process reads it. */
  readers: Map<string, Setting>;
}

function rowsOf(processes: readonly ProcessSettings[]): Row[] {
  const rows = new Map<string, Row>();
  for (const process of processes) {
    for (const setting of process.settings) {
      const row = rows.get(setting.name) ?? { name: setting.name, description: setting.description, readers: new Map() };
      row.readers.set(process.id, setting);
      rows.set(setting.name, row);
    }
  }
  return [...rows.values()];
}

/** One default, or each distinct one with the processes that read the variable so. */
function defaultCell(row: Row, cloudIds: readonly string[]): string {
  const byText = new Map<string, string[]>();
  for (const [id, setting] of row.readers) byText.set(unsetText(setting), [...(byText.get(unsetText(setting)) ?? []), id]);
  if (byText.size === 1) return [...byText.keys()][0] ?? '';
  return [...byText].map(([text, ids]) => `${text} (${readerList(ids, cloudIds).join(', ')})`).join('; ');
}

/** The generated Markdown: who reads what, then one row per variable. */
export function renderConfigurationTable(processes: readonly ProcessSettings[] = PROCESSES, cloud: readonly ProcessSettings[] = CLOUD_PROCESSES): string {
  const cloudIds = cloud.map((process) => process.id);
  const legend = processes.map((process) => `- \`${process.id}\`: ${process.title}.`);
  const rows = rowsOf(processes).map(
    (row) => `| \`${row.name}\` | ${cell(defaultCell(row, cloudIds))} | ${cell(row.description)} | ${readerList([...row.readers.keys()], cloudIds).join(', ')} |`,
  );
  return [
    'Processes (the "Read by" column):',
    '',
    ...legend,
    `- \`${CLOUD}\`: all of ${cloudIds.map((id) => `\`${id}\``).join(', ')}.`,
    '',
    '| Variable | Default | Meaning | Read by |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** README.md with the text between the markers replaced by `table`. */
export function withConfigurationTable(readme: string, table: string): string {
  const begin = readme.indexOf(CONFIGURATION_BEGIN);
  const end = readme.indexOf(CONFIGURATION_END);
  if (begin < 0 || end < begin) throw new Error(`README.md lacks the markers ${CONFIGURATION_BEGIN} ... ${CONFIGURATION_END}`);
  return `${readme.slice(0, begin + CONFIGURATION_BEGIN.length)}\n${table}\n${readme.slice(end)}`;
}
