import type { Command } from 'commander';
import { integer } from '../../arguments.ts';
import type { CommandContext } from '../../context.ts';
import { printJson, shortTime } from '../../format.ts';
import { println } from '../../io.ts';
import { printOnce } from '../../secret-notice.ts';

export function registerWebhooksRotateSecret(webhooks: Command, ctx: CommandContext): void {
  webhooks
    .command('rotate-secret')
    .description('a new signing secret (printed once); deliveries carry both signatures until the overlap ends')
    .argument('<endpoint_id>')
    .option('--overlap-seconds <n>', 'how long the previous secret keeps signing too (default 24 hours)', integer)
    .option('--json', 'print the API’s answer (the secret included) as JSON')
    .action(async (endpointId: string, options: { overlapSeconds?: number; json?: boolean }) => {
      const client = await ctx.client();
      const rotated = await client.webhooks.endpoints.rotateSecret(endpointId, options.overlapSeconds !== undefined ? { overlap_seconds: options.overlapSeconds } : {});
      if (options.json) return printJson(ctx.io.stdout, rotated);
      printOnce(ctx.io.stdout, `Rotated the secret of ${rotated.id}. The new secret:`, rotated.secret, 'secret');
      if (rotated.secret_rotation_ends_at) println(ctx.io.stdout, `The previous secret signs too until ${shortTime(rotated.secret_rotation_ends_at)}.`);
    });
}
