import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../../test/harness/api-client.ts';
import { startTestPlatform, type TestPlatform } from '../../../test/harness/platform.ts';
import { spawnNode } from '../../../test/harness/processes.ts';
import { HELP, resolveConnection, run, toRequest } from '../src/run.ts';

let platform: TestPlatform;
let workDir: string;

beforeAll(async () => {
  platform = await startTestPlatform({ workerLoops: 0 });
  workDir = await mkdtemp(join(tmpdir(), 'kontext-cli-'));
  await writeFile(join(workDir, 'token'), `${platform.adminToken}\n`);
});

afterAll(async () => {
  await platform?.stop();
  await rm(workDir, { recursive: true, force: true });
});

const cli = (...args: string[]) => run([...args, '--url', platform.url, '--token-file', join(workDir, 'token')], {}, workDir);

describe('the operator CLI', () => {
  it('makes a tenant with credits and limits, a key that works, and reads them back', async () => {
    const created = await cli('tenants', 'create', '--name', 'Acme', '--credits', '500', '--max-active-jobs', '3', '--allowed-models', 'flux-kontext-dev');
    expect(created.exitCode).toBe(0);
    const tenant = JSON.parse(created.output) as { id: string; credits: { available: number }; limits: { max_active_jobs: number; allowed_models: string[] } };
    expect(tenant).toMatchObject({ credits: { available: 500 }, limits: { max_active_jobs: 3, allowed_models: ['flux-kontext-dev'] } });

    const key = await cli('keys', 'create', tenant.id, '--name', 'ci', '--scopes', 'jobs:write,jobs:read,credits:read');
    expect(key.exitCode).toBe(0);
    const plaintext = (JSON.parse(key.output) as { key: string }).key;
    expect((await new ApiClient(platform.url, plaintext).request('GET', '/v1/credits')).body).toEqual({ credits: 500, reserved: 0 });

    expect((await cli('credits', 'add', tenant.id, '--amount=-100', '--reason', 'correction')).output).toContain('"credits": 400');
    expect(JSON.parse((await cli('tenants', 'update', tenant.id, '--requests-per-minute', '120')).output)).toMatchObject({
      limits: { requests_per_minute_per_key: 120 },
    });
    expect(JSON.parse((await cli('tenants', 'get', tenant.id)).output)).toMatchObject({ id: tenant.id, name: 'Acme' });
    expect((await cli('tenants', 'list', '--limit', '100')).output).toContain(tenant.id);
    expect(JSON.parse((await cli('usage', '--tenant', tenant.id, '--granularity', 'day')).output)).toMatchObject({ granularity: 'day' });
  });

  it('invites a person as owner of a tenant; the printed link signs them in as its owner', async () => {
    const tenant = JSON.parse((await cli('tenants', 'create', '--name', 'Invited Co')).output) as { id: string };
    const invited = await cli('users', 'invite', tenant.id, '--email', 'Boss@Example.com', '--role', 'owner');
    expect(invited.exitCode, invited.output).toBe(0);
    const invitation = JSON.parse(invited.output) as { email: string; role: string; accept_url: string; email_sent: boolean };
    // Addresses are kept lower-cased; no SMTP_URL here, so the mail went to the platform's outbox.
    expect(invitation).toMatchObject({ email: 'boss@example.com', role: 'owner', email_sent: true });
    const token = new URL(invitation.accept_url).hash.slice('#token='.length);
    const accepted = await fetch(`${platform.url}/v1/invitations/accept`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, password: 'correct horse battery' }),
    });
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toMatchObject({ user: { email: 'boss@example.com' }, tenant: { id: tenant.id, role: 'owner' } });
    expect(accepted.headers.get('set-cookie')).toMatch(/^kontext_session=ses_/);
    expect(() => toRequest(['users', 'invite', tenant.id, '--email', 'x@example.com'])).toThrow(/--role is required/);
    const refused = await cli('users', 'invite', tenant.id, '--email', 'x@example.com', '--role', 'emperor');
    expect(refused.exitCode).toBe(1);
    expect(refused.output).toMatch(/^error 422/);
  }, 60_000);

  it('reports refusals with the API problem detail and a non-zero exit', async () => {
    const tenant = JSON.parse((await cli('tenants', 'create', '--name', 'Poor', '--credits', '5')).output) as { id: string };
    const overdraw = await cli('credits', 'add', tenant.id, '--amount=-10', '--reason', 'oops');
    expect(overdraw).toEqual({ exitCode: 1, output: 'error 409: amount: would take the balance of 5 credits below zero' });
    expect((await cli('tenants', 'get', 'ten_01M8DFD8DANDT28ZT034WVYBX4')).exitCode).toBe(1);
    const wrongToken = await run(['tenants', 'list', '--url', platform.url], { KONTEXT_ADMIN_TOKEN: 'x'.repeat(40) }, workDir);
    expect(wrongToken.exitCode).toBe(1);
    expect(wrongToken.output).toMatch(/^error 401/);
  });

  it('checks its own arguments before calling anything', () => {
    expect(toRequest([])).toBe('help');
    expect(() => toRequest(['tenants', 'create'])).toThrow(/--name is required/);
    expect(() => toRequest(['credits', 'add', 'ten_x', '--amount', 'ten', '--reason', 'r'])).toThrow(/whole number/);
    expect(() => toRequest(['tenants', 'delete', 'x'])).toThrow(/unknown command/);
    expect(toRequest(['tenants', 'update', 'ten_x', '--allowed-models', 'all'])).toEqual({
      method: 'PATCH',
      path: '/admin/v1/tenants/ten_x',
      body: { limits: { allowed_models: null } },
    });
  });

  it('finds the token in an absolute DATA_DIR, not under the working directory', async () => {
    const dataDir = join(workDir, 'absolute-data');
    await mkdir(dataDir, { recursive: true });
    await writeFile(join(dataDir, 'admin-token'), `${platform.adminToken}\n`);
    const elsewhere = await mkdtemp(join(tmpdir(), 'kontext-cli-cwd-'));
    try {
      expect(resolveConnection([], { DATA_DIR: dataDir }, elsewhere).token).toBe(platform.adminToken);
      const listed = await run(['tenants', 'list', '--url', platform.url], { DATA_DIR: dataDir }, elsewhere);
      expect(listed.exitCode).toBe(0);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('resolves a relative DATA_DIR, and the default .data, against the working directory', async () => {
    await mkdir(join(workDir, 'relative-data'), { recursive: true });
    await writeFile(join(workDir, 'relative-data', 'admin-token'), 'relative-token\n');
    await mkdir(join(workDir, '.data'), { recursive: true });
    await writeFile(join(workDir, '.data', 'admin-token'), 'default-token\n');
    expect(resolveConnection([], { DATA_DIR: 'relative-data' }, workDir).token).toBe('relative-token');
    expect(resolveConnection([], {}, workDir).token).toBe('default-token');
  });

  it('defaults the URL to localhost on PORT, as npm start listens, and to 8787 without it', () => {
    const token = { KONTEXT_ADMIN_TOKEN: 'x'.repeat(40) };
    expect(resolveConnection([], { ...token, PORT: '9123' }, workDir).url).toBe('http://localhost:9123');
    expect(resolveConnection([], token, workDir).url).toBe('http://localhost:8787');
    expect(resolveConnection([], { ...token, PORT: '' }, workDir).url).toBe('http://localhost:8787');
    expect(resolveConnection([], { ...token, PORT: '9123', KONTEXT_API_URL: 'http://api.example/' }, workDir).url).toBe('http://api.example');
    expect(resolveConnection(['--url', 'http://cli.example'], { ...token, PORT: '9123' }, workDir).url).toBe('http://cli.example');
  });

  it('runs as a command with an exit status', async () => {
    const help = spawnNode('functions/admin-cli/src/main.ts', {}, { args: ['--help'] });
    expect((await help.exited).code).toBe(0);
    expect(help.output()).toContain(HELP.split('\n')[0]!);
    const unreachable = spawnNode(
      'functions/admin-cli/src/main.ts',
      { KONTEXT_ADMIN_TOKEN: 'x'.repeat(40), KONTEXT_API_URL: 'http://127.0.0.1:9' },
      { args: ['tenants', 'list'] },
    );
    expect((await unreachable.exited).code).toBe(1);
    expect(unreachable.output()).toMatch(/could not reach the API/);
  });
});
