import { Command, CommanderError } from 'commander';
import { registerContinue } from './commands/continue.ts';
import { registerCredits } from './commands/credits.ts';
import { registerEdit } from './commands/edit.ts';
import { registerGenerate } from './commands/generate.ts';
import { registerJobs } from './commands/jobs/index.ts';
import { registerKeys } from './commands/keys/index.ts';
import { registerLineage } from './commands/lineage.ts';
import { registerLogin } from './commands/login.ts';
import { registerLogout } from './commands/logout.ts';
import { registerUsage } from './commands/usage.ts';
import { registerWebhooks } from './commands/webhooks/index.ts';
import { DEFAULT_BASE_URL } from './config.ts';
import { CLI_VERSION, createContext } from './context.ts';
import { EXIT, EXIT_CODES_HELP, describeFailure } from './errors.ts';
import { println, processIo, type CliIo } from './io.ts';

// `kontext`, the tenant's command line: parses the arguments, runs one command through the SDK,
// and turns how it ended into an exit code. Nothing here talks HTTP itself.

const ENVIRONMENT_HELP = `Environment:
  KONTEXT_API_KEY    the API key (over the stored one; --api-key over both)
  KONTEXT_BASE_URL   the API's address (over the stored one; --base-url over both; default ${DEFAULT_BASE_URL})
  XDG_CONFIG_HOME    where \`kontext login\` stores kontext/config.json (default ~/.config)
  KONTEXT_DEBUG=1    print the stack of an unexpected error`;

const IMAGES_HELP = `Images (edit's <image>, --ref): a file path, an http(s) URL, an asset id (ast_…) or a job id (job_…, its output).`;

/** Runs one command line; resolves with the exit code (it never exits the process itself). */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const program = new Command('kontext');
  // Output routing and exit handling first: subcommands copy these settings when they are made.
  program
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
    })
    .showHelpAfterError('(see kontext --help)')
    .configureHelp({ showGlobalOptions: true });
  const ctx = createContext(io, program);
  program
    .description('The command line for a FLUX.1 Kontext platform: edit and generate images, follow jobs and lineage, read usage and credits, manage keys and webhooks.')
    .version(CLI_VERSION, '-V, --version', 'print the version')
    .option('--base-url <url>', `the API's address (default: KONTEXT_BASE_URL, the stored login, ${DEFAULT_BASE_URL})`)
    .option('--api-key <key>', 'the API key (default: KONTEXT_API_KEY, the stored login)')
    .helpOption('-h, --help', 'show help')
    .addHelpText('after', `\n${IMAGES_HELP}\n\n${ENVIRONMENT_HELP}\n\n${EXIT_CODES_HELP}`);

  registerLogin(program, ctx);
  registerLogout(program, ctx);
  registerEdit(program, ctx);
  registerGenerate(program, ctx);
  registerContinue(program, ctx);
  registerJobs(program, ctx);
  registerLineage(program, ctx);
  registerUsage(program, ctx);
  registerCredits(program, ctx);
  registerKeys(program, ctx);
  registerWebhooks(program, ctx);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed the message (or the help) already.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT.ok : EXIT.usage;
    }
    const failure = describeFailure(error, { debug: io.env.KONTEXT_DEBUG === '1', baseUrl: ctx.baseUrl });
    for (const line of failure.lines) println(io.stderr, line);
    return failure.code;
  }
}
