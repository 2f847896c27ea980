import type { Command } from 'commander';
import type { CommandContext } from '../../context.ts';
import { printJson } from '../../format.ts';
import { println } from '../../io.ts';

export function registerJobsCancel(jobs: Command, ctx: CommandContext): void {
  jobs
    .command('cancel')
    .description('cancel a queued or running job (its credits are refunded); a finished job is a refusal')
    .argument('<job_id>')
    .option('--json', 'print the job record as JSON')
    .action(async (jobId: string, options: { json?: boolean }) => {
      const client = await ctx.client();
      const job = await client.job(jobId).cancel();
      if (options.json) return printJson(ctx.io.stdout, job);
      println(ctx.io.stdout, `${job.id} ${job.status}`);
    });
}
