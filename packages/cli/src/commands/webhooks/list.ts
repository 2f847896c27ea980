import type { Command } from 'commander';
import type { CommandContext } from '../../context.ts';
import { printJson, renderTable, shortTime } from '../../format.ts';
import { println } from '../../io.ts';

export function registerWebhooksList(webhooks: Command, ctx: CommandContext): void {
  webhooks
    .command('list')
    .description('the registered endpoints')
    .option('--json', 'print the API’s answer as JSON')
    .action(async (options: { json?: boolean }) => {
      const client = await ctx.client();
      const list = await client.webhooks.endpoints.list();
      if (options.json) return printJson(ctx.io.stdout, list);
      if (list.data.length === 0) return println(ctx.io.stdout, 'No webhook endpoints.');
      println(
        ctx.io.stdout,
        renderTable(
          ['ID', 'URL', 'EVENTS', 'STATUS', 'DESCRIPTION', 'CREATED'],
          list.data.map((endpoint) => [
            endpoint.id,
            endpoint.url,
            endpoint.events.join(' '),
            `${endpoint.status}${endpoint.disabled_reason ? ` (${endpoint.disabled_reason})` : ''}`,
            endpoint.description,
            shortTime(endpoint.created_at),
          ]),
        ),
      );
    });
}
