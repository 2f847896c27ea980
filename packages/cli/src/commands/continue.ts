import type { Command } from 'commander';
import type { CommandContext } from '../context.ts';
import { addSubmitOptions, runSubmit, submitOptionsOf, type JobOptions } from '../job-run.ts';

export function registerContinue(program: Command, ctx: CommandContext): void {
  addSubmitOptions(
    program
      .command('continue')
      .description('edit a job’s output again, inheriting its model, size, format, sampling and references (editing one job twice branches)')
      .argument('<job_id>', 'the job whose output to edit')
      .argument('<prompt>', 'what to change'),
  ).action(async (jobId: string, prompt: string, options: JobOptions) => {
    await runSubmit(ctx, options, (client) =>
      client.continueEdit(jobId, { prompt, ...(options.ref ? { references: options.ref } : {}), ...submitOptionsOf(options) }),
    );
  });
}
