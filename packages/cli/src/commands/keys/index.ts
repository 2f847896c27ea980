import type { Command } from 'commander';
import type { CommandContext } from '../../context.ts';
import { registerKeysCreate } from './create.ts';
import { registerKeysList } from './list.ts';
import { registerKeysRevoke } from './revoke.ts';
import { registerKeysRotate } from './rotate.ts';

export function registerKeys(program: Command, ctx: CommandContext): void {
  const keys = program.command('keys').description('the tenant’s API keys (needs a key with keys:write)');
  registerKeysList(keys, ctx);
  registerKeysCreate(keys, ctx);
  registerKeysRotate(keys, ctx);
  registerKeysRevoke(keys, ctx);
}
