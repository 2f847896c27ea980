import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

// Model weights come from S3 at container start, never from the image: the image stays small and
// the weights never sit in a build context. They land on a host volume, so a task restarted on
// the same instance finds them already there and only changed files are fetched again.

const MANIFEST = '.kontext-weights.json';
const CONCURRENT_DOWNLOADS = 4;

export interface WeightsSyncReport {
  files: number;
  downloaded: number;
  downloadedBytes: number;
}

interface ManifestEntry {
  etag: string;
  size: number;
}

/** `s3://bucket/prefix/` split into bucket and key prefix (which ends in `/` unless empty). */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.*)$/.exec(uri);
  if (!match) throw new Error(`not an s3:// URI with a bucket: ${uri}`);
  const prefix = match[2] ?? '';
  return { bucket: match[1]!, prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/` };
}

/** Where an object's name (its key below the prefix) lands; refuses names that would leave `root`. */
export function weightsPathFor(root: string, name: string): string {
  const path = resolve(root, name);
  if (!path.startsWith(`${root}${sep}`) || relative(root, path) === MANIFEST) throw new Error(`refusing weights key ${JSON.stringify(name)}`);
  return path;
}

/**
 * Mirrors every object under an S3 prefix into a directory. A file whose size and ETag match what
 * was last fetched is kept; anything else is downloaded to a temporary name and renamed into
 * place, so an interrupted sync never leaves a truncated file under a real name.
 */
export async function syncModelWeights(options: { client: S3Client; uri: string; directory: string }): Promise<WeightsSyncReport> {
  const { bucket, prefix } = parseS3Uri(options.uri);
  const root = resolve(options.directory);
  await mkdir(root, { recursive: true });
  const manifestPath = join(root, MANIFEST);
  const manifest: Record<string, ManifestEntry> = await readFile(manifestPath, 'utf8').then(
    (text) => JSON.parse(text) as Record<string, ManifestEntry>,
    () => ({}),
  );

  const objects: { key: string; path: string; etag: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const page = await options.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      if (!object.Key || object.Key.endsWith('/')) continue;
      // A key like `../x` must not write outside the weights directory.
      const path = weightsPathFor(root, object.Key.slice(prefix.length));
      objects.push({ key: object.Key, path, etag: object.ETag ?? '', size: object.Size ?? 0 });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  if (objects.length === 0) throw new Error(`no model weights under ${options.uri}`);

  const stale = [];
  for (const object of objects) {
    const known = manifest[object.key];
    const local = await stat(object.path).catch(() => null);
    if (!known || known.etag !== object.etag || known.size !== object.size || local?.size !== object.size) stale.push(object);
  }

  let downloadedBytes = 0;
  const queue = [...stale];
  // The manifest is written even after a failure, so files already fetched are not fetched again.
  try {
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENT_DOWNLOADS, queue.length) }, async () => {
        for (let object = queue.shift(); object; object = queue.shift()) {
          await mkdir(dirname(object.path), { recursive: true });
          const partial = `${object.path}.partial`;
          const response = await options.client.send(new GetObjectCommand({ Bucket: bucket, Key: object.key }));
          if (!(response.Body instanceof Readable)) throw new Error(`no body for ${object.key}`);
          try {
            await pipeline(response.Body, createWriteStream(partial));
            await rename(partial, object.path);
          } catch (error) {
            await rm(partial, { force: true });
            throw error;
          }
          manifest[object.key] = { etag: object.etag, size: object.size };
          downloadedBytes += object.size;
        }
      }),
    );
  } finally {
    await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  }
  return { files: objects.length, downloaded: stale.length, downloadedBytes };
}
