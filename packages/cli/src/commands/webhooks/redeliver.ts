import type { Command } from 'commander';
import type { CommandContext } from '../../context.ts';
import { printJson } from '../../format.ts';
import { println } from '../../io.ts';

export function registerWebhooksRedeliver(webhooks: Command, ctx: CommandContext): void {
  webhooks
    .command('redeliver')
    .description('send a delivery again (same webhook-id)')
    .argument('<delivery_id>')
    .option('--json', 'print the delivery as JSON')
    .action(async (deliveryId: string, options: { json?: boolean }) => {
      const client = await ctx.client();
      const delivery = await client.webhooks.deliveries.redeliver(deliveryId);
      if (options.json) return printJson(ctx.io.stdout, delivery);
      println(ctx.io.stdout, `${delivery.id} queued for delivery to ${delivery.url} (${delivery.status})`);
    });
}
