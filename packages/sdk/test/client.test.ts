import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, onTestFinished } from 'vitest';
import { test } from '../../../test/harness/fixtures.ts';
import { pngImage } from '../../../test/harness/images.ts';
import {
  Kontext,
  KontextApiError,
  KontextInputError,
  KontextJobError,
  KontextNetworkError,
  type ApiKeyList,
  type Asset,
  type CreatedApiKey,
  type Credits,
  type JobList,
  type JobProgress,
  type JobView,
  type Lineage,
  type ModelList,
  type RotatedApiKey,
  type Usage,
  type WebhookEndpointWithSecret,
  type AuditLog,
  type LedgerPage,
  type MemberList,
} from '../src/index.ts';

// The SDK against the real platform over its real socket: edits, continued edits and lineage,
// waiting with progress, cancel, typed errors, and every account resource.

// 60 ms per sampling step: a job of N steps runs for about N * 60 ms, long enough to watch.
test.override({ platformOptions: { stepDelayMs: 60, workerLoops: 2 } });

// Deadlines, not measurements: a loaded machine only makes things slower.
const SLOW = 60_000;

const clientFor = (platform: { url: string }, key: string, options: Partial<ConstructorParameters<typeof Kontext>[0]> = {}) =>
  new Kontext({ apiKey: key, baseUrl: `${platform.url}/`, ...options });

/** What a promise rejected with (and that it did reject). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

describe('edits, continued edits and lineage', () => {
  test('edit, continueEdit and lineage, all by reference after the first upload', { timeout: SLOW }, async ({ platform, tenant }) => {
    const client = clientFor(platform, tenant.key);
    const image = new Uint8Array(await pngImage({ width: 96, height: 64, seed: 5 }));

    const first = await client.edit({ image, prompt: 'make it night', steps: 2, seed: 11 });
    expect(first.id).toMatch(/^job_/);
    expect(first.submitted).toMatchObject({ id: first.id, cost: 2 });
    const firstResult = await first.wait();
    expect(firstResult).toMatchObject({ id: first.id, status: 'Ready', result: { prompt: 'make it night', seed: 11 } });
    expect(firstResult.details?.status).toBe('succeeded');
    const bytes = await firstResult.bytes();
    expect(Array.from(bytes.subarray(0, 4))).toEqual([0x89, 0x50, 0x4e, 0x47]);

    const second = await first.continueEdit({ prompt: 'now add the moon', steps: 2 });
    // An edit continues a finished job's output.
    await second.wait();
    const third = await client.continueEdit(second.id, { prompt: 'and stars', steps: 2 });
    await third.wait();
    // A branch: the first job edited a second time.
    const branch = await client.edit({ image: first.id, prompt: 'a branch from the first output', steps: 2 });
    await branch.wait();

    const lineage = await third.lineage();
    expectTypeOf(lineage).toEqualTypeOf<Lineage>();
    expect(lineage.root_job_id).toBe(first.id);
    expect(lineage.ancestors.map((node) => node.id)).toEqual([first.id, second.id]);
    expect(lineage.tree).toMatchObject({ id: third.id, parent_job_id: second.id, depth: 2, prompt: 'and stars', status: 'succeeded' });

    const whole = await client.job(first.id).lineage();
    expect(whole.tree.children.map((child) => child.id).sort()).toEqual([second.id, branch.id].sort());

    const record = await third.get();
    expectTypeOf(record).toEqualTypeOf<JobView>();
    expect(record).toMatchObject({ id: third.id, parent_job_id: second.id, root_job_id: first.id, depth: 2, status: 'succeeded' });
    expect(record.inputs.find((input) => input.role === 'context')?.producing_job_id).toBe(second.id);

    // The output as an asset: its record and its bytes, with the key.
    const assetId = record.output?.asset_id;
    expect(assetId).toMatch(/^ast_/);
    const asset = await client.assets.get(assetId!);
    expectTypeOf(asset).toEqualTypeOf<Asset>();
    expect(asset).toMatchObject({ id: assetId, kind: 'output', producing_job_id: third.id });
    const content = await client.assets.content(assetId!);
    expect(content.byteLength).toBe(asset.byte_size);

    // The tenant's job list holds exactly these four, newest first.
    const page = await client.jobs.list({ limit: 10 });
    expectTypeOf(page).toEqualTypeOf<JobList>();
    expect(page.data.map((job) => job.id)).toEqual([branch.id, third.id, second.id, first.id]);
    expect((await client.jobs.list({ root: first.id, limit: 2 })).next_cursor).not.toBeNull();
  });

  test('references go to input_image_2..4; without an image to edit the server refuses them, naming the field', async ({ platform, tenant }) => {
    const client = clientFor(platform, tenant.key);
    const reference = new Blob([new Uint8Array(await pngImage({ width: 32, height: 32, seed: 2 }))]);
    const error = await rejection(client.generate({ prompt: 'a cat like this one', references: [reference] }));
    expect(error).toBeInstanceOf(KontextApiError);
    expect(error).toMatchObject({ status: 422, field: 'input_image_2' });

    const image = new Uint8Array(await pngImage({ width: 64, height: 64, seed: 3 }));
    const edit = await client.edit({ image, prompt: 'the same cat, at the beach', references: [reference], steps: 1 });
    await edit.wait();
    const inputs = (await edit.get()).inputs.map((input) => [input.role, input.position]);
    expect(inputs).toEqual([
      ['context', 0],
      ['reference', 1],
    ]);
  });
});

describe('waiting', () => {
  test('wait() follows the live status: onProgress sees the job move forward, then resolves Ready', { timeout: SLOW }, async ({ platform, tenant }) => {
    const client = clientFor(platform, tenant.key);
    const job = await client.generate({ prompt: 'progress, step by step', steps: 8 });
    const seen: JobProgress[] = [];
    const result = await job.wait({ onProgress: (event) => seen.push(event) });
    expect(result.status).toBe('Ready');

    const progress = seen.map((event) => event.progress);
    // Several distinct steps, never going back, ending at 1.
    expect(new Set(progress).size).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThanOrEqual(progress[i - 1]!);
    expect(progress.at(-1)).toBe(1);
    expect(seen.map((event) => event.status)).toContain('running');
    expect(seen.at(-1)?.status).toBe('succeeded');
  });

  test('wait() on a job that finished long ago resolves from its history', async ({ platform, tenant }) => {
    const client = clientFor(platform, tenant.key);
    const job = await client.generate({ prompt: 'already done', steps: 1 });
    await job.wait();
    const again = await client.job(job.id).wait();
    expect(again).toMatchObject({ id: job.id, status: 'Ready' });
    expect((await client.job(job.id).result()).result.sample).toMatch(/^http/);
  });

  test('an aborted wait stops at once with the signal\'s reason, and the job runs on', { timeout: SLOW }, async ({ platform, tenant }) => {
    const client = clientFor(platform, tenant.key);
    const job = await client.generate({ prompt: 'nobody waits for me', steps: 20 });
    const controller = new AbortController();
    const reason = new Error('the caller gave up');
    const waiting = job.wait({
      signal: controller.signal,
      onProgress: (event) => {
        if (event.status === 'running') controller.abort(reason);
      },
    });
    expect(await rejection(waiting)).toBe(reason);
    expect((await job.wait()).status).toBe('Ready');
  });

  test('cancel: the waiter learns the job was canceled, and its credits come back', { timeout: SLOW }, async ({ platform, tenant }) => {
    const client = clientFor(platform, tenant.key);
    const before = await client.credits();
    // 50 steps at 60 ms: about 3 s, plenty of time to cancel it while it runs.
    const job = await client.generate({ prompt: 'stop me', steps: 50 });
    let running!: () => void;
    const started = new Promise<void>((resolve) => {
      running = resolve;
    });
    const waiting = rejection(job.wait({ onProgress: (event) => event.status === 'running' && running() }));
    await started;

    const canceled = await job.cancel();
    expectTypeOf(canceled).toEqualTypeOf<JobView>();
    expect(canceled).toMatchObject({ id: job.id, status: 'canceled', bfl_status: 'Error' });

    const error = await waiting;
    expect(error).toBeInstanceOf(KontextJobError);
    expect(error).toMatchObject({ jobId: job.id, status: 'canceled', bflStatus: 'Error', reason: 'canceled' });
    await expect.poll(async () => (await client.credits()).credits, { timeout: 15_000 }).toBe(before.credits);

    // A finished job cannot be canceled again: the server's 409, typed.
    const again = await rejection(job.cancel());
    expect(again).toBeInstanceOf(KontextApiError);
    expect(again).toMatchObject({ status: 409, code: 'conflict' });
    // And it has no result.
    expect(await rejection(job.result())).toMatchObject({ name: 'KontextJobError', status: 'canceled' });
  });
});

describe('typed errors', () => {
  test('a 422 carries the field, every issue and the request id', async ({ platform, tenant }) => {
    const client = clientFor(platform, tenant.key);
    const error = await rejection(client.generate({ prompt: 'too wide', aspect_ratio: '30:1' }));
    expect(error).toBeInstanceOf(KontextApiError);
    const problem = error as KontextApiError;
    expect(problem).toMatchObject({ status: 422, field: 'aspect_ratio', code: 'validation_failed', type: 'urn:kontext:problem:validation-failed' });
    expect(problem.issues?.[0]).toEqual({ field: 'aspect_ratio', message: expect.any(String) });
    expect(problem.requestId).toMatch(/^req_/);
    expect(problem.detail).toContain('aspect_ratio');
    expect(problem.problem).toMatchObject({ status: 422, request_id: problem.requestId });
    expect(problem.message).toContain(problem.requestId!);
  });

  test('a file that is not an image is refused before any request, in the words the server uses for the same bytes', async ({ platform, tenant }) => {
    const directory = await mkdtemp(join(tmpdir(), 'kontext-sdk-'));
    onTestFinished(() => rm(directory, { recursive: true, force: true }));
    const bytes = new TextEncoder().encode('name,size\nphoto,12\n');
    const path = join(directory, 'photo.png');
    await writeFile(path, bytes);

    const requests: string[] = [];
    const client = clientFor(platform, tenant.key, {
      fetch: (input, init) => {
        requests.push(String(input));
        return fetch(input, init);
      },
    });
    const local = await rejection(client.edit({ image: path, prompt: 'brighten it' }));
    expect(local).toBeInstanceOf(KontextInputError);
    expect(requests).toEqual([]);

    // The same bytes sent raw: the server refuses them with the same words for the same field.
    const raw = await tenant.api.submit({ prompt: 'brighten it', input_image: Buffer.from(bytes).toString('base64') });
    expect(raw.status, raw.text).toBe(422);
    const served = raw.body as unknown as { detail: string; errors: { field: string; message: string }[] };
    const refused = local as KontextInputError;
    expect(served.errors).toEqual([{ field: refused.field, message: refused.message }]);
    expect(served.detail).toBe(refused.detail);
  });

  test('a wrong key is a 401 whose error never shows the key; an unreachable server is a network error that does not either', async ({ platform }) => {
    const key = `kx_live_${'A'.repeat(32)}wrong1`;
    const unauthorized = await rejection(clientFor(platform, key).credits());
    expect(unauthorized).toBeInstanceOf(KontextApiError);
    expect((unauthorized as KontextApiError).status).toBe(401);

    // A port nothing listens on (the platform's, with the platform reached through a closed one).
    const unreachable = new Kontext({ apiKey: key, baseUrl: 'http://127.0.0.1:9', maxRetries: 1 });
    const network = await rejection(unreachable.credits());
    expect(network).toBeInstanceOf(KontextNetworkError);
    expect((network as KontextNetworkError).message).toMatch(/could not reach http:\/\/127\.0\.0\.1:9 \(2 attempts\)/);

    for (const error of [unauthorized, network]) {
      const everything = `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack ?? ''} ${String((error as Error).cause)}`;
      expect(everything).not.toContain(key);
    }
    // Nor does the client itself, printed.
    expect(JSON.stringify(unreachable)).not.toContain(key);
  });

  test('a job id that does not exist is a typed 404', async ({ platform, tenant }) => {
    const client = clientFor(platform, tenant.key);
    const missing = client.job(`job_${'0'.repeat(26)}`);
    expect(await rejection(missing.get())).toMatchObject({ name: 'KontextApiError', status: 404 });
    expect(await rejection(missing.result())).toMatchObject({ name: 'KontextApiError', status: 404, detail: 'Task not found' });
  });
});

describe('account resources', () => {
  test('models, credits and usage answer with their types', { timeout: SLOW }, async ({ platform, tenant }) => {
    const client = clientFor(platform, tenant.key);
    const models = await client.models.list();
    expectTypeOf(models).toEqualTypeOf<ModelList>();
    expect(models.data.map((model) => model.id)).toContain('flux-kontext-dev');

    const job = await client.generate({ prompt: 'something to count', steps: 1 });
    await job.wait();
    const credits = await client.credits();
    expectTypeOf(credits).toEqualTypeOf<Credits>();
    expect(credits).toEqual({ credits: 10_000 - 2, reserved: 0 });

    const usage = await client.usage({ granularity: 'day', group_by: 'model' });
    expectTypeOf(usage).toEqualTypeOf<Usage>();
    expect(usage).toMatchObject({ granularity: 'day', group_by: 'model', totals: { jobs: 1, credits: 2 } });
    expect(usage.buckets.flatMap((bucket) => bucket.groups.map((group) => group.key))).toContain('flux-kontext-dev');
  });

  test('keys: list, create, rotate and revoke', async ({ platform, tenant }) => {
    const client = clientFor(platform, tenant.key);
    const listed = await client.keys.list();
    expectTypeOf(listed).toEqualTypeOf<ApiKeyList>();
    expect(listed.data.map((key) => key.id)).toContain(tenant.keyId);

    const created = await client.keys.create({ name: 'ci reader', scopes: ['jobs:read'] });
    expectTypeOf(created).toEqualTypeOf<CreatedApiKey>();
    expect(created).toMatchObject({ name: 'ci reader', scopes: ['jobs:read'], mode: 'live', status: 'active' });
    expect(created.key).toMatch(/^kx_live_/);
    // The new key works, and only for what it may do.
    const reader = clientFor(platform, created.key);
    expect((await reader.jobs.list()).data).toEqual([]);
    expect(await rejection(reader.credits())).toMatchObject({ status: 403 });

    const rotated = await client.keys.rotate(created.id, { grace_seconds: 0 });
    expectTypeOf(rotated).toEqualTypeOf<RotatedApiKey>();
    expect(rotated.key).toMatchObject({ name: 'ci reader', scopes: ['jobs:read'] });
    expect(rotated.key.id).not.toBe(created.id);
    expect(Date.parse(rotated.old_key_expires_at)).toBeGreaterThan(0);

    const revoked = await client.keys.revoke(rotated.key.id);
    expect(revoked).toMatchObject({ id: rotated.key.id, status: 'revoked' });
  });

  test('webhook endpoints: create, list, update, rotate the secret, delete; deliveries list', async ({ platform, tenant }) => {
    const client = clientFor(platform, tenant.key);
    const endpoint = await client.webhooks.endpoints.create({ url: 'http://127.0.0.1:9/hooks', events: ['job.succeeded'], description: 'ours' });
    expectTypeOf(endpoint).toEqualTypeOf<WebhookEndpointWithSecret>();
    expect(endpoint).toMatchObject({ url: 'http://127.0.0.1:9/hooks', events: ['job.succeeded'], status: 'active', description: 'ours' });
    expect(endpoint.secret).toMatch(/^whsec_/);

    expect((await client.webhooks.endpoints.list()).data.map((listed) => listed.id)).toEqual([endpoint.id]);
    const updated = await client.webhooks.endpoints.update(endpoint.id, { description: 'renamed', events: ['job.failed', 'job.succeeded'] });
    expect(updated).toMatchObject({ id: endpoint.id, description: 'renamed' });
    expect(updated.events.slice().sort()).toEqual(['job.failed', 'job.succeeded']);
    const rotated = await client.webhooks.endpoints.rotateSecret(endpoint.id, { overlap_seconds: 60 });
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(endpoint.secret);
    expect(rotated.secret_rotation_ends_at).not.toBeNull();

    const deliveries = await client.webhooks.deliveries.list({ endpoint_id: endpoint.id });
    expect(deliveries).toEqual({ data: [], next_cursor: null });

    await expect(client.webhooks.endpoints.delete(endpoint.id)).resolves.toBeUndefined();
    expect((await client.webhooks.endpoints.list()).data).toEqual([]);
    expect(await rejection(client.webhooks.endpoints.delete(endpoint.id))).toMatchObject({ status: 404 });
  });

  test('team: invitations, members and the audit log; the credit ledger with its running balance', { timeout: SLOW }, async ({ platform, tenant }) => {
    const client = clientFor(platform, tenant.key);
    const invited = await client.team.invite({ email: 'Someone@Example.com', role: 'developer' });
    expect(invited).toMatchObject({ email: 'someone@example.com', role: 'developer', invited_by: null });
    expect((await client.team.invitations()).data.map((invitation) => invitation.id)).toEqual([invited.id]);
    await client.team.withdrawInvitation(invited.id);
    expect((await client.team.invitations()).data).toEqual([]);
    const members = await client.team.members();
    expectTypeOf(members).toEqualTypeOf<MemberList>();
    expect(members.data).toEqual([]);
    expect(await rejection(client.team.changeRole('usr_01M8DFD8DANDT28ZT034WVYBX4', 'viewer'))).toMatchObject({ status: 404 });

    const audit = await client.team.auditLog({ limit: 10 });
    expectTypeOf(audit).toEqualTypeOf<AuditLog>();
    expect(audit.data.map((entry) => entry.action)).toEqual(expect.arrayContaining(['member.invited', 'invitation.revoked']));
    expect(audit.data.find((entry) => entry.action === 'member.invited')?.actor).toEqual({ kind: 'api_key', id: tenant.keyId, email: null });

    await client.generate({ prompt: 'a ledger entry', seed: 1 }).then((job) => job.wait());
    const ledger = await client.ledger({ limit: 1 });
    expectTypeOf(ledger).toEqualTypeOf<LedgerPage>();
    expect(ledger.data).toHaveLength(1);
    expect(ledger.data[0]?.balance_after).toBe((await client.credits()).credits);
    const older = await client.ledger({ cursor: ledger.next_cursor ?? undefined, limit: 50 });
    const all = [...ledger.data, ...older.data];
    // Oldest last: each entry's balance is the one before it plus its amount.
    for (let index = 0; index < all.length - 1; index++) expect(all[index]!.balance_after).toBe(all[index + 1]!.balance_after + all[index]!.amount);
  });
});
