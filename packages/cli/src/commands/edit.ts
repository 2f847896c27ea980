import type { Command } from 'commander';
import type { CommandContext } from '../context.ts';
import { addSubmitOptions, runSubmit, submitOptionsOf, type JobOptions } from '../job-run.ts';

export function registerEdit(program: Command, ctx: CommandContext): void {
  addSubmitOptions(
    program
      .command('edit')
      .description('edit an image: a file, an http(s) URL, or an asset or job id (that job’s output)')
      .argument('<image>', 'the image to edit')
      .argument('<prompt>', 'what to change'),
  ).action(async (image: string, prompt: string, options: JobOptions) => {
    await runSubmit(ctx, options, (client) =>
      client.edit({ image, prompt, ...(options.ref ? { references: options.ref } : {}), ...submitOptionsOf(options) }),
    );
  });
}
