import { Option, type Command } from 'commander';
import type { ApiKeyScope } from '@kontext/sdk';
import { commaList } from '../../arguments.ts';
import type { CommandContext } from '../../context.ts';
import { UsageError } from '../../errors.ts';
import { printJson } from '../../format.ts';
import { printOnce } from '../../secret-notice.ts';

const SCOPES = ['jobs:write', 'jobs:read', 'usage:read', 'credits:read', 'webhooks:read', 'webhooks:write', 'keys:write'] as const satisfies readonly ApiKeyScope[];

function scopesOf(names: string[]): ApiKeyScope[] {
  return names.map((name) => {
    const scope = SCOPES.find((known) => known === name);
    if (!scope) throw new UsageError(`--scopes: unknown scope ${JSON.stringify(name)} (one of ${SCOPES.join(', ')})`);
    return scope;
  });
}

interface CreateOptions {
  name: string;
  scopes?: string[];
  mode?: 'live' | 'test';
  json?: boolean;
}

export function registerKeysCreate(keys: Command, ctx: CommandContext): void {
  keys
    .command('create')
    .description('issue a new key (printed once)')
    .requiredOption('--name <name>', 'shown in key listings')
    .option('--scopes <a,b>', `comma-separated, among ${SCOPES.join(', ')} (default: all but keys:write)`, commaList)
    .addOption(new Option('--mode <mode>', 'test keys run on the preview engine and cost nothing (default live)').choices(['live', 'test']))
    .option('--json', 'print the API’s answer (the key included) as JSON')
    .action(async (options: CreateOptions) => {
      const client = await ctx.client();
      const created = await client.keys.create({
        name: options.name,
        ...(options.scopes ? { scopes: scopesOf(options.scopes) } : {}),
        ...(options.mode ? { mode: options.mode } : {}),
      });
      if (options.json) return printJson(ctx.io.stdout, created);
      printOnce(ctx.io.stdout, `Created ${created.id} "${created.name}" (${created.mode}; ${created.scopes.join(' ')}). The key:`, created.key, 'key');
    });
}
