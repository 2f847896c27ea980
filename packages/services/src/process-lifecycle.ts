import { checkEnvironment } from '@kontext/settings';
import type { z } from 'zod';
import { errorFields, type Logger } from './logger.ts';

// What every standalone process's composition root does the same way: refuse to start on a bad
// environment, and stop once on SIGTERM or SIGINT.

/** The validated environment, or the problems on stderr and exit code 1 (no stack trace for a typo). */
export function environmentOrExit<Schema extends z.ZodType>(
  schema: Schema,
  env: Record<string, string | undefined>,
  what?: string,
): z.infer<Schema> {
  const checked = checkEnvironment(schema, env, what);
  if (checked.ok) return checked.config;
  process.stderr.write(`${checked.message}\n`);
  process.exit(1);
}

/**
 * Runs `stop` once, on the first SIGTERM or SIGINT, logging `<service> stopping`; a failure is
 * logged and leaves exit code 1. Returns whether a stop has begun, for loops that must not
 * start new work meanwhile.
 */
export function stopOnSignals(log: Logger, service: string, stop: () => Promise<void>): { readonly stopping: boolean } {
  const state = { stopping: false };
  const shutdown = async (signal: NodeJS.Signals) => {
    if (state.stopping) return;
    state.stopping = true;
    log.info(`${service} stopping`, { signal });
    try {
      await stop();
    } catch (error) {
      log.error(`unclean ${service} shutdown`, errorFields(error));
      process.exitCode = 1;
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  return state;
}
