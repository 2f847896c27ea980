import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AssetSchema, JobListSchema, JobRecordSchema, LineageResponseSchema, newId, type JobRecord, type LineageNodeRecord, type LineageResponse, type SubmitResponse, sleep } from '@kontext/core';
import { EngineError } from '@kontext/gpu-worker';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { ApiClient, ApiResponse } from '../harness/api-client.ts';
import { countFiles } from '../harness/counts.ts';
import { ScriptedEngine, TestWorkers } from '../harness/engines.ts';
import { pngImage } from '../harness/images.ts';
import { startTestPlatform, type TestPlatform } from '../harness/platform.ts';
import { expectProblem } from '../harness/problems.ts';
import { WebhookReceiver } from '../harness/receiver.ts';
import { withSql } from '../harness/sql.ts';

// Lineage end to end: iterative editing by reference (no re-upload), branches, inherited
// parameters, reference images as edges, tenant isolation of references, and retention that
// deletes the bytes but keeps the tree whole.

type Asset = z.infer<typeof AssetSchema>;
type JobList = z.infer<typeof JobListSchema>;

interface Tenant {
  tenantId: string;
  api: ApiClient;
}

interface TreeShape {
  id: string;
  children: TreeShape[];
}

// ---------------------------------------------------------------------------------------------
// Factories and helpers (no shared state: every test makes its own tenant and jobs).

function at<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`no item at ${index} of ${items.length}`);
  return item;
}

async function newTenant(platform: TestPlatform, name: string): Promise<Tenant> {
  // A generous request rate: these tests poll, and the rate limit is not what they are about.
  const { tenantId, api } = await platform.createTenantWithKey({ name, limits: { requests_per_minute_per_key: 1_000_000 } });
  return { tenantId, api };
}

async function imageBase64(seed: number, width = 640, height = 480): Promise<string> {
  return (await pngImage({ width, height, seed })).toString('base64');
}

async function submitOk(api: ApiClient, body: Record<string, unknown>, model?: string): Promise<string> {
  const response = await api.submit(body, model ? { model } : {});
  expect(response.status, response.text).toBe(200);
  return response.body.id;
}

function postEdit(api: ApiClient, jobId: string, body: Record<string, unknown>): Promise<ApiResponse<SubmitResponse>> {
  return api.request<SubmitResponse>('POST', `/v1/jobs/${jobId}/edits`, { json: body });
}

async function editOk(api: ApiClient, jobId: string, body: Record<string, unknown>): Promise<string> {
  const response = await postEdit(api, jobId, body);
  expect(response.status, response.text).toBe(200);
  expect(response.body.id).toMatch(/^job_/);
  return response.body.id;
}

async function getJob(api: ApiClient, jobId: string): Promise<JobRecord> {
  const response = await api.request('GET', `/v1/jobs/${jobId}`);
  expect(response.status, response.text).toBe(200);
  return JobRecordSchema.parse(response.body);
}

/** Waits until the job is Ready and returns its full record. */
async function ready(api: ApiClient, jobId: string): Promise<JobRecord> {
  const result = await api.waitForResult(jobId);
  expect(result.status, JSON.stringify(result)).toBe('Ready');
  const job = await getJob(api, jobId);
  expect(job.status).toBe('succeeded');
  expect(job.output).not.toBeNull();
  return job;
}

async function getLineage(api: ApiClient, jobId: string): Promise<LineageResponse> {
  const response = await api.request('GET', `/v1/jobs/${jobId}/lineage`);
  expect(response.status, response.text).toBe(200);
  return LineageResponseSchema.parse(response.body);
}

async function getAsset(api: ApiClient, assetId: string): Promise<Asset> {
  const response = await api.request('GET', `/v1/assets/${assetId}`);
  expect(response.status, response.text).toBe(200);
  return AssetSchema.parse(response.body);
}

async function listJobs(api: ApiClient, query: Record<string, string>): Promise<JobList> {
  const response = await api.request('GET', `/v1/jobs?${new URLSearchParams(query).toString()}`);
  expect(response.status, response.text).toBe(200);
  return JobListSchema.parse(response.body);
}

function outputAssetOf(job: JobRecord): string {
  if (!job.output) throw new Error(`job ${job.id} has no output`);
  return job.output.asset_id;
}

function shapeOf(node: LineageNodeRecord): TreeShape {
  return { id: node.id, children: node.children.map(shapeOf) };
}

function nodesOf(node: LineageNodeRecord): LineageNodeRecord[] {
  return [node, ...node.children.flatMap(nodesOf)];
}

async function download(url: string): Promise<{ status: number; type: string | null; bytes: Buffer }> {
  const response = await fetch(url);
  return { status: response.status, type: response.headers.get('content-type'), bytes: Buffer.from(await response.arrayBuffer()) };
}

async function expectThumbnail(url: string | null): Promise<void> {
  expect(url).toEqual(expect.any(String));
  const thumbnail = await download(url!);
  expect(thumbnail.status).toBe(200);
  expect(thumbnail.type).toBe('image/jpeg');
  const meta = await sharp(thumbnail.bytes).metadata();
  expect(meta.format).toBe('jpeg');
  expect(Math.max(meta.width, meta.height)).toBeLessThanOrEqual(256);
  expect(Math.min(meta.width, meta.height)).toBeGreaterThan(0);
}

/** Polls `read` until `done` holds (short interval), or fails after `timeoutMs` (a deadline, generous for a loaded machine). */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not reached in ${timeoutMs} ms; last value ${JSON.stringify(value)}`);
    await sleep(100);
  }
}

async function countInputAssets(databaseUrl: string, tenantId: string): Promise<number> {
  return withSql(databaseUrl, async (sql) => {
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM assets WHERE tenant_id = ${tenantId} AND kind = 'input'`;
    return row?.n ?? -1;
  });
}

interface AssetRowView {
  id: string;
  storage_key: string;
  thumbnail_key: string | null;
  deleted_at: Date | null;
}

async function assetRows(databaseUrl: string, ids: string[]): Promise<AssetRowView[]> {
  return withSql(databaseUrl, (sql) =>
    sql<AssetRowView[]>`SELECT id, storage_key, thumbnail_key, deleted_at FROM assets WHERE id = ANY(${ids}::text[]) ORDER BY id`,
  );
}

// ---------------------------------------------------------------------------------------------
// The platform with worker loops: sessions, inheritance, references, isolation, retention.

// Its tests run several jobs each, one after another, each wait with its own deadline: together
// more than the 30 s default on a loaded machine.
describe('lineage on a running platform', { timeout: 120_000 }, () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    // A short lease makes the sweeper (and so retention) run every second.
    platform = await startTestPlatform({ workerLoops: 2, leaseSeconds: 2 });
  });

  afterAll(async () => {
    await platform?.stop();
  });

  describe('an iterative session by reference, with a branch', () => {
    it('edits six times from one upload; lineage, thumbnails, listing and pagination follow the tree', async () => {
      const { tenantId, api } = await newTenant(platform, 'Iterative session');
      const inputsDir = join(platform.blobDir, 'tenants', tenantId, 'inputs');

      // Step 1: the only upload.
      const step1 = await submitOk(api, { prompt: 'a portrait in a garden', input_image: await imageBase64(11, 800, 600), seed: 1 });
      const job1 = await ready(api, step1);
      expect(await countFiles(inputsDir)).toBe(1);
      expect(await countInputAssets(platform.database.url, tenantId)).toBe(1);

      // Steps 2..6 by reference, both styles; step 3 is edited twice (a branch).
      const step2 = await editOk(api, step1, { prompt: 'let her laugh' });
      await ready(api, step2);
      const step3 = await submitOk(api, { prompt: 'add sunglasses', input_image: step2 });
      await ready(api, step3);
      const step4 = await editOk(api, step3, { prompt: 'make it night' });
      await ready(api, step4);
      const branch4 = await submitOk(api, { prompt: 'make it winter', input_image: step3 });
      await ready(api, branch4);
      const step5 = await submitOk(api, { prompt: 'add a full moon', input_image: step4 });
      await ready(api, step5);
      const step6 = await editOk(api, step5, { prompt: 'add fireflies' });
      await ready(api, step6);
      // The side branch's own edit, on another model (for the model filter below).
      const branch5 = await editOk(api, branch4, { prompt: 'add snowfall', model: 'flux-kontext-pro' });
      await ready(api, branch5);

      // No re-upload: still one input blob and one input asset.
      expect(await countFiles(inputsDir)).toBe(1);
      expect(await countInputAssets(platform.database.url, tenantId)).toBe(1);

      // Every edit's context is its parent's output; depth grows by one along each chain.
      const parents: [string, string | null, number][] = [
        [step1, null, 0],
        [step2, step1, 1],
        [step3, step2, 2],
        [step4, step3, 3],
        [branch4, step3, 3],
        [step5, step4, 4],
        [step6, step5, 5],
        [branch5, branch4, 4],
      ];
      const jobs = new Map<string, JobRecord>();
      for (const [id] of parents) jobs.set(id, await getJob(api, id));
      const jobOf = (id: string): JobRecord => {
        const job = jobs.get(id);
        if (!job) throw new Error(`no job ${id}`);
        return job;
      };
      expect(job1.inputs).toHaveLength(1);
      expect(job1.inputs[0]).toMatchObject({ role: 'context', position: 0, producing_job_id: null, expired: false });
      for (const [id, parentId, depth] of parents) {
        const job = jobOf(id);
        expect(job.status).toBe('succeeded');
        expect(job.root_job_id).toBe(step1);
        expect(job.parent_job_id).toBe(parentId);
        expect(job.depth).toBe(depth);
        if (parentId === null) continue;
        const parent = jobOf(parentId);
        expect(job.depth).toBe(parent.depth + 1);
        expect(job.inputs).toEqual([
          expect.objectContaining({
            asset_id: outputAssetOf(parent),
            role: 'context',
            position: 0,
            producing_job_id: parentId,
            width: parent.width,
            height: parent.height,
            expired: false,
          }),
        ]);
        // Each edit keeps the size of the image it edits.
        expect([job.width, job.height]).toEqual([parent.width, parent.height]);
      }
      expect(jobOf(branch5).model).toBe('flux-kontext-pro');
      // Eight outputs, each with its thumbnail beside it.
      expect(await countFiles(join(platform.blobDir, 'tenants', tenantId, 'outputs'))).toBe(16);

      // The lineage of the last step: its five ancestors in order, and itself as a leaf.
      const tip = await getLineage(api, step6);
      expect(tip.job_id).toBe(step6);
      expect(tip.root_job_id).toBe(step1);
      expect(tip.ancestors.map((node) => node.id)).toEqual([step1, step2, step3, step4, step5]);
      expect(tip.ancestors.map((node) => node.depth)).toEqual([0, 1, 2, 3, 4]);
      for (const node of tip.ancestors) expect(node.children).toEqual([]);
      expect(shapeOf(tip.tree)).toEqual({ id: step6, children: [] });
      expect(tip.tree).toMatchObject({ parent_job_id: step5, depth: 5, prompt: 'add fireflies', status: 'succeeded', references: [] });

      // The lineage of the root: the whole tree, branching at step 3 (children in creation order).
      const whole = await getLineage(api, step1);
      expect(whole.job_id).toBe(step1);
      expect(whole.root_job_id).toBe(step1);
      expect(whole.ancestors).toEqual([]);
      expect(shapeOf(whole.tree)).toEqual({
        id: step1,
        children: [
          {
            id: step2,
            children: [
              {
                id: step3,
                children: [
                  { id: step4, children: [{ id: step5, children: [{ id: step6, children: [] }] }] },
                  { id: branch4, children: [{ id: branch5, children: [] }] },
                ],
              },
            ],
          },
        ],
      });

      // The lineage of a middle node: ancestors up to it, its subtree below.
      const middle = await getLineage(api, step3);
      expect(middle.ancestors.map((node) => node.id)).toEqual([step1, step2]);
      expect(shapeOf(middle.tree).children.map((child) => child.id)).toEqual([step4, branch4]);

      // Every node: its own prompt, status, output and a thumbnail (a JPEG of at most 256 px).
      const nodes = nodesOf(whole.tree);
      expect(nodes).toHaveLength(8);
      for (const node of nodes) {
        const job = jobOf(node.id);
        expect(node).toMatchObject({
          parent_job_id: job.parent_job_id,
          depth: job.depth,
          prompt: job.prompt,
          status: 'succeeded',
          bfl_status: 'Ready',
          model: job.model,
          output_asset_id: outputAssetOf(job),
          output_expired: false,
          references: [],
        });
        await expectThumbnail(node.thumbnail_url);
        await expectThumbnail(job.output?.thumbnail_url ?? null);
      }

      // Listing by root: all eight, newest first.
      const all = [step1, step2, step3, step4, branch4, step5, step6, branch5];
      const byRoot = await listJobs(api, { root: step1 });
      expect(byRoot.data.map((job) => job.id)).toEqual([...all].reverse());
      expect(byRoot.next_cursor).toBeNull();

      // Pages of three: each job exactly once, in order, and the last page says so.
      const visited: string[] = [];
      const pageSizes: number[] = [];
      let cursor: string | null = null;
      do {
        const page: JobList = await listJobs(api, { root: step1, limit: '3', ...(cursor ? { cursor } : {}) });
        pageSizes.push(page.data.length);
        visited.push(...page.data.map((job) => job.id));
        cursor = page.next_cursor;
      } while (cursor !== null && pageSizes.length < 10);
      expect(pageSizes).toEqual([3, 3, 2]);
      expect(visited).toEqual([...all].reverse());
      expect(new Set(visited).size).toBe(8);

      // Filters.
      expect((await listJobs(api, { root: step1, status: 'succeeded' })).data).toHaveLength(8);
      expect((await listJobs(api, { root: step1, status: 'failed' })).data).toEqual([]);
      expect((await listJobs(api, { root: step1, status: 'queued' })).data).toEqual([]);
      expect((await listJobs(api, { root: step1, model: 'flux-kontext-pro' })).data.map((job) => job.id)).toEqual([branch5]);
      expect((await listJobs(api, { root: step1, model: 'flux-kontext-dev' })).data.map((job) => job.id)).toEqual(
        all.filter((id) => id !== branch5).reverse(),
      );
      expect((await listJobs(api, { model: 'flux-kontext-max' })).data).toEqual([]);
      expect((await listJobs(api, { created_after: jobOf(branch5).created_at })).data.map((job) => job.id)).toEqual([branch5]);
      expect((await listJobs(api, { created_before: jobOf(step1).created_at })).data).toEqual([]);
      expectProblem(await api.request('GET', '/v1/jobs?status=sleeping'), 422);
    });
  });

  describe('listing by API key', () => {
    it('api_key_id lists the jobs of one key, with the other filters, and never another tenant’s', async () => {
      const { api } = await newTenant(platform, 'Two keys');
      const second = await api.request<{ id: string; key: string }>('POST', '/v1/keys', { json: { name: 'second' } });
      expect(second.status, second.text).toBe(201);
      const secondApi = api.withKey(second.body.key);
      const keys = await api.request<{ data: { id: string; name: string }[] }>('GET', '/v1/keys');
      const firstKeyId = keys.body.data.find((key) => key.id !== second.body.id)?.id;
      expect(firstKeyId).toMatch(/^key_/);

      const byFirst = [await submitOk(api, { prompt: 'first key, one' }), await submitOk(api, { prompt: 'first key, two' }, 'flux-kontext-pro')];
      const bySecond = await submitOk(secondApi, { prompt: 'second key' });
      for (const id of [...byFirst, bySecond]) await ready(api, id);

      expect((await listJobs(api, { api_key_id: firstKeyId! })).data.map((job) => job.id)).toEqual([...byFirst].reverse());
      expect((await listJobs(api, { api_key_id: second.body.id })).data.map((job) => job.id)).toEqual([bySecond]);
      // With the other filters: both must hold.
      expect((await listJobs(api, { api_key_id: firstKeyId!, model: 'flux-kontext-pro' })).data.map((job) => job.id)).toEqual([byFirst[1]]);
      expect((await listJobs(api, { api_key_id: second.body.id, model: 'flux-kontext-pro' })).data).toEqual([]);
      expect((await listJobs(api, { api_key_id: firstKeyId!, status: 'failed' })).data).toEqual([]);
      // Pages of one: the same jobs, by cursor.
      const firstPage = await listJobs(api, { api_key_id: firstKeyId!, limit: '1' });
      expect(firstPage.data.map((job) => job.id)).toEqual([byFirst[1]]);
      const nextPage = await listJobs(api, { api_key_id: firstKeyId!, limit: '1', cursor: firstPage.next_cursor! });
      expect(nextPage.data.map((job) => job.id)).toEqual([byFirst[0]]);
      expect(nextPage.next_cursor).toBeNull();

      // A key of no job, an unknown id, and another tenant's key (with jobs of its own) match nothing.
      const unused = await api.request<{ id: string }>('POST', '/v1/keys', { json: { name: 'unused' } });
      expect((await listJobs(api, { api_key_id: unused.body.id })).data).toEqual([]);
      expect((await listJobs(api, { api_key_id: newId('apiKey') })).data).toEqual([]);
      const other = await platform.createTenantWithKey({ name: 'Other', limits: { requests_per_minute_per_key: 1_000_000 } });
      await ready(other.api, await submitOk(other.api, { prompt: 'not yours' }));
      expect((await listJobs(other.api, { api_key_id: other.keyId })).data).toHaveLength(1);
      expect((await listJobs(api, { api_key_id: other.keyId })).data).toEqual([]);
      // The parameter is documented and bounded like the others.
      expectProblem(await api.request('GET', `/v1/jobs?api_key_id=${'k'.repeat(101)}`), 422);
      const document = (await platform.api.request<{ paths: Record<string, { get: { parameters: { name: string; in: string }[] } }> }>('GET', '/openapi.json')).body;
      expect(document.paths['/v1/jobs']!.get.parameters.map((parameter) => `${parameter.in}:${parameter.name}`)).toContain('query:api_key_id');
    });
  });

  describe('continuing an edit inherits the parent settings', () => {
    let receiver: WebhookReceiver;

    beforeAll(async () => {
      receiver = await new WebhookReceiver().start();
    });

    afterAll(async () => {
      await receiver?.stop();
    });

    async function parentWithReference(api: ApiClient): Promise<{ parent: JobRecord; referenceAssetId: string }> {
      const parentId = await submitOk(
        api,
        {
          prompt: 'put this character in a wide street scene',
          input_image: await imageBase64(21, 700, 700),
          input_image_2: await imageBase64(22, 400, 500),
          aspect_ratio: '16:9',
          output_format: 'jpeg',
          steps: 12,
          guidance: 3,
          webhook_url: receiver.url('/lineage'),
        },
        'flux-kontext-pro',
      );
      const parent = await ready(api, parentId);
      expect(parent.inputs).toHaveLength(2);
      const reference = at(parent.inputs, 1);
      expect(reference).toMatchObject({ role: 'reference', position: 1, producing_job_id: null, width: 400, height: 500 });
      return { parent, referenceAssetId: reference.asset_id };
    }

    it('an edit inherits model, aspect ratio, format, steps, guidance, references and webhook', async () => {
      const { api } = await newTenant(platform, 'Inheritance');
      const { parent, referenceAssetId } = await parentWithReference(api);
      expect(parent).toMatchObject({ model: 'flux-kontext-pro', aspect_ratio: '16:9', output_format: 'jpeg', steps: 12, guidance: 3 });

      const response = await postEdit(api, parent.id, { prompt: 'now at night' });
      expect(response.status, response.text).toBe(200);
      expect(response.body.cost).toBe(4); // flux-kontext-pro's price: the model was inherited
      const edit = await ready(api, response.body.id);
      expect(edit).toMatchObject({
        model: 'flux-kontext-pro',
        prompt: 'now at night',
        aspect_ratio: '16:9',
        output_format: 'jpeg',
        steps: 12,
        guidance: 3,
        width: parent.width,
        height: parent.height,
        webhook_url: receiver.url('/lineage'),
        parent_job_id: parent.id,
        root_job_id: parent.id,
        depth: 1,
      });
      expect(edit.inputs).toEqual([
        expect.objectContaining({ asset_id: outputAssetOf(parent), role: 'context', position: 0, producing_job_id: parent.id }),
        expect.objectContaining({ asset_id: referenceAssetId, role: 'reference', position: 1, producing_job_id: null }),
      ]);
      const sample = await api.waitForResult(edit.id);
      expect(sample.details).toMatchObject({ output_format: 'jpeg' });
      expect((await download(sample.result!.sample!)).type).toBe('image/jpeg');

      // The lineage node of the edit lists the inherited reference.
      const lineage = await getLineage(api, edit.id);
      expect(lineage.tree.references).toEqual([{ asset_id: referenceAssetId, position: 1, producing_job_id: null }]);
    });

    it('a reference sent as null is dropped', async () => {
      const { api } = await newTenant(platform, 'Drop reference');
      const { parent } = await parentWithReference(api);
      const edit = await ready(api, await editOk(api, parent.id, { prompt: 'alone now', input_image_2: null }));
      expect(edit.inputs).toEqual([expect.objectContaining({ asset_id: outputAssetOf(parent), role: 'context', position: 0 })]);
      // Only the context image counts now: the parent's output size.
      expect(edit.input_mp).toBeCloseTo(parent.output_mp, 6);
      // Everything else is still inherited.
      expect(edit).toMatchObject({ model: 'flux-kontext-pro', aspect_ratio: '16:9', output_format: 'jpeg', steps: 12, guidance: 3 });
      expect((await getLineage(api, edit.id)).tree.references).toEqual([]);
    });

    it('model and output format can be overridden; the rest is still inherited', async () => {
      const { api } = await newTenant(platform, 'Override');
      const { parent, referenceAssetId } = await parentWithReference(api);
      const response = await postEdit(api, parent.id, { prompt: 'as a PNG on dev', model: 'flux-kontext-dev', output_format: 'png' });
      expect(response.status, response.text).toBe(200);
      expect(response.body.cost).toBe(2);
      const edit = await ready(api, response.body.id);
      expect(edit).toMatchObject({
        model: 'flux-kontext-dev',
        output_format: 'png',
        aspect_ratio: '16:9',
        steps: 12,
        guidance: 3,
        parent_job_id: parent.id,
        depth: 1,
      });
      expect(edit.inputs.map((input) => input.asset_id)).toEqual([outputAssetOf(parent), referenceAssetId]);
      const sample = await api.waitForResult(edit.id);
      expect((await download(sample.result!.sample!)).type).toBe('image/png');

      // Sampling settings and aspect ratio override too.
      const second = await ready(api, await editOk(api, parent.id, { prompt: 'square', aspect_ratio: '1:1', steps: 20, guidance: 4 }));
      expect(second).toMatchObject({ model: 'flux-kontext-pro', output_format: 'jpeg', aspect_ratio: '1:1', steps: 20, guidance: 4 });
      expect(second.width).toBe(second.height);
    });

    it('reference positions follow their fields, so dropping one keeps the others in place', async () => {
      const { api } = await newTenant(platform, 'Reference positions');
      const [ref2, ref3] = await Promise.all([imageBase64(71, 300, 300), imageBase64(72, 320, 240)]);
      const parent = await ready(
        api,
        await submitOk(api, { prompt: 'two references', input_image: await imageBase64(70), input_image_2: ref2, input_image_3: ref3 }),
      );
      expect(parent.inputs.map((input) => [input.role, input.position, input.width])).toEqual([
        ['context', 0, 640],
        ['reference', 1, 300],
        ['reference', 2, 320],
      ]);
      const ref3Asset = at(parent.inputs, 2).asset_id;

      // Dropping input_image_2 keeps input_image_3 as input_image_3 (position 2).
      const edit = await ready(api, await editOk(api, parent.id, { prompt: 'only the second', input_image_2: null }));
      expect(edit.inputs.map((input) => [input.asset_id, input.role, input.position])).toEqual([
        [outputAssetOf(parent), 'context', 0],
        [ref3Asset, 'reference', 2],
      ]);
      expect((await getLineage(api, edit.id)).tree.references).toEqual([{ asset_id: ref3Asset, position: 2, producing_job_id: null }]);

      // And a later edit that drops input_image_3 drops exactly that reference.
      const last = await ready(api, await editOk(api, edit.id, { prompt: 'none', input_image_3: null }));
      expect(last.inputs.map((input) => [input.role, input.position])).toEqual([['context', 0]]);
    });

    it('the edited image is always the parent output; input_image is not an edit field', async () => {
      const { api } = await newTenant(platform, 'No input_image in edits');
      const parent = await ready(api, await submitOk(api, { prompt: 'a boat' }));
      expectProblem(await postEdit(api, parent.id, { prompt: 'x', input_image: await imageBase64(3) }), 422);
      expectProblem(await postEdit(api, parent.id, {}), 422, ['prompt']);
      expect((await listJobs(api, {})).data.map((job) => job.id)).toEqual([parent.id]);
    });

    it('editing an unknown or malformed job id answers 404', async () => {
      const { api } = await newTenant(platform, 'Unknown parent');
      expectProblem(await postEdit(api, newId('job'), { prompt: 'x' }), 404);
      expectProblem(await postEdit(api, 'not-a-job', { prompt: 'x' }), 404);
    });
  });

  describe('reference images are lineage edges', () => {
    it("another job's output used as input_image_2 is a reference edge, not a parent", async () => {
      const { tenantId, api } = await newTenant(platform, 'References');
      const styleJob = await ready(api, await submitOk(api, { prompt: 'a watercolour style sheet', seed: 5 }));
      const base = await ready(api, await submitOk(api, { prompt: 'a cat', input_image: await imageBase64(31) }));

      // input_image is another job (parent), input_image_2 is a third job's output (reference).
      const withRef = await ready(api, await submitOk(api, { prompt: 'the cat in that style', input_image: base.id, input_image_2: styleJob.id }));
      expect(withRef.parent_job_id).toBe(base.id);
      expect(withRef.root_job_id).toBe(base.id);
      expect(withRef.depth).toBe(1);
      expect(withRef.inputs).toEqual([
        expect.objectContaining({ asset_id: outputAssetOf(base), role: 'context', position: 0, producing_job_id: base.id }),
        expect.objectContaining({ asset_id: outputAssetOf(styleJob), role: 'reference', position: 1, producing_job_id: styleJob.id }),
      ]);

      // An uploaded context with a job reference: a root of its own.
      const uploadWithRef = await ready(
        api,
        await submitOk(api, { prompt: 'a dog in that style', input_image: await imageBase64(32), input_image_2: outputAssetOf(styleJob) }),
      );
      expect(uploadWithRef).toMatchObject({ parent_job_id: null, root_job_id: uploadWithRef.id, depth: 0 });
      expect(at(uploadWithRef.inputs, 1)).toMatchObject({
        asset_id: outputAssetOf(styleJob),
        role: 'reference',
        position: 1,
        producing_job_id: styleJob.id,
      });

      // Asset ids work in input_image too: an input asset (a new root, nothing uploaded) or an
      // output asset (an edit of the job that produced it).
      const baseInput = at(base.inputs, 0).asset_id;
      const fromInputAsset = await ready(api, await submitOk(api, { prompt: 'the original cat, again', input_image: baseInput }));
      expect(fromInputAsset).toMatchObject({ parent_job_id: null, root_job_id: fromInputAsset.id, depth: 0 });
      expect(fromInputAsset.inputs).toEqual([expect.objectContaining({ asset_id: baseInput, role: 'context', position: 0, producing_job_id: null })]);
      const fromOutputAsset = await ready(api, await submitOk(api, { prompt: 'the cat, edited', input_image: outputAssetOf(base) }));
      expect(fromOutputAsset).toMatchObject({ parent_job_id: base.id, root_job_id: base.id, depth: 1 });
      expect(await countInputAssets(platform.database.url, tenantId)).toBe(2); // base's and uploadWithRef's uploads

      // The lineage nodes carry the reference edges.
      const lineage = await getLineage(api, base.id);
      expect(shapeOf(lineage.tree)).toEqual({
        id: base.id,
        children: [
          { id: withRef.id, children: [] },
          { id: fromOutputAsset.id, children: [] },
        ],
      });
      expect(lineage.tree.references).toEqual([]);
      expect(at(lineage.tree.children, 0).references).toEqual([
        { asset_id: outputAssetOf(styleJob), position: 1, producing_job_id: styleJob.id },
      ]);
      expect((await getLineage(api, uploadWithRef.id)).tree.references).toEqual([
        { asset_id: outputAssetOf(styleJob), position: 1, producing_job_id: styleJob.id },
      ]);
      // Being referenced does not put a job in another tree.
      const styleLineage = await getLineage(api, styleJob.id);
      expect(shapeOf(styleLineage.tree)).toEqual({ id: styleJob.id, children: [] });

      // An edit of withRef inherits the reference; its node shows it too.
      const continued = await ready(api, await editOk(api, withRef.id, { prompt: 'and a hat' }));
      expect(at(continued.inputs, 1)).toMatchObject({ asset_id: outputAssetOf(styleJob), role: 'reference', producing_job_id: styleJob.id });
      const tip = await getLineage(api, continued.id);
      expect(tip.ancestors.map((node) => node.id)).toEqual([base.id, withRef.id]);
      expect(tip.tree.references).toEqual([{ asset_id: outputAssetOf(styleJob), position: 1, producing_job_id: styleJob.id }]);
    });

    it('a reference image needs input_image as well', async () => {
      const { api } = await newTenant(platform, 'Reference rules');
      const done = await ready(api, await submitOk(api, { prompt: 'a lamp' }));
      expectProblem(await api.submit({ prompt: 'x', input_image_2: done.id }), 422, ['input_image_2']);
    });
  });

  describe('another tenant can neither reference nor see', () => {
    it("refuses A's assets and jobs as B's inputs exactly like ids that do not exist, and hides them", async () => {
      const a = await newTenant(platform, 'Tenant A');
      const b = await newTenant(platform, 'Tenant B');
      const aJob = await ready(a.api, await submitOk(a.api, { prompt: 'a secret', input_image: await imageBase64(41) }));
      const aInput = at(aJob.inputs, 0).asset_id;
      const aOutput = outputAssetOf(aJob);

      const normalised = (detail: string, reference: string) => detail.replace(reference, '<ref>');
      const refused = async (field: string, reference: string, extra: Record<string, unknown> = {}) => {
        const problem = expectProblem(await b.api.submit({ prompt: 'steal', [field]: reference, ...extra }), 422, [field]);
        const issue = problem.errors?.find((error) => error.field === field);
        expect(issue?.message).toMatch(/^names no image in this account/);
        expect(problem.detail.startsWith(`${field} names `)).toBe(true);
        return { detail: normalised(problem.detail, reference), message: normalised(issue?.message ?? '', reference) };
      };

      const madeUpAsset = await refused('input_image', newId('asset'));
      const madeUpJob = await refused('input_image', newId('job'));
      expect(madeUpAsset).toEqual(madeUpJob);
      expect(await refused('input_image', aInput)).toEqual(madeUpAsset);
      expect(await refused('input_image', aOutput)).toEqual(madeUpAsset);
      expect(await refused('input_image', aJob.id)).toEqual(madeUpAsset);
      // As a reference, next to a valid upload of B's own: still refused, and nothing written.
      const ownImage = await imageBase64(42);
      expect((await refused('input_image_2', aOutput, { input_image: ownImage })).message).toBe(madeUpAsset.message);
      expect((await refused('input_image_2', aJob.id, { input_image: ownImage })).message).toBe(madeUpAsset.message);
      expect(await countFiles(join(platform.blobDir, 'tenants', b.tenantId))).toBe(0);
      expect(await countInputAssets(platform.database.url, b.tenantId)).toBe(0);
      expect((await listJobs(b.api, {})).data).toEqual([]);

      // Nothing of A's is visible to B; every answer is the same 404 as for an id that does not exist.
      const notFound = async (method: string, path: string, id: string, json?: unknown) => {
        const problem = expectProblem(await b.api.request(method, path, json === undefined ? {} : { json }), 404);
        return normalised(problem.detail, id);
      };
      const unknownJob = newId('job');
      const unknownAsset = newId('asset');
      expect(await notFound('GET', `/v1/jobs/${aJob.id}`, aJob.id)).toBe(await notFound('GET', `/v1/jobs/${unknownJob}`, unknownJob));
      expect(await notFound('GET', `/v1/jobs/${aJob.id}/lineage`, aJob.id)).toBe(
        await notFound('GET', `/v1/jobs/${unknownJob}/lineage`, unknownJob),
      );
      expect(await notFound('POST', `/v1/jobs/${aJob.id}/edits`, aJob.id, { prompt: 'steal' })).toBe(
        await notFound('POST', `/v1/jobs/${unknownJob}/edits`, unknownJob, { prompt: 'steal' }),
      );
      for (const assetId of [aInput, aOutput]) {
        expect(await notFound('GET', `/v1/assets/${assetId}`, assetId)).toBe(await notFound('GET', `/v1/assets/${unknownAsset}`, unknownAsset));
        expect(await notFound('GET', `/v1/assets/${assetId}/content`, assetId)).toBe(
          await notFound('GET', `/v1/assets/${unknownAsset}/content`, unknownAsset),
        );
      }
      const result = await b.api.getResult(aJob.id);
      expect(result.status).toBe(404);
      expect(result.body.status).toBe('Task not found');
      expect((await listJobs(b.api, { root: aJob.id })).data).toEqual([]);
      expect((await listJobs(b.api, {})).data).toEqual([]);

      // A still sees everything of its own.
      expect((await getLineage(a.api, aJob.id)).tree.id).toBe(aJob.id);
      expect((await getAsset(a.api, aInput)).kind).toBe('input');
      const content = await a.api.request('GET', `/v1/assets/${aOutput}/content`);
      expect(content.status).toBe(200);
    });
  });

  describe('retention deletes bytes, keeps the lineage', () => {
    it('expired assets become tombstones; the job and its lineage stay readable; re-upload revives the input', async () => {
      const { tenantId, api } = await newTenant(platform, 'Short retention');
      const patched = await platform.admin.request<{ limits: { retention_days: number } }>('PATCH', `/admin/v1/tenants/${tenantId}`, {
        json: { limits: { retention_days: 1 } },
      });
      expect(patched.status, patched.text).toBe(200);
      expect(patched.body.limits.retention_days).toBe(1);

      const inputBytes = await imageBase64(51, 600, 400);
      const expiring = await ready(api, await submitOk(api, { prompt: 'to be forgotten', input_image: inputBytes }));
      const inputAssetId = at(expiring.inputs, 0).asset_id;
      const outputAssetId = outputAssetOf(expiring);
      // Used within the retention period: kept (one half a day ago, one just now).
      const recent = await ready(api, await submitOk(api, { prompt: 'to be kept', input_image: await imageBase64(52, 600, 400) }));
      const recentIds = [at(recent.inputs, 0).asset_id, outputAssetOf(recent)];

      const before = await assetRows(platform.database.url, [inputAssetId, outputAssetId]);
      expect(before).toHaveLength(2);
      const blobPaths = before.flatMap((row) => [row.storage_key, ...(row.thumbnail_key ? [row.thumbnail_key] : [])]).map((key) => join(platform.blobDir, key));
      expect(blobPaths).toHaveLength(3); // the input, the output and the output's thumbnail
      for (const path of blobPaths) expect(existsSync(path), path).toBe(true);

      await withSql(platform.database.url, async (sql) => {
        await sql`UPDATE assets SET last_used_at = now() - interval '2 days' WHERE tenant_id = ${tenantId} AND id = ANY(${[inputAssetId, outputAssetId]}::text[])`;
        await sql`UPDATE assets SET last_used_at = now() - interval '12 hours' WHERE id = ${at(recentIds, 0)}`;
      });
      const deleted = await eventually(
        () => assetRows(platform.database.url, [inputAssetId, outputAssetId]),
        (rows) => rows.length === 2 && rows.every((row) => row.deleted_at !== null),
      );

      // Tombstones: the rows stay, the blobs are gone.
      expect(deleted.map((row) => row.id).sort()).toEqual([inputAssetId, outputAssetId].sort());
      for (const path of blobPaths) expect(existsSync(path), path).toBe(false);
      // Recently used assets were in the same sweep and were kept.
      const kept = await assetRows(platform.database.url, recentIds);
      expect(kept.map((row) => row.deleted_at)).toEqual([null, null]);
      for (const row of kept) expect(existsSync(join(platform.blobDir, row.storage_key))).toBe(true);
      expect((await api.request('GET', `/v1/assets/${outputAssetOf(recent)}/content`)).status).toBe(200);

      // The job record is whole, its output marked expired.
      const job = await getJob(api, expiring.id);
      expect(job.status).toBe('succeeded');
      expect(job.output).toEqual({ asset_id: outputAssetId, url: null, thumbnail_url: null, expired: true });
      expect(job.inputs).toEqual([expect.objectContaining({ asset_id: inputAssetId, expired: true })]);

      // So is its lineage node.
      const lineage = await getLineage(api, expiring.id);
      expect(lineage.tree).toMatchObject({ id: expiring.id, output_asset_id: outputAssetId, output_expired: true, thumbnail_url: null });

      // The asset records say when; their bytes answer 410.
      for (const assetId of [inputAssetId, outputAssetId]) {
        const asset = await getAsset(api, assetId);
        expect(asset.deleted_at).toEqual(expect.any(String));
        expect(asset).toMatchObject({ id: assetId, url: null, thumbnail_url: null, expires_at: null });
        const content = await api.request('GET', `/v1/assets/${assetId}/content`);
        expectProblem(content, 410);
      }

      // BFL polling still answers Ready, with no sample to download.
      const result = await api.getResult(expiring.id);
      expect(result.status).toBe(200);
      expect(result.body.status).toBe('Ready');
      expect(result.body.result).not.toBeNull();
      expect(result.body.result?.sample).toBeNull();

      // Referencing an expired image is refused with a clear message; so is continuing the job.
      for (const reference of [outputAssetId, expiring.id, inputAssetId]) {
        const problem = expectProblem(await api.submit({ prompt: 'again', input_image: reference }), 422, ['input_image']);
        expect(problem.detail).toMatch(/retention/);
        expect(problem.detail).toContain(reference);
        expect(problem.detail).toMatch(/upload the image again/);
      }
      const problem = expectProblem(await postEdit(api, expiring.id, { prompt: 'again' }), 422, ['input_image']);
      expect(problem.detail).toMatch(/retention/);

      // Uploading the same bytes again revives the input asset: same id, blob back, not deleted.
      const revived = await ready(api, await submitOk(api, { prompt: 'remembered', input_image: inputBytes }));
      expect(at(revived.inputs, 0)).toMatchObject({ asset_id: inputAssetId, expired: false });
      const revivedAsset = await getAsset(api, inputAssetId);
      expect(revivedAsset.deleted_at).toBeNull();
      expect(revivedAsset.url).toEqual(expect.any(String));
      expect(revivedAsset.expires_at).toEqual(expect.any(String));
      const inputRow = at(await assetRows(platform.database.url, [inputAssetId]), 0);
      expect(inputRow.deleted_at).toBeNull();
      expect(existsSync(join(platform.blobDir, inputRow.storage_key))).toBe(true);
      const content = await api.request('GET', `/v1/assets/${inputAssetId}/content`);
      expect(content.status).toBe(200);
      const bytes = await download(revivedAsset.url!);
      expect(bytes.bytes.equals(Buffer.from(inputBytes, 'base64'))).toBe(true);
      expect(await countInputAssets(platform.database.url, tenantId)).toBe(2);
      // The old job's output stays expired: only inputs can be revived by uploading them.
      expect((await getJob(api, expiring.id)).output?.expired).toBe(true);
    });

    it("using an image by reference restarts its retention clock; expires_at follows the tenant's retention", async () => {
      const { tenantId, api } = await newTenant(platform, 'Retention clock');
      const patched = await platform.admin.request('PATCH', `/admin/v1/tenants/${tenantId}`, { json: { limits: { retention_days: 1 } } });
      expect(patched.status, patched.text).toBe(200);
      const parent = await ready(api, await submitOk(api, { prompt: 'kept alive by use', input_image: await imageBase64(81) }));
      const outputId = outputAssetOf(parent);

      await withSql(platform.database.url, async (sql) => {
        await sql`UPDATE assets SET last_used_at = now() - interval '20 hours' WHERE id = ${outputId}`;
      });
      const aged = await getAsset(api, outputId);
      const agedUse = Date.parse(aged.last_used_at);
      expect(Date.now() - agedUse).toBeGreaterThan(19 * 3600_000);
      expect(Date.parse(aged.expires_at ?? '')).toBe(agedUse + 24 * 3600_000);

      // An edit of the job uses its output: the clock restarts, at the edit (not before it was asked
      // for; the 1 s allows for the API's timestamps being cut to the millisecond and the clocks' steps).
      const editAskedAt = Date.now();
      await ready(api, await editOk(api, parent.id, { prompt: 'one more' }));
      const used = await getAsset(api, outputId);
      expect(Date.parse(used.last_used_at)).toBeGreaterThanOrEqual(editAskedAt - 1000);
      expect(Date.parse(used.expires_at ?? '')).toBe(Date.parse(used.last_used_at) + 24 * 3600_000);
      expect(used.deleted_at).toBeNull();
    });
  });
});

// ---------------------------------------------------------------------------------------------
// A platform without built-in workers: jobs stay queued, or fail when a test's engine says so.

describe('continuing a job that has no output', () => {
  let platform: TestPlatform;
  let workers: TestWorkers;

  beforeAll(async () => {
    platform = await startTestPlatform({ workerLoops: 0, leaseSeconds: 1 });
    workers = new TestWorkers(platform.ctx);
  });

  afterEach(async () => {
    await workers.stopAll();
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it('a queued job cannot be edited (409) and nothing is created', async () => {
    const { api } = await newTenant(platform, 'Queued parent');
    const queued = await submitOk(api, { prompt: 'waiting', input_image: await imageBase64(61) });
    expect((await getJob(api, queued)).status).toBe('queued');
    const problem = expectProblem(await postEdit(api, queued, { prompt: 'too early' }), 409);
    expect(problem.job_status).toBe('queued');
    expect(problem.detail).toContain(queued);
    // Referencing it in a submit is refused too: it has no output yet.
    const refused = expectProblem(await api.submit({ prompt: 'too early', input_image: queued }), 422, ['input_image']);
    expect(refused.detail).toMatch(/no output/);
    expect((await listJobs(api, {})).data.map((job) => job.id)).toEqual([queued]);
    // Leave nothing for later tests' workers.
    expect((await api.request('POST', `/v1/jobs/${queued}/cancel`)).status).toBe(200);
  });

  it('a canceled job cannot be edited (409)', async () => {
    const { api } = await newTenant(platform, 'Canceled parent');
    const canceled = await submitOk(api, { prompt: 'never mind' });
    expect((await api.request('POST', `/v1/jobs/${canceled}/cancel`)).status).toBe(200);
    const problem = expectProblem(await postEdit(api, canceled, { prompt: 'x' }), 409);
    expect(problem.job_status).toBe('canceled');
  });

  it('a failed job cannot be edited (409)', async () => {
    workers.start(new ScriptedEngine(() => new EngineError('CUDA out of memory at step 3', false)));
    const { api } = await newTenant(platform, 'Failed parent');
    const failed = await submitOk(api, { prompt: 'doomed', input_image: await imageBase64(62) });
    const result = await api.waitForResult(failed);
    expect(result.status).toBe('Error');
    const job = await getJob(api, failed);
    expect(job).toMatchObject({ status: 'failed', output: null });
    const problem = expectProblem(await postEdit(api, failed, { prompt: 'try again' }), 409);
    expect(problem.job_status).toBe('failed');
    const refused = expectProblem(await api.submit({ prompt: 'x', input_image: failed }), 422, ['input_image']);
    expect(refused.detail).toMatch(/no output/);
    expect((await listJobs(api, {})).data.map((entry) => entry.id)).toEqual([failed]);
    // The failed job is still a lineage node of its own.
    const lineage = await getLineage(api, failed);
    expect(lineage.tree).toMatchObject({ id: failed, status: 'failed', bfl_status: 'Error', output_asset_id: null, thumbnail_url: null, children: [] });
  });
});
