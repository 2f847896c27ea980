import { expect } from 'vitest';
import { countFiles, countRows } from '../../../test/harness/counts.ts';
import { test as base } from '../../../test/harness/fixtures.ts';
import { pngImage } from '../../../test/harness/images.ts';
import type { TestPlatform } from '../../../test/harness/platform.ts';

// Submit and continue-edit take multipart/form-data as well as JSON: image fields as file parts,
// other fields as text parts read as their JSON types. Over a real socket, as curl -F sends it.

const test = base.extend('platformOptions', { scope: 'file' }, { workerLoops: 2, transport: 'socket' as const });

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function post(platform: TestPlatform, key: string, path: string, body: NonNullable<RequestInit['body']>, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${platform.url}${path}`, { method: 'POST', body, headers: { 'x-key': key, ...headers } });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

function form(fields: Record<string, string | Buffer>, files: Record<string, Buffer> = {}): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.append(name, typeof value === 'string' ? value : new Blob([value]));
  for (const [name, bytes] of Object.entries(files)) data.append(name, new Blob([bytes], { type: 'image/png' }), `${name}.png`);
  return data;
}

/** A hand-written multipart body, for shapes FormData will not produce (two parts of one name, a cut body). */
function rawMultipart(boundary: string, parts: { name: string; filename?: string; value: string | Buffer }[], close = true): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename ? `; filename="${part.filename}"` : ''}`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n\r\n`), Buffer.from(part.value), Buffer.from('\r\n'));
  }
  if (close) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

async function finished(platform: TestPlatform, key: string, id: string) {
  return platform.client(key).waitForResult(id, { timeoutMs: 60_000 });
}

async function sampleBytes(platform: TestPlatform, key: string, id: string): Promise<Buffer> {
  const result = await finished(platform, key, id);
  expect(result.status).toBe('Ready');
  return Buffer.from(await (await fetch(result.result!.sample!)).arrayBuffer());
}

test('a form submit and a JSON submit of the same inputs give identical bytes', { timeout: 120_000 }, async ({ platform, tenant }) => {
  const image = await pngImage({ width: 96, height: 64, seed: 21 });
  const reference = await pngImage({ width: 64, height: 64, seed: 22 });
  const viaForm = await post(
    platform,
    tenant.key,
    '/v1/flux-kontext-dev',
    form({ prompt: 'make it night', seed: '42', steps: '4', guidance: '2.5', prompt_upsampling: 'false', output_format: 'png' }, { input_image: image, input_image_2: reference }),
  );
  expect(viaForm.status, JSON.stringify(viaForm.body)).toBe(200);
  const viaJson = await post(
    platform,
    tenant.key,
    '/v1/flux-kontext-dev',
    JSON.stringify({
      prompt: 'make it night',
      seed: 42,
      steps: 4,
      guidance: 2.5,
      prompt_upsampling: false,
      output_format: 'png',
      input_image: image.toString('base64'),
      input_image_2: reference.toString('base64'),
    }),
    { 'content-type': 'application/json' },
  );
  expect(viaJson.status).toBe(200);
  expect(viaForm.body.input_mp).toBe(viaJson.body.input_mp);
  const [formBytes, jsonBytes] = await Promise.all([
    sampleBytes(platform, tenant.key, String(viaForm.body.id)),
    sampleBytes(platform, tenant.key, String(viaJson.body.id)),
  ]);
  expect(formBytes.length).toBeGreaterThan(0);
  expect(formBytes.equals(jsonBytes)).toBe(true);
});

test('continue-edit takes a form, a reference as a file part and an empty part dropping an inherited one', { timeout: 120_000 }, async ({ platform, tenant }) => {
  const image = await pngImage({ width: 64, height: 64, seed: 31 });
  const first = await post(platform, tenant.key, '/v1/flux-kontext-dev', form({ prompt: 'a cat', seed: '1' }, { input_image: image, input_image_2: image }));
  expect(first.status).toBe(200);
  await finished(platform, tenant.key, String(first.body.id));
  const edit = await post(
    platform,
    tenant.key,
    `/v1/jobs/${String(first.body.id)}/edits`,
    form({ prompt: 'now add sunglasses', input_image_2: '' }, { input_image_3: await pngImage({ width: 32, height: 32, seed: 32 }) }),
  );
  expect(edit.status, JSON.stringify(edit.body)).toBe(200);
  const child = await finished(platform, tenant.key, String(edit.body.id));
  expect(child.status).toBe('Ready');
  const view = await platform.client(tenant.key).request<{ parent_job_id: string }>('GET', `/v1/jobs/${String(edit.body.id)}`);
  expect(view.body.parent_job_id).toBe(first.body.id);
});

test('the same Idempotency-Key on a form sent again with another boundary replays the first answer', async ({ platform, tenant, sql }) => {
  const image = await pngImage({ width: 48, height: 48, seed: 41 });
  const send = (boundary: string) =>
    post(platform, tenant.key, '/v1/flux-kontext-dev', rawMultipart(boundary, [{ name: 'prompt', value: 'once' }, { name: 'input_image', filename: 'a.png', value: image }]), {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'idempotency-key': 'form-retry-1',
    });
  const first = await send('first-boundary-1234');
  const again = await send('second-boundary-5678');
  expect(first.status).toBe(200);
  expect(again.status).toBe(200);
  expect(again.headers.get('idempotent-replayed')).toBe('true');
  expect(again.body.id).toBe(first.body.id);
  const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM jobs WHERE tenant_id = ${tenant.tenantId}`;
  expect(row?.n).toBe(1);
  // Finished before the next test counts rows, so nothing of this job is still being written.
  await finished(platform, tenant.key, String(first.body.id));
});

test('text parts are read as their fields\' JSON types, and refused as JSON would be when they do not fit', async ({ platform, tenant }) => {
  const answer = await post(platform, tenant.key, '/v1/flux-kontext-dev', form({ prompt: 'x', seed: 'forty-two', steps: '0x10' }));
  expect(answer.status).toBe(422);
  const fields = (answer.body.errors as { field: string }[] | undefined)?.map((issue) => issue.field) ?? [];
  expect(fields).toEqual(expect.arrayContaining(['seed', 'steps']));
  const unknown = await post(platform, tenant.key, '/v1/flux-kontext-dev', form({ prompt: 'x' }, { mask: await pngImage({ width: 8, height: 8 }) }));
  expect(unknown.status).toBe(422);
  expect(String(unknown.body.detail)).toContain('mask: masks are not supported');
});

test.for([
  {
    name: 'a multipart type without a boundary',
    status: 400,
    field: 'content-type',
    send: () => ({ body: 'prompt=x', type: 'multipart/form-data' }),
  },
  {
    name: 'two parts with one name',
    status: 422,
    field: 'prompt',
    send: () => ({ body: rawMultipart('b0undary', [{ name: 'prompt', value: 'one' }, { name: 'prompt', value: 'two' }]), type: 'multipart/form-data; boundary=b0undary' }),
  },
  {
    name: 'a file part for a text field',
    status: 422,
    field: 'prompt',
    send: () => ({ body: rawMultipart('b0undary', [{ name: 'prompt', filename: 'prompt.txt', value: 'a cat' }]), type: 'multipart/form-data; boundary=b0undary' }),
  },
  {
    name: 'a file part over the image size limit',
    status: 413,
    field: 'input_image',
    send: () => ({
      body: rawMultipart('b0undary', [{ name: 'prompt', value: 'big' }, { name: 'input_image', filename: 'big.png', value: Buffer.alloc(20 * 1024 * 1024 + 1, 7) }]),
      type: 'multipart/form-data; boundary=b0undary',
    }),
  },
  {
    name: 'a body cut before its closing delimiter',
    status: 400,
    field: undefined,
    send: () => ({ body: rawMultipart('b0undary', [{ name: 'prompt', value: 'cut' }], false), type: 'multipart/form-data; boundary=b0undary' }),
  },
  {
    name: 'a body of another type',
    status: 415,
    field: undefined,
    send: () => ({ body: 'prompt=x', type: 'application/x-www-form-urlencoded' }),
  },
])('$name is refused naming the part, writing nothing', { timeout: 60_000 }, async ({ status, field, send }, { platform, tenant }) => {
  const before = { rows: await countRows(platform.database.url), files: await countFiles(platform.blobDir) };
  const { body, type } = send();
  const answer = await post(platform, tenant.key, '/v1/flux-kontext-dev', body, { 'content-type': type });
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(answer.body.message).toBe(answer.body.detail);
  if (field) expect((answer.body.errors as { field: string }[]).map((issue) => issue.field)).toContain(field);
  expect({ rows: await countRows(platform.database.url), files: await countFiles(platform.blobDir) }).toEqual(before);
});

test('the OpenAPI document states the form of every submit and of continue-edit', async ({ platform }) => {
  const document = (await (await fetch(`${platform.url}/openapi.json`)).json()) as {
    paths: Record<string, { post?: { requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown>; required: string[] } }> } } }>;
  };
  for (const path of ['/v1/flux-kontext-dev', '/v1/flux-kontext-pro', '/v1/jobs/{id}/edits']) {
    const content = document.paths[path]?.post?.requestBody?.content ?? {};
    expect(Object.keys(content).sort()).toEqual(['application/json', 'multipart/form-data']);
    const properties = content['multipart/form-data']!.schema.properties;
    expect(properties).toHaveProperty('prompt');
    expect(properties).toHaveProperty('input_image_2');
    expect(content['multipart/form-data']!.schema.required).toEqual(['prompt']);
  }
});
