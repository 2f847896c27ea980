import type { Command } from 'commander';
import type { CommandContext } from '../../context.ts';
import { addOutputOptions, checkOutputDirectory, waitAndSave } from '../../job-run.ts';

export function registerJobsWait(jobs: Command, ctx: CommandContext): void {
  addOutputOptions(jobs.command('wait').description('wait for a job to finish and download its image').argument('<job_id>')).action(
    async (jobId: string, options: { output?: string; json?: boolean }) => {
      const client = await ctx.client();
      await checkOutputDirectory(ctx, options.output);
      await waitAndSave(ctx, client.job(jobId), options);
    },
  );
}
