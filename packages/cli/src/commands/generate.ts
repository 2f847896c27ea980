import type { Command } from 'commander';
import type { CommandContext } from '../context.ts';
import { addSubmitOptions, runSubmit, submitOptionsOf, type JobOptions } from '../job-run.ts';

export function registerGenerate(program: Command, ctx: CommandContext): void {
  addSubmitOptions(
    program
      .command('generate')
      .description('make an image from text (references optional)')
      .argument('<prompt>', 'what to draw'),
  ).action(async (prompt: string, options: JobOptions) => {
    await runSubmit(ctx, options, (client) =>
      client.generate({ prompt, ...(options.ref ? { references: options.ref } : {}), ...submitOptionsOf(options) }),
    );
  });
}
