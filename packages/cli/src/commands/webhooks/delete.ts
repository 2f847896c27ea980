import type { Command } from 'commander';
import type { CommandContext } from '../../context.ts';
import { println } from '../../io.ts';

export function registerWebhooksDelete(webhooks: Command, ctx: CommandContext): void {
  webhooks
    .command('delete')
    .description('remove an endpoint (its pending deliveries fail; the delivery log stays)')
    .argument('<endpoint_id>')
    .action(async (endpointId: string) => {
      const client = await ctx.client();
      await client.webhooks.endpoints.delete(endpointId);
      println(ctx.io.stdout, `${endpointId} deleted`);
    });
}
