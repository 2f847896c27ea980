import { Option, type Command } from 'commander';
import { positiveInteger, timestamp } from '../../arguments.ts';
import type { CommandContext } from '../../context.ts';
import { printJson, renderTable, shortTime, truncate } from '../../format.ts';
import { println } from '../../io.ts';

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'request_moderated', 'content_moderated', 'canceled'] as const;

interface ListOptions {
  limit?: number;
  status?: (typeof JOB_STATUSES)[number];
  model?: string;
  cursor?: string;
  after?: string;
  before?: string;
  root?: string;
  json?: boolean;
}

export function registerJobsList(jobs: Command, ctx: CommandContext): void {
  jobs
    .command('list')
    .description('the newest jobs first, one page at a time')
    .option('--limit <n>', 'jobs per page (1-100, default 20)', positiveInteger)
    .addOption(new Option('--status <status>', 'only jobs in this status').choices(JOB_STATUSES))
    .option('--model <model>', 'only jobs of this model')
    .option('--after <time>', 'only jobs created after this time', timestamp)
    .option('--before <time>', 'only jobs created before this time', timestamp)
    .option('--root <job_id>', 'only the jobs of one lineage (its root and every edit of it)')
    .option('--cursor <cursor>', 'the next page (printed under the table)')
    .option('--json', 'print the page as JSON')
    .action(async (options: ListOptions) => {
      const client = await ctx.client();
      const page = await client.jobs.list({
        ...(options.limit !== undefined ? { limit: options.limit } : {}),
        ...(options.status ? { status: options.status } : {}),
        ...(options.model ? { model: options.model } : {}),
        ...(options.after ? { created_after: options.after } : {}),
        ...(options.before ? { created_before: options.before } : {}),
        ...(options.root ? { root: options.root } : {}),
        ...(options.cursor ? { cursor: options.cursor } : {}),
      });
      if (options.json) return printJson(ctx.io.stdout, page);
      if (page.data.length === 0) return println(ctx.io.stdout, 'No jobs.');
      println(
        ctx.io.stdout,
        renderTable(
          ['ID', 'STATUS', 'MODEL', 'SIZE', 'COST', 'CREATED', 'PROMPT'],
          page.data.map((job) => [job.id, job.status, job.model, `${job.width}x${job.height}`, job.cost, shortTime(job.created_at), truncate(job.prompt, 40)]),
          { right: [4] },
        ),
      );
      if (page.next_cursor) println(ctx.io.stderr, `more: kontext jobs list --cursor ${page.next_cursor}`);
    });
}
