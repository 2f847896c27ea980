import { Option, type Command } from 'commander';
import { timestamp } from '../arguments.ts';
import type { CommandContext } from '../context.ts';
import { decimal, milliseconds, printJson, renderTable, shortTime, type Cell } from '../format.ts';
import { println } from '../io.ts';

// Mirrors GET /v1/usage's query: from, to, granularity, group_by, mode.

const GROUPINGS = ['model', 'key', 'status', 'mode', 'none'] as const;

interface UsageOptions {
  from?: string;
  to?: string;
  granularity?: 'hour' | 'day';
  groupBy?: (typeof GROUPINGS)[number];
  mode?: 'live' | 'test';
  json?: boolean;
}

interface Figures {
  jobs: number;
  credits: number;
  output_mp: number;
  avg_queue_ms: number | null;
  avg_engine_ms: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
}

export function registerUsage(program: Command, ctx: CommandContext): void {
  program
    .command('usage')
    .description('jobs, credits, megapixels and latency per UTC day or hour')
    .option('--from <time>', 'start, inclusive (a date, or RFC 3339 with an offset); default 7 days before --to', timestamp)
    .option('--to <time>', 'end, exclusive; default now', timestamp)
    .addOption(new Option('--granularity <unit>', 'bucket size (default day)').choices(['hour', 'day']))
    .addOption(new Option('--group-by <field>', 'split each bucket (default none)').choices(GROUPINGS))
    .addOption(new Option('--mode <mode>', 'only live or only test usage').choices(['live', 'test']))
    .option('--json', 'print the API’s answer as JSON')
    .action(async (options: UsageOptions) => {
      const client = await ctx.client();
      const usage = await client.usage({
        ...(options.from ? { from: options.from } : {}),
        ...(options.to ? { to: options.to } : {}),
        ...(options.granularity ? { granularity: options.granularity } : {}),
        ...(options.groupBy ? { group_by: options.groupBy } : {}),
        ...(options.mode ? { mode: options.mode } : {}),
      });
      if (options.json) return printJson(ctx.io.stdout, usage);
      const grouped = usage.group_by !== 'none';
      const figures = (f: Figures): Cell[] => [f.jobs, decimal(f.credits), decimal(f.output_mp), milliseconds(f.avg_queue_ms), milliseconds(f.avg_engine_ms), milliseconds(f.p50_ms), milliseconds(f.p95_ms)];
      const rows: Cell[][] = [];
      let empty = 0;
      for (const bucket of usage.buckets) {
        if (bucket.totals.jobs === 0) {
          empty++;
          continue;
        }
        const start = usage.granularity === 'day' ? bucket.start.slice(0, 10) : shortTime(bucket.start);
        if (grouped) for (const group of bucket.groups) rows.push([start, group.key, ...figures(group)]);
        else rows.push([start, ...figures(bucket.totals)]);
      }
      rows.push(['total', ...(grouped ? [''] : []), ...figures(usage.totals)]);
      const head = ['START', ...(grouped ? [usage.group_by.toUpperCase()] : []), 'JOBS', 'CREDITS', 'OUTPUT MP', 'AVG QUEUE', 'AVG ENGINE', 'P50', 'P95'];
      const numeric = head.map((_, index) => index).filter((index) => index >= (grouped ? 2 : 1));
      println(ctx.io.stdout, `${usage.granularity === 'day' ? 'Days' : 'Hours'} from ${shortTime(usage.from)} to ${shortTime(usage.to)} (UTC)`);
      println(ctx.io.stdout, renderTable(head, rows, { right: numeric }));
      if (empty > 0) println(ctx.io.stdout, `${empty} ${usage.granularity === 'day' ? 'days' : 'hours'} without jobs not shown.`);
    });
}
