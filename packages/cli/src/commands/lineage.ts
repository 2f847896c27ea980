import type { Command } from 'commander';
import type { CommandContext } from '../context.ts';
import { printJson } from '../format.ts';
import { println } from '../io.ts';
import { MARK, lineageTree, renderTree } from '../tree.ts';

export function registerLineage(program: Command, ctx: CommandContext): void {
  program
    .command('lineage')
    .description(`a job's lineage as a tree: its ancestors back to the first edit, and every edit below it (the job asked for marked ${MARK})`)
    .argument('<job_id>')
    .option('--json', 'print the lineage as the API answers it')
    .action(async (jobId: string, options: { json?: boolean }) => {
      const client = await ctx.client();
      const lineage = await client.job(jobId).lineage();
      if (options.json) return printJson(ctx.io.stdout, lineage);
      println(ctx.io.stdout, renderTree(lineageTree(lineage), lineage.job_id));
    });
}
