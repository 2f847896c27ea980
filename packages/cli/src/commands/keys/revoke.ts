import type { Command } from 'commander';
import type { CommandContext } from '../../context.ts';
import { printJson } from '../../format.ts';
import { println } from '../../io.ts';

export function registerKeysRevoke(keys: Command, ctx: CommandContext): void {
  keys
    .command('revoke')
    .description('stop a key working, at once (every API process within seconds)')
    .argument('<key_id>')
    .option('--json', 'print the key record as JSON')
    .action(async (keyId: string, options: { json?: boolean }) => {
      const client = await ctx.client();
      const revoked = await client.keys.revoke(keyId);
      if (options.json) return printJson(ctx.io.stdout, revoked);
      println(ctx.io.stdout, `${revoked.id} ${revoked.status}`);
    });
}
