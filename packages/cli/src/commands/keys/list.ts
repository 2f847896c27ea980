import type { Command } from 'commander';
import type { CommandContext } from '../../context.ts';
import { printJson, renderTable, shortTime } from '../../format.ts';
import { println } from '../../io.ts';

export function registerKeysList(keys: Command, ctx: CommandContext): void {
  keys
    .command('list')
    .description('every key, newest first (never the keys themselves: only their first and last characters)')
    .option('--json', 'print the API’s answer as JSON')
    .action(async (options: { json?: boolean }) => {
      const client = await ctx.client();
      const list = await client.keys.list();
      if (options.json) return printJson(ctx.io.stdout, list);
      if (list.data.length === 0) return println(ctx.io.stdout, 'No keys.');
      println(
        ctx.io.stdout,
        renderTable(
          ['ID', 'NAME', 'KEY', 'MODE', 'STATUS', 'SCOPES', 'CREATED', 'LAST USED', 'EXPIRES'],
          list.data.map((key) => [
            key.id,
            key.name,
            `${key.prefix}…${key.last_four}`,
            key.mode,
            key.status,
            key.scopes.join(' '),
            shortTime(key.created_at),
            shortTime(key.last_used_at),
            shortTime(key.expires_at),
          ]),
        ),
      );
    });
}
