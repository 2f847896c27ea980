import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ADMIN_CLI_SETTINGS, checkSettings } from '@kontext/settings';

// The operator CLI: each command is one operator API call. Output is the JSON the API returns;
// errors print the problem's detail and exit with status 1.

export const HELP = `Usage: npm run admin -- <command> [options]

Commands:
  tenants create --name <name> [--credits <n>] [limit options]
  tenants list [--after <cursor>] [--limit <n>]
  tenants get <tenant-id>
  tenants update <tenant-id> [limit options]
  credits add <tenant-id> --amount=<n> --reason <text>      (--amount=-50 removes credits)
  keys create <tenant-id> --name <name> [--mode live|test] [--scopes a,b]
  users invite <tenant-id> --email <address> --role owner|admin|developer|billing|viewer [--expires-in-hours <n>]
                                                          (mails the link; prints it too, as accept_url)
  usage [--tenant <tenant-id>] [--from <iso>] [--to <iso>] [--granularity hour|day] [--group-by model|key|status|mode|none]

Limit options: --max-active-jobs <n> --requests-per-minute <n> --allowed-models <a,b|all> --retention-days <n>

Connection: --url <base url> (or KONTEXT_API_URL; default http://localhost:$PORT, PORT defaulting to 8787)
            --token-file <file> (or KONTEXT_ADMIN_TOKEN; default $DATA_DIR/admin-token, DATA_DIR defaulting to .data)`;

const OPTIONS = {
  url: { type: 'string' },
  'token-file': { type: 'string' },
  name: { type: 'string' },
  credits: { type: 'string' },
  amount: { type: 'string' },
  reason: { type: 'string' },
  mode: { type: 'string' },
  scopes: { type: 'string' },
  after: { type: 'string' },
  limit: { type: 'string' },
  tenant: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  granularity: { type: 'string' },
  'group-by': { type: 'string' },
  email: { type: 'string' },
  role: { type: 'string' },
  'expires-in-hours': { type: 'string' },
  'max-active-jobs': { type: 'string' },
  'requests-per-minute': { type: 'string' },
  'allowed-models': { type: 'string' },
  'retention-days': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export class CliError extends Error {}

interface Request {
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  body?: unknown;
}

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new CliError(`--${flag} must be a whole number`);
  return Number(value);
}

function limitsFrom(values: Values): Record<string, unknown> | undefined {
  const limits: Record<string, unknown> = {};
  const maxActive = integer(values['max-active-jobs'], 'max-active-jobs');
  const rpm = integer(values['requests-per-minute'], 'requests-per-minute');
  const retention = integer(values['retention-days'], 'retention-days');
  if (maxActive !== undefined) limits.max_active_jobs = maxActive;
  if (rpm !== undefined) limits.requests_per_minute_per_key = rpm;
  if (retention !== undefined) limits.retention_days = retention;
  if (values['allowed-models'] !== undefined) {
    limits.allowed_models = values['allowed-models'] === 'all' ? null : values['allowed-models'].split(',').map((m) => m.trim());
  }
  return Object.keys(limits).length > 0 ? limits : undefined;
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === '') throw new CliError(`${what} is required (see --help)`);
  return value;
}

/** Turns command-line arguments into the operator API call they stand for. */
export function toRequest(args: string[]): Request | 'help' {
  const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true });
  if (values.help || positionals.length === 0) return 'help';
  const [noun, verb, target] = positionals;
  const command = noun === 'usage' ? 'usage' : `${noun} ${verb ?? ''}`.trim();
  switch (command) {
    case 'tenants create':
      return {
        method: 'POST',
        path: '/admin/v1/tenants',
        body: { name: required(values.name, '--name'), credits: integer(values.credits, 'credits'), limits: limitsFrom(values) },
      };
    case 'tenants list': {
      const query = new URLSearchParams();
      if (values.after) query.set('after', values.after);
      if (values.limit) query.set('limit', String(integer(values.limit, 'limit')));
      return { method: 'GET', path: `/admin/v1/tenants${query.size ? `?${query}` : ''}` };
    }
    case 'tenants get':
      return { method: 'GET', path: `/admin/v1/tenants/${encodeURIComponent(required(target, 'the tenant id'))}` };
    case 'tenants update':
      return {
        method: 'PATCH',
        path: `/admin/v1/tenants/${encodeURIComponent(required(target, 'the tenant id'))}`,
        body: { limits: required(limitsFrom(values), 'at least one limit option') },
      };
    case 'credits add':
      return {
        method: 'POST',
        path: `/admin/v1/tenants/${encodeURIComponent(required(verb === 'add' ? target : undefined, 'the tenant id'))}/credits`,
        body: { amount: required(integer(values.amount, 'amount'), '--amount'), reason: required(values.reason, '--reason') },
      };
    case 'keys create':
      return {
        method: 'POST',
        path: `/admin/v1/tenants/${encodeURIComponent(required(target, 'the tenant id'))}/keys`,
        body: {
          name: required(values.name, '--name'),
          mode: values.mode ?? 'live',
          ...(values.scopes ? { scopes: values.scopes.split(',').map((s) => s.trim()) } : {}),
        },
      };
    case 'users invite': {
      const hours = integer(values['expires-in-hours'], 'expires-in-hours');
      return {
        method: 'POST',
        path: `/admin/v1/tenants/${encodeURIComponent(required(target, 'the tenant id'))}/invitations`,
        body: { email: required(values.email, '--email'), role: required(values.role, '--role'), ...(hours !== undefined ? { expires_in_hours: hours } : {}) },
      };
    }
    case 'usage': {
      const query = new URLSearchParams();
      if (values.tenant) query.set('tenant_id', values.tenant);
      if (values.from) query.set('from', values.from);
      if (values.to) query.set('to', values.to);
      if (values.granularity) query.set('granularity', values.granularity);
      if (values['group-by']) query.set('group_by', values['group-by']);
      return { method: 'GET', path: `/admin/v1/usage${query.size ? `?${query}` : ''}` };
    }
    default:
      throw new CliError(`unknown command "${positionals.join(' ')}" (see --help)`);
  }
}

// PORT and DATA_DIR are `npm start`'s own variables, with its defaults (packages/settings), so the
// CLI finds a local platform started with the same environment without being told where it is.
export function resolveConnection(args: string[], env: NodeJS.ProcessEnv, cwd: string): { url: string; token: string } {
  const { values } = parseArgs({ args, options: OPTIONS, allowPositionals: true });
  const checked = checkSettings(ADMIN_CLI_SETTINGS, env);
  if (!checked.ok) throw new CliError(checked.message);
  const settings = checked.config;
  const url = (values.url ?? settings.KONTEXT_API_URL ?? `http://localhost:${settings.PORT}`).replace(/\/+$/, '');
  // resolve, not join: an absolute DATA_DIR must stay absolute.
  const tokenFile = values['token-file'] ?? resolve(cwd, settings.DATA_DIR, 'admin-token');
  const token = settings.KONTEXT_ADMIN_TOKEN ?? (existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined);
  if (!token) throw new CliError(`no admin token: set KONTEXT_ADMIN_TOKEN or pass --token-file (looked in ${tokenFile})`);
  return { url, token };
}

export async function run(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ exitCode: number; output: string }> {
  try {
    const request = toRequest(args);
    if (request === 'help') return { exitCode: 0, output: HELP };
    const { url, token } = resolveConnection(args, env, cwd);
    const response = await fetch(`${url}${request.path}`, {
      method: request.method,
      headers: { authorization: `Bearer ${token}`, ...(request.body ? { 'content-type': 'application/json' } : {}) },
      ...(request.body ? { body: JSON.stringify(request.body) } : {}),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: print as is
    }
    if (!response.ok) {
      const detail = typeof body === 'object' && body !== null && 'detail' in body ? String(body.detail) : text;
      return { exitCode: 1, output: `error ${response.status}: ${detail}` };
    }
    return { exitCode: 0, output: JSON.stringify(body, null, 2) };
  } catch (error) {
    if (error instanceof CliError) return { exitCode: 1, output: `error: ${error.message}` };
    // node:util parseArgs reports unknown or malformed options with ERR_PARSE_ARGS_* codes.
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      return { exitCode: 1, output: `error: ${error.message} (see --help)` };
    }
    if (error instanceof TypeError) return { exitCode: 1, output: `error: could not reach the API (${error.message})` };
    throw error;
  }
}
