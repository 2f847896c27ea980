import type { Command } from 'commander';
import { removeConfig } from '../config.ts';
import type { CommandContext } from '../context.ts';
import { println } from '../io.ts';

export function registerLogout(program: Command, ctx: CommandContext): void {
  program
    .command('logout')
    .description('remove the stored key (the key itself stays valid; revoke it with `kontext keys revoke`)')
    .action(async () => {
      const removed = await removeConfig(ctx.configFile);
      println(ctx.io.stdout, removed ? `Removed ${ctx.configFile}.` : `Not logged in (no ${ctx.configFile}).`);
    });
}
