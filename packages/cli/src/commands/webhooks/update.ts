import type { Command } from 'commander';
import { commaList } from '../../arguments.ts';
import type { CommandContext } from '../../context.ts';
import { UsageError } from '../../errors.ts';
import { printJson } from '../../format.ts';
import { println } from '../../io.ts';
import { webhookEvents } from '../../webhook-events.ts';

interface UpdateOptions {
  url?: string;
  events?: string[];
  description?: string;
  enable?: boolean;
  json?: boolean;
}

export function registerWebhooksUpdate(webhooks: Command, ctx: CommandContext): void {
  webhooks
    .command('update')
    .description('change an endpoint’s URL, events or description, or enable it again')
    .argument('<endpoint_id>')
    .option('--url <url>', 'a new target')
    .option('--events <a,b>', 'the events to send (replaces the list)', commaList)
    .option('--description <text>', 'a new note')
    .option('--enable', 're-enable an endpoint that was disabled (e.g. after it answered 410)')
    .option('--json', 'print the endpoint as JSON')
    .action(async (endpointId: string, options: UpdateOptions) => {
      const update = {
        ...(options.url !== undefined ? { url: options.url } : {}),
        ...(options.events ? { events: webhookEvents(options.events) } : {}),
        ...(options.description !== undefined ? { description: options.description } : {}),
        ...(options.enable ? { enabled: true as const } : {}),
      };
      if (Object.keys(update).length === 0) throw new UsageError('nothing to change: give --url, --events, --description or --enable');
      const client = await ctx.client();
      const endpoint = await client.webhooks.endpoints.update(endpointId, update);
      if (options.json) return printJson(ctx.io.stdout, endpoint);
      println(ctx.io.stdout, `${endpoint.id} ${endpoint.status}: ${endpoint.url} (${endpoint.events.join(' ')})`);
    });
}
