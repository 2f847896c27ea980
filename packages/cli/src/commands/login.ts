import type { Command } from 'commander';
import { readConfig, resolveBaseUrl, writeConfig } from '../config.ts';
import type { CommandContext } from '../context.ts';
import { println } from '../io.ts';
import { readSecret } from '../secret-input.ts';

export function registerLogin(program: Command, ctx: CommandContext): void {
  program
    .command('login')
    .description('check an API key against the server and store it (with the base URL) for later commands')
    .addHelpText(
      'after',
      '\nThe key comes from --api-key, else a prompt (typing is not shown), else stdin when piped:\n' +
        '  pass show kontext | kontext login --base-url https://kontext.example.com\n' +
        `Stored in $XDG_CONFIG_HOME/kontext/config.json (default ~/.config/kontext/), readable by you alone.`,
    )
    .action(async () => {
      const { io } = ctx;
      const flags = ctx.flags();
      // Logging in again (a rotated key) keeps the stored server unless told otherwise; a stored
      // file that cannot be read is about to be replaced anyway.
      const stored = await readConfig(ctx.configFile).catch(() => undefined);
      const baseUrl = resolveBaseUrl(flags, io.env, stored);
      const apiKey = flags.apiKey?.trim() || (await readSecret(io.stdin, io.stderr, `API key for ${baseUrl}: `));
      const client = await ctx.client({ baseUrl, apiKey });
      const credits = await client.credits();
      await writeConfig(ctx.configFile, { baseUrl, apiKey });
      println(io.stdout, `Logged in to ${baseUrl} (${credits.credits} credits available). Key saved in ${ctx.configFile}.`);
    });
}
