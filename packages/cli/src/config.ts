import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { UsageError } from './errors.ts';

// Where the CLI keeps the key `kontext login` checked, and how a command decides which server and
// key to use: flags, then the environment, then the config file, then the local platform's address.

export const DEFAULT_BASE_URL = 'http://localhost:8787';

export interface StoredConfig {
  baseUrl: string;
  apiKey: string;
}

export interface Connection {
  baseUrl: string;
  apiKey: string;
}

export interface ConnectionFlags {
  baseUrl?: string | undefined;
  apiKey?: string | undefined;
}

type Env = Record<string, string | undefined>;

/** A blank variable counts as unset, as everywhere else in the platform. */
function variable(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** `$XDG_CONFIG_HOME/kontext/config.json`, `~/.config/kontext/config.json` without it (or with a relative one, which the spec says to ignore). */
export function configPath(env: Env): string {
  const xdg = variable(env, 'XDG_CONFIG_HOME');
  const base = xdg && isAbsolute(xdg) ? xdg : join(variable(env, 'HOME') ?? homedir(), '.config');
  return join(base, 'kontext', 'config.json');
}

export async function readConfig(path: string): Promise<StoredConfig | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`${path} is not valid JSON; run \`kontext login\` again (or \`kontext logout\` to remove it)`);
  }
  if (!isRecord(parsed) || typeof parsed.baseUrl !== 'string' || typeof parsed.apiKey !== 'string') {
    throw new UsageError(`${path} does not hold { baseUrl, apiKey }; run \`kontext login\` again (or \`kontext logout\` to remove it)`);
  }
  return { baseUrl: parsed.baseUrl, apiKey: parsed.apiKey };
}

/**
 * Writes the config so that no other user can read it at any moment: the directory 700, the file
 * created 600 under a temporary name in the same directory and renamed over the old one.
 */
export async function writeConfig(path: string, config: StoredConfig): Promise<void> {
  const directory = dirname(path);
  await mkdir(directory, { recursive: true, mode: 0o700 });
  await chmod(directory, 0o700);
  const temporary = join(directory, `.config.json.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify({ baseUrl: config.baseUrl, apiKey: config.apiKey }, null, 2)}\n`);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Removes the stored key; says whether there was one. */
export async function removeConfig(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return false;
    throw error;
  }
}

/** The base URL alone (for login, which brings its own key): flag, environment, config, default. */
export function resolveBaseUrl(flags: ConnectionFlags, env: Env, config: StoredConfig | undefined): string {
  return normaliseBaseUrl(flags.baseUrl ?? variable(env, 'KONTEXT_BASE_URL') ?? config?.baseUrl ?? DEFAULT_BASE_URL);
}

/** Each of the two settings by the same precedence: flag, environment, config file (and the default address). */
export function resolveConnection(flags: ConnectionFlags, env: Env, config: StoredConfig | undefined): Connection {
  const apiKey = flags.apiKey?.trim() || variable(env, 'KONTEXT_API_KEY') || config?.apiKey;
  if (!apiKey) throw new UsageError('no API key: run `kontext login`, or set KONTEXT_API_KEY (or pass --api-key)');
  return { baseUrl: resolveBaseUrl(flags, env, config), apiKey };
}

export function normaliseBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`base URL ${JSON.stringify(value)} is not a URL (e.g. http://localhost:8787)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`base URL ${JSON.stringify(value)} must be http or https`);
  return url.href.replace(/\/+$/, '');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
