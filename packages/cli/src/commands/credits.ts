import type { Command } from 'commander';
import type { CommandContext } from '../context.ts';
import { printJson, renderFields } from '../format.ts';
import { println } from '../io.ts';

export function registerCredits(program: Command, ctx: CommandContext): void {
  program
    .command('credits')
    .description('credits available now, and those held by unfinished jobs (1 credit = $0.01)')
    .option('--json', 'print the API’s answer as JSON')
    .action(async (options: { json?: boolean }) => {
      const client = await ctx.client();
      const credits = await client.credits();
      if (options.json) return printJson(ctx.io.stdout, credits);
      println(ctx.io.stdout, renderFields([['available', credits.credits], ['reserved', credits.reserved]]));
    });
}
