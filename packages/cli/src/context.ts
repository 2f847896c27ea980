import { Kontext } from '@kontext/sdk';
import type { Command } from 'commander';
import { configPath, readConfig, resolveConnection, type Connection, type ConnectionFlags } from './config.ts';
import type { CliIo } from './io.ts';

// What every command gets: the process's streams and environment, the config file's place, and
// the client for the connection that flags, environment and config file decide on.

export const CLI_VERSION = '0.1.0';

export interface CommandContext {
  io: CliIo;
  /** Where `kontext login` stores the key. */
  configFile: string;
  /** The global --base-url and --api-key, as given. */
  flags(): ConnectionFlags;
  /** The server and key this command uses; a usage error when there is no key anywhere. */
  connection(): Promise<Connection>;
  /** An SDK client for `connection()`, or for the connection given (login checks a key it was handed). */
  client(connection?: Connection): Promise<Kontext>;
  /** The base URL of the last connection made, to name it when it cannot be reached. */
  readonly baseUrl: string | undefined;
}

export function createContext(io: CliIo, program: Command): CommandContext {
  const configFile = configPath(io.env);
  let resolved: Connection | undefined;
  const flags = (): ConnectionFlags => {
    const options = program.opts<{ baseUrl?: string; apiKey?: string }>();
    return { baseUrl: options.baseUrl, apiKey: options.apiKey };
  };
  const connection = async () => {
    resolved ??= resolveConnection(flags(), io.env, await readConfig(configFile));
    return resolved;
  };
  return {
    io,
    configFile,
    flags,
    connection,
    async client(given?: Connection) {
      if (given) resolved = given;
      const { baseUrl, apiKey } = given ?? (await connection());
      return new Kontext({ baseUrl, apiKey, userAgent: `kontext-cli/${CLI_VERSION}` });
    },
    get baseUrl() {
      return resolved?.baseUrl;
    },
  };
}
