import type { Command } from 'commander';
import { integer } from '../../arguments.ts';
import type { CommandContext } from '../../context.ts';
import { printJson, shortTime } from '../../format.ts';
import { println } from '../../io.ts';
import { printOnce } from '../../secret-notice.ts';

export function registerKeysRotate(keys: Command, ctx: CommandContext): void {
  keys
    .command('rotate')
    .description('issue a replacement with the same name, scopes and mode (printed once); the old key works for a grace period')
    .argument('<key_id>')
    .option('--grace-seconds <n>', 'how long the old key keeps working (default 24 hours)', integer)
    .option('--json', 'print the API’s answer (the new key included) as JSON')
    .action(async (keyId: string, options: { graceSeconds?: number; json?: boolean }) => {
      const client = await ctx.client();
      const rotated = await client.keys.rotate(keyId, options.graceSeconds !== undefined ? { grace_seconds: options.graceSeconds } : {});
      if (options.json) return printJson(ctx.io.stdout, rotated);
      printOnce(ctx.io.stdout, `Rotated ${keyId}: the new key is ${rotated.key.id} "${rotated.key.name}". The key:`, rotated.key.key, 'new key');
      println(ctx.io.stdout, `The old key stops working at ${shortTime(rotated.old_key_expires_at)}.`);
    });
}
