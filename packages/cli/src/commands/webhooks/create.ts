import type { Command } from 'commander';
import { commaList } from '../../arguments.ts';
import type { CommandContext } from '../../context.ts';
import { printJson } from '../../format.ts';
import { printOnce } from '../../secret-notice.ts';
import { WEBHOOK_EVENTS, webhookEvents } from '../../webhook-events.ts';

interface CreateOptions {
  url: string;
  events?: string[];
  description?: string;
  json?: boolean;
}

export function registerWebhooksCreate(webhooks: Command, ctx: CommandContext): void {
  webhooks
    .command('create')
    .description('register an endpoint; its signing secret is printed once')
    .requiredOption('--url <url>', 'where deliveries are POSTed')
    .option('--events <a,b>', `comma-separated, among ${WEBHOOK_EVENTS.join(', ')} (default: all)`, commaList)
    .option('--description <text>', 'a note for yourself')
    .option('--json', 'print the API’s answer (the secret included) as JSON')
    .action(async (options: CreateOptions) => {
      const client = await ctx.client();
      const created = await client.webhooks.endpoints.create({
        url: options.url,
        ...(options.events ? { events: webhookEvents(options.events) } : {}),
        ...(options.description !== undefined ? { description: options.description } : {}),
      });
      if (options.json) return printJson(ctx.io.stdout, created);
      printOnce(ctx.io.stdout, `Created ${created.id} for ${created.url} (${created.events.join(' ')}). Its signing secret:`, created.secret, 'secret');
    });
}
