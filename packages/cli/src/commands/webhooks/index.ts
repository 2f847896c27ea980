import type { Command } from 'commander';
import type { CommandContext } from '../../context.ts';
import { registerWebhooksCreate } from './create.ts';
import { registerWebhooksDelete } from './delete.ts';
import { registerWebhooksDeliveries } from './deliveries.ts';
import { registerWebhooksList } from './list.ts';
import { registerWebhooksRedeliver } from './redeliver.ts';
import { registerWebhooksRotateSecret } from './rotate-secret.ts';
import { registerWebhooksUpdate } from './update.ts';

export function registerWebhooks(program: Command, ctx: CommandContext): void {
  const webhooks = program.command('webhooks').description('registered webhook endpoints and the log of their deliveries');
  registerWebhooksList(webhooks, ctx);
  registerWebhooksCreate(webhooks, ctx);
  registerWebhooksUpdate(webhooks, ctx);
  registerWebhooksDelete(webhooks, ctx);
  registerWebhooksRotateSecret(webhooks, ctx);
  registerWebhooksDeliveries(webhooks, ctx);
  registerWebhooksRedeliver(webhooks, ctx);
}
