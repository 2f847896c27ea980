import { createServer } from 'node:net';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { test } from '../../../test/harness/fixtures.ts';
import { pngImage } from '../../../test/harness/images.ts';
import { MARK } from '../src/tree.ts';
import { pngSize, runCli, runInTerminal, scratch, STACK_TRACE, type CliResult, type Scratch } from './run-cli.ts';

// `kontext` as a subprocess against a real platform on a socket: images written to disk at the
// size the API reports, JSON that parses, one exit code per way of ending, the stored login and
// its precedence, the lineage tree, and the account commands.

test.override({ platformOptions: { workerLoops: 2, transport: 'socket' } });

/** A fresh working directory and config home per test, removed after it. */
const it = test.extend('home', async ({}, { onCleanup }): Promise<Scratch> => {
  const home = await scratch();
  onCleanup(() => home.remove());
  return home;
});

const JOB_ID = /job_[0-9A-Z]{26}/;

function jobIdIn(result: CliResult): string {
  const match = JOB_ID.exec(result.stdout);
  if (!match) throw new Error(`no job id in stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  return match[0];
}

function expectExit(result: CliResult, code: number): void {
  if (result.code !== code) throw new Error(`exit ${result.code}, expected ${code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  expect(result.stderr).not.toMatch(STACK_TRACE);
}

/** A port nothing listens on: one the kernel handed out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

interface JobRecord {
  id: string;
  status: string;
  width: number;
  height: number;
  seed: number;
  cost: number;
  parent_job_id: string | null;
}

describe('kontext against a real platform', { timeout: 180_000 }, () => {
  it('edits an image to disk at the size the API reports, and --json prints one parseable object', async ({ platform, tenant, home }) => {
    const env = { ...home.env, KONTEXT_BASE_URL: platform.url, KONTEXT_API_KEY: tenant.key };
    await writeFile(join(home.dir, 'photo.png'), await pngImage({ width: 640, height: 480, seed: 2 }));

    const edited = await runCli(['edit', 'photo.png', 'make it night', '-o', 'night.png', '--seed', '7'], { env, cwd: home.dir });
    expectExit(edited, 0);
    const jobId = jobIdIn(edited);
    expect(edited.stdout).toContain('night.png');
    expect(edited.stdout).toMatch(/seed:\s+7/);
    // Progress and notes go to stderr, in plain lines when it is not a terminal.
    expect(edited.stderr).toContain(`submitted ${jobId}`);
    expect(edited.stderr).not.toContain('█');
    const record = (await tenant.api.request<JobRecord>('GET', `/v1/jobs/${jobId}`)).body;
    expect(record).toMatchObject({ id: jobId, status: 'succeeded', seed: 7 });
    expect(pngSize(await readFile(join(home.dir, 'night.png')))).toEqual({ width: record.width, height: record.height });
    // 640x480 snaps to a 4:3 Kontext size, not 1:1.
    expect(record.width).toBeGreaterThan(record.height);

    const generated = await runCli(['generate', 'a lighthouse at dusk', '--aspect-ratio', '16:9', '--json'], { env, cwd: home.dir });
    expectExit(generated, 0);
    const json = JSON.parse(generated.stdout) as { job_id: string; status: string; output: string; width: number; height: number; seed: number; cost: number; sample_url: string };
    expect(json).toMatchObject({ status: 'succeeded', cost: 2, output: join(home.dir, `${json.job_id}.png`) });
    expect(json.sample_url).toMatch(/^http/);
    expect(typeof json.seed).toBe('number');
    const generatedRecord = (await tenant.api.request<JobRecord>('GET', `/v1/jobs/${json.job_id}`)).body;
    expect(pngSize(await readFile(json.output))).toEqual({ width: generatedRecord.width, height: generatedRecord.height });
    expect({ width: json.width, height: json.height }).toEqual({ width: generatedRecord.width, height: generatedRecord.height });
    expect(generatedRecord.width).toBeGreaterThan(generatedRecord.height);

    // --no-wait: the id alone (or as JSON), then `jobs wait` picks the job up.
    const submitted = await runCli(['generate', 'a quiet harbour', '--no-wait', '--json', '--format', 'jpeg'], { env, cwd: home.dir });
    expectExit(submitted, 0);
    const { job_id: queuedId, cost } = JSON.parse(submitted.stdout) as { job_id: string; cost: number };
    expect(queuedId).toMatch(JOB_ID);
    expect(cost).toBe(2);
    const waited = await runCli(['jobs', 'wait', queuedId, '-o', 'harbour.jpg', '--json'], { env, cwd: home.dir });
    expectExit(waited, 0);
    expect(JSON.parse(waited.stdout)).toMatchObject({ job_id: queuedId, status: 'succeeded', format: 'jpeg', cost: 2, output: join(home.dir, 'harbour.jpg') });
    expect((await readFile(join(home.dir, 'harbour.jpg'))).subarray(0, 3).toString('hex')).toBe('ffd8ff');
    // -o may name a directory: the file inside it takes the job's id.
    await mkdir(join(home.dir, 'out'));
    const intoDirectory = await runCli(['jobs', 'wait', jobId, '-o', 'out', '--json'], { env, cwd: home.dir });
    expectExit(intoDirectory, 0);
    expect(JSON.parse(intoDirectory.stdout)).toMatchObject({ output: join(home.dir, 'out', `${jobId}.png`) });
    expect(pngSize(await readFile(join(home.dir, 'out', `${jobId}.png`)))).toEqual({ width: record.width, height: record.height });
    const plainId = await runCli(['generate', 'x', '--no-wait'], { env, cwd: home.dir });
    expectExit(plainId, 0);
    expect(plainId.stdout.trim()).toMatch(new RegExp(`^${JOB_ID.source}$`));
  });

  it('ends with one exit code per kind of failure, each without a stack trace', async ({ platform, tenant, home }) => {
    const env = { ...home.env, KONTEXT_BASE_URL: platform.url, KONTEXT_API_KEY: tenant.key };
    const run = (args: string[], extraEnv: Record<string, string> = {}) => runCli(args, { env: { ...env, ...extraEnv }, cwd: home.dir });

    // 2: a bad flag, a malformed value, a missing argument.
    const badFlag = await run(['generate', 'a cat', '--bogus']);
    expectExit(badFlag, 2);
    expect(badFlag.stderr).toContain("unknown option '--bogus'");
    const badSeed = await run(['generate', 'a cat', '--seed', 'tomorrow']);
    expectExit(badSeed, 2);
    expect(badSeed.stderr).toMatch(/--seed.*must be a whole number/);
    expectExit(await run(['edit', 'photo.png']), 2);
    expectExit(await run(['generate', 'a cat', '--format', 'gif']), 2);
    expectExit(await run(['nonsense']), 2);

    // 2: an output file with nowhere to go is refused before anything is submitted (or paid for).
    const nowhere = await run(['generate', 'a cat', '-o', join(home.dir, 'missing', 'cat.png')]);
    expectExit(nowhere, 2);
    expect(nowhere.stderr).toMatch(/--output: .*missing is not a directory/);
    expect((await tenant.api.request<{ data: unknown[] }>('GET', '/v1/jobs')).body.data).toEqual([]);

    // 2: no key anywhere.
    const { KONTEXT_API_KEY: _key, ...withoutKey } = env;
    const noKey = await runCli(['credits'], { env: withoutKey, cwd: home.dir });
    expectExit(noKey, 2);
    expect(noKey.stderr).toMatch(/kontext login/);
    expect(noKey.stderr).toMatch(/KONTEXT_API_KEY/);

    // 2: a file that is not an image, refused before upload in the server's own words.
    const notAnImage = Buffer.from('these are my notes, not a picture\n');
    await writeFile(join(home.dir, 'notes.txt'), notAnImage);
    const refusedLocally = await run(['edit', 'notes.txt', 'make it night']);
    expectExit(refusedLocally, 2);
    const server = await tenant.api.submit({ prompt: 'make it night', input_image: notAnImage.toString('base64') });
    expect(server.status).toBe(422);
    const serverWords = server.body as unknown as { detail: string; errors: { field: string; message: string }[] };
    expect(serverWords.errors[0]?.field).toBe('input_image');
    // The same words as the server's problem: its detail, and its message for the field.
    expect(refusedLocally.stderr.split('\n')[0]).toBe(`error: ${serverWords.detail}`);
    expect(refusedLocally.stderr).toContain(serverWords.errors[0]!.message);
    expect(refusedLocally.stderr).toContain('field: input_image');

    // 3: the API refused: the detail, the field and the request id.
    const refused = await run(['generate', 'a cat', '--aspect-ratio', '40:1']);
    expectExit(refused, 3);
    expect(refused.stderr).toMatch(/^error: .*aspect_ratio/m);
    expect(refused.stderr).toMatch(/^field: aspect_ratio$/m);
    expect(refused.stderr).toMatch(/request id: \S+/);
    const unknownJob = await run(['jobs', 'show', 'job_01JAAAAAAAAAAAAAAAAAAAAAAA']);
    expectExit(unknownJob, 3);
    expect(unknownJob.stderr).toMatch(/status: 404/);
    const wrongKey = await run(['credits'], { KONTEXT_API_KEY: 'kx_live_notarealkeynotarealkeynotareal000000' });
    expectExit(wrongKey, 3);
    expect(wrongKey.stderr).toMatch(/status: 401/);
    expect(wrongKey.stderr).not.toContain('notarealkey');

    // 5: nothing listening.
    const port = await closedPort();
    const unreachable = await run(['credits'], { KONTEXT_BASE_URL: `http://127.0.0.1:${port}` });
    expectExit(unreachable, 5);
    expect(unreachable.stderr).toContain(`could not reach http://127.0.0.1:${port}`);

    // Help and version are successes, and the help lists the exit codes.
    const help = await run(['--help']);
    expectExit(help, 0);
    expect(help.stdout).toMatch(/Exit codes:[\s\S]*2 +usage error[\s\S]*5 +the server could not be reached/);
    expectExit(await run(['--version']), 0);
    expectExit(await run(['edit', '--help']), 0);
  });

  it('login stores the key in a 600 file in a 700 directory; later commands use it; env and flags override it', async ({ platform, tenant, home }) => {
    const other = await platform.createTenantWithKey({ credits: 777 });
    const credits = async (extraEnv: Record<string, string> = {}, args: string[] = []) => {
      const result = await runCli([...args, 'credits', '--json'], { env: { ...home.env, ...extraEnv }, cwd: home.dir });
      expectExit(result, 0);
      return (JSON.parse(result.stdout) as { credits: number }).credits;
    };

    // A wrong key is refused by the server and stores nothing.
    const refused = await runCli(['login', '--base-url', platform.url], { env: home.env, cwd: home.dir, input: 'kx_live_notarealkeynotarealkeynotareal000000\n' });
    expectExit(refused, 3);
    await expect(stat(join(home.configHome, 'kontext', 'config.json'))).rejects.toThrow();

    const login = await runCli(['login', '--base-url', platform.url], { env: home.env, cwd: home.dir, input: `${tenant.key}\n` });
    expectExit(login, 0);
    expect(login.stdout).toContain('Logged in');
    expect(login.stdout + login.stderr).not.toContain(tenant.key);
    const directory = join(home.configHome, 'kontext');
    const file = join(directory, 'config.json');
    expect((await stat(directory)).mode & 0o777).toBe(0o700);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ baseUrl: platform.url, apiKey: tenant.key });
    expect(await readdir(directory)).toEqual(['config.json']);

    // The stored login alone is enough (no KONTEXT_* in the environment).
    expect(await credits()).toBe(10_000);
    // The environment wins over the file, and a flag over both.
    expect(await credits({ KONTEXT_API_KEY: other.key })).toBe(777);
    expect(await credits({ KONTEXT_API_KEY: other.key }, ['--api-key', tenant.key])).toBe(10_000);
    const port = await closedPort();
    const elsewhere = await runCli(['credits'], { env: { ...home.env, KONTEXT_BASE_URL: `http://127.0.0.1:${port}` }, cwd: home.dir });
    expectExit(elsewhere, 5);
    expect(await credits({ KONTEXT_BASE_URL: `http://127.0.0.1:${port}` }, ['--base-url', platform.url])).toBe(10_000);

    // On a terminal the key is typed at a prompt that does not echo it.
    const typed = await runInTerminal(['login', '--base-url', platform.url], { env: home.env, cwd: home.dir, prompt: 'API key for', answer: `${other.key}\r` });
    expectExit(typed, 0);
    expect(typed.stdout).toContain(`API key for ${platform.url}:`);
    expect(typed.stdout).toContain('Logged in');
    expect(typed.stdout).not.toContain(other.key);
    expect(await credits()).toBe(777);

    // --api-key logs in without reading stdin; logout removes the file.
    expectExit(await runCli(['login', '--base-url', platform.url, '--api-key', tenant.key], { env: home.env, cwd: home.dir }), 0);
    expect(await credits()).toBe(10_000);
    const logout = await runCli(['logout'], { env: home.env, cwd: home.dir });
    expectExit(logout, 0);
    await expect(stat(file)).rejects.toThrow();
    expectExit(await runCli(['credits'], { env: home.env, cwd: home.dir }), 2);
  });

  it('draws a lineage with a branch as a tree', async ({ platform, tenant, home }) => {
    const env = { ...home.env, KONTEXT_BASE_URL: platform.url, KONTEXT_API_KEY: tenant.key };
    const run = (args: string[]) => runCli(args, { env, cwd: home.dir });
    await writeFile(join(home.dir, 'portrait.png'), await pngImage({ width: 512, height: 512, seed: 5 }));
    const first = await run(['edit', 'portrait.png', 'let her laugh', '--steps', '2', '--json']);
    expectExit(first, 0);
    const root = (JSON.parse(first.stdout) as { job_id: string }).job_id;
    const left = await run(['continue', root, 'add sunglasses', '--json']);
    expectExit(left, 0);
    const branchA = (JSON.parse(left.stdout) as { job_id: string }).job_id;
    const right = await run(['continue', root, 'make it snow', '--json']);
    expectExit(right, 0);
    const branchB = (JSON.parse(right.stdout) as { job_id: string }).job_id;
    // A continued edit inherits the parent's size.
    const parent = (await tenant.api.request<JobRecord>('GET', `/v1/jobs/${root}`)).body;
    expect(pngSize(await readFile(join(home.dir, `${branchA}.png`)))).toEqual({ width: parent.width, height: parent.height });

    const ofRoot = await run(['lineage', root]);
    expectExit(ofRoot, 0);
    // Children in the order they were made (job ids sort by creation time).
    expect(ofRoot.stdout.trimEnd().split('\n')).toEqual([
      `${root}  succeeded  "let her laugh"  ${MARK}`,
      `├── ${branchA}  succeeded  "add sunglasses"`,
      `└── ${branchB}  succeeded  "make it snow"`,
    ]);

    const ofBranch = await run(['lineage', branchB]);
    expectExit(ofBranch, 0);
    expect(ofBranch.stdout.trimEnd().split('\n')).toEqual([`${root}  succeeded  "let her laugh"`, `└── ${branchB}  succeeded  "make it snow"  ${MARK}`]);

    const json = await run(['lineage', root, '--json']);
    expectExit(json, 0);
    const lineage = JSON.parse(json.stdout) as { job_id: string; tree: { children: { id: string }[] } };
    expect(lineage.job_id).toBe(root);
    expect(lineage.tree.children.map((child) => child.id).sort()).toEqual([branchA, branchB].sort());
  });

  it('lists and shows jobs, cancels, reads usage and credits, and manages keys and webhooks', async ({ platform, tenant, home }) => {
    const env = { ...home.env, KONTEXT_BASE_URL: platform.url, KONTEXT_API_KEY: tenant.key };
    const run = (args: string[]) => runCli(args, { env, cwd: home.dir });
    const made = await run(['generate', 'a red bicycle', '--steps', '2', '--json']);
    expectExit(made, 0);
    const jobId = (JSON.parse(made.stdout) as { job_id: string }).job_id;

    const table = await run(['jobs', 'list', '--limit', '5']);
    expectExit(table, 0);
    expect(table.stdout).toMatch(/ID\s+│\s+STATUS/);
    expect(table.stdout).toContain(jobId);
    expect(table.stdout).toContain('a red bicycle');
    const listed = await run(['jobs', 'list', '--status', 'succeeded', '--json']);
    expectExit(listed, 0);
    expect((JSON.parse(listed.stdout) as { data: { id: string }[] }).data.map((job) => job.id)).toContain(jobId);
    expectExit(await run(['jobs', 'list', '--status', 'sleeping']), 2);
    expectExit(await run(['jobs', 'list', '--limit', '0']), 2);

    const shown = await run(['jobs', 'show', jobId]);
    expectExit(shown, 0);
    expect(shown.stdout).toMatch(/^status:\s+succeeded$/m);
    expect(shown.stdout).toMatch(/^prompt:\s+a red bicycle$/m);
    expect((JSON.parse((await run(['jobs', 'show', jobId, '--json'])).stdout) as JobRecord).id).toBe(jobId);
    // A finished job cannot be canceled: the API says so (409).
    const cancel = await run(['jobs', 'cancel', jobId]);
    expectExit(cancel, 3);
    expect(cancel.stderr).toMatch(/status: 409/);

    const credits = await run(['credits']);
    expectExit(credits, 0);
    expect(credits.stdout).toMatch(/^available:\s+9998$/m);
    const usage = await run(['usage', '--json']);
    expectExit(usage, 0);
    expect((JSON.parse(usage.stdout) as { totals: { jobs: number; credits: number } }).totals).toMatchObject({ jobs: 1, credits: 2 });
    const usageTable = await run(['usage', '--group-by', 'model', '--granularity', 'hour']);
    expectExit(usageTable, 0);
    expect(usageTable.stdout).toMatch(/flux-kontext-dev/);
    expect(usageTable.stdout).toMatch(/total/);
    expectExit(await run(['usage', '--group-by', 'colour']), 2);
    const badRange = await run(['usage', '--from', '2025-02-01', '--to', '2025-01-01']);
    expectExit(badRange, 3);

    // Keys: a new key printed once, on its own line; listed without it; rotated; revoked.
    const created = await run(['keys', 'create', '--name', 'ci', '--scopes', 'jobs:read,credits:read']);
    expectExit(created, 0);
    const newKey = /^ {4}(kx_live_\S+)$/m.exec(created.stdout)?.[1];
    expect(newKey).toBeDefined();
    expect(created.stdout).toMatch(/only time/);
    const keyId = /(key_[0-9A-Za-z]+)/.exec(created.stdout)?.[1] ?? '';
    const keys = await run(['keys', 'list']);
    expectExit(keys, 0);
    expect(keys.stdout).toContain(keyId);
    expect(keys.stdout).not.toContain(newKey!);
    const rotated = await run(['keys', 'rotate', keyId, '--grace-seconds', '0', '--json']);
    expectExit(rotated, 0);
    const replacement = (JSON.parse(rotated.stdout) as { key: { id: string; key: string } }).key;
    expect(replacement.key).toMatch(/^kx_live_/);
    const revoked = await run(['keys', 'revoke', replacement.id]);
    expectExit(revoked, 0);
    expect(revoked.stdout).toContain('revoked');
    expectExit(await run(['keys', 'create', '--name', 'x', '--scopes', 'everything']), 2);

    // Webhooks: created with its secret printed once, listed, updated, rotated, its deliveries read, deleted.
    const hook = await run(['webhooks', 'create', '--url', 'http://127.0.0.1:9/hook', '--events', 'job.succeeded,job.failed', '--description', 'ci']);
    expectExit(hook, 0);
    expect(hook.stdout).toMatch(/^ {4}whsec_\S+$/m);
    const endpointId = /Created (\S+)/.exec(hook.stdout)?.[1] ?? '';
    const hooks = await run(['webhooks', 'list']);
    expectExit(hooks, 0);
    expect(hooks.stdout).toContain(endpointId);
    expect(hooks.stdout).not.toContain('whsec_');
    const updated = await run(['webhooks', 'update', endpointId, '--description', 'nightly', '--json']);
    expectExit(updated, 0);
    expect(JSON.parse(updated.stdout)).toMatchObject({ id: endpointId, description: 'nightly' });
    expectExit(await run(['webhooks', 'update', endpointId]), 2);
    const secret = await run(['webhooks', 'rotate-secret', endpointId]);
    expectExit(secret, 0);
    expect(secret.stdout).toMatch(/^ {4}whsec_\S+$/m);
    const deliveries = await run(['webhooks', 'deliveries', '--json']);
    expectExit(deliveries, 0);
    expect(JSON.parse(deliveries.stdout)).toHaveProperty('data');
    expectExit(await run(['webhooks', 'redeliver', 'whd_01JAAAAAAAAAAAAAAAAAAAAAAA']), 3);
    expectExit(await run(['webhooks', 'delete', endpointId]), 0);
    expect((await run(['webhooks', 'list'])).stdout).not.toContain(endpointId);
  });
});
