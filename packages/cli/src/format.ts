import Table from 'cli-table3';
import { println, type OutputStream } from './io.ts';

// Output shapes shared by the commands: JSON on stdout for --json, tables, aligned fields, and
// the small text helpers they use.

export function printJson(stream: OutputStream, value: unknown): void {
  println(stream, JSON.stringify(value, null, 2));
}

export type Cell = string | number | null | undefined;

export interface TableOptions {
  /** Columns aligned right (numbers). */
  right?: number[];
}

/** A table with plain borders and no colours, so what a script or a test reads is what a person sees. */
export function renderTable(head: string[], rows: Cell[][], options: TableOptions = {}): string {
  const table = new Table({
    head,
    style: { head: [], border: [], compact: false },
    colAligns: head.map((_, index) => (options.right?.includes(index) ? 'right' : 'left')),
  });
  for (const row of rows) table.push(row.map((cell) => (cell === null || cell === undefined ? '' : cell)));
  return table.toString();
}

/** `name: value` lines with the values aligned; empty values are left out. */
export function renderFields(fields: [string, Cell][]): string {
  const shown = fields.filter(([, value]) => value !== null && value !== undefined && value !== '');
  const width = Math.max(0, ...shown.map(([name]) => name.length));
  return shown.map(([name, value]) => `${`${name}:`.padEnd(width + 1)} ${String(value)}`).join('\n');
}

/** One line of at most `max` characters (code points), newlines shown as spaces. */
export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const chars = [...flat];
  return chars.length <= max ? flat : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/** An ISO time as `2025-01-31 12:34:56Z`, short enough for a table. */
export function shortTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

export function milliseconds(value: number | null | undefined): string {
  if (value === null || value === undefined) return '';
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

export function decimal(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined) return '';
  return Number.isInteger(value) ? String(value) : value.toFixed(digits);
}
