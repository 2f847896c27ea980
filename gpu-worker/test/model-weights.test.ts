import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TEST_AWS_CREDENTIALS, TEST_AWS_REGION } from '../../test/harness/aws-servers.ts';
import { parseS3Uri, syncModelWeights, weightsPathFor } from '../src/model-weights.ts';

// Weight sync against S3's real protocol (s3rver): what a GPU task does at start.

const client = new S3Client({ region: TEST_AWS_REGION, credentials: TEST_AWS_CREDENTIALS, endpoint: inject('s3Endpoint'), forcePathStyle: true });
const bucket = `weights-${randomBytes(4).toString('hex')}`;
let directory: string;

beforeAll(async () => {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  directory = await mkdtemp(join(tmpdir(), 'kontext-weights-'));
});

afterAll(async () => {
  client.destroy();
  await rm(directory, { recursive: true, force: true });
});

async function put(key: string, body: Buffer | string): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

describe('syncModelWeights', () => {
  it('mirrors a prefix, then fetches only what changed', async () => {
    const transformer = randomBytes(3 * 1024 * 1024);
    const index = '{"_class_name":"FluxKontextPipeline"}';
    await put('models/kontext/model_index.json', index);
    await put('models/kontext/transformer/diffusion_pytorch_model.safetensors', transformer);
    await put('models/other/ignored.bin', 'not under the prefix');
    const uri = `s3://${bucket}/models/kontext/`;

    const first = await syncModelWeights({ client, uri, directory });
    expect(first).toEqual({ files: 2, downloaded: 2, downloadedBytes: transformer.length + Buffer.byteLength(index) });
    expect(Buffer.compare(await readFile(join(directory, 'transformer', 'diffusion_pytorch_model.safetensors')), transformer)).toBe(0);
    expect((await readdir(directory)).sort()).toEqual(['.kontext-weights.json', 'model_index.json', 'transformer']);

    expect(await syncModelWeights({ client, uri, directory })).toEqual({ files: 2, downloaded: 0, downloadedBytes: 0 });

    await put('models/kontext/model_index.json', '{"_class_name":"FluxKontextPipeline","v":2}');
    expect(await syncModelWeights({ client, uri, directory })).toMatchObject({ files: 2, downloaded: 1 });
    expect(await readFile(join(directory, 'model_index.json'), 'utf8')).toContain('"v":2');
  });

  it('fetches again a file damaged on disk (size differs from the object)', async () => {
    const uri = `s3://${bucket}/models/kontext/`;
    await writeFile(join(directory, 'model_index.json'), 'trunc');
    expect(await syncModelWeights({ client, uri, directory })).toMatchObject({ downloaded: 1 });
    expect((await stat(join(directory, 'model_index.json'))).size).toBeGreaterThan(5);
  });

  it('refuses an empty prefix', async () => {
    await expect(syncModelWeights({ client, uri: `s3://${bucket}/models/nothing-here/`, directory })).rejects.toThrow(/no model weights/);
  });

  it('never writes outside its directory, whatever an object is called', () => {
    // S3 keys may hold `..` segments (the SDK normalises them away on upload, so this is checked directly).
    for (const name of ['../escape.bin', 'a/../../escape.bin', '/etc/passwd', '', '.', '.kontext-weights.json']) {
      expect(() => weightsPathFor('/models', name)).toThrow(/refusing weights key/);
    }
    expect(weightsPathFor('/models', 'transformer/part-1.safetensors')).toBe('/models/transformer/part-1.safetensors');
    expect(weightsPathFor('/models', 'a/../b.bin')).toBe('/models/b.bin');
  });

  it('parses s3:// URIs', () => {
    expect(parseS3Uri('s3://my-bucket/models/flux-kontext-dev')).toEqual({ bucket: 'my-bucket', prefix: 'models/flux-kontext-dev/' });
    expect(parseS3Uri('s3://my-bucket/')).toEqual({ bucket: 'my-bucket', prefix: '' });
    expect(() => parseS3Uri('https://my-bucket/models')).toThrow(/s3:\/\//);
  });
});
