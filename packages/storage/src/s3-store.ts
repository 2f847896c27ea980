import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  type S3Client,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { assertValidKey, assertValidPrefix, type BlobMetadata, type BlobStore } from './port.ts';

// Blobs as S3 objects in one bucket, optionally under a key prefix. Every write asks for
// server-side encryption; large bodies go up as parallel multipart uploads; signed URLs are
// S3's own presigned GETs (optionally signed for a different, public endpoint).

export type S3ServerSideEncryption = { kind: 'AES256' } | { kind: 'aws:kms'; kmsKeyId?: string };

export interface S3BlobStoreOptions {
  client: S3Client;
  bucket: string;
  /** Prepended to every key on the wire (e.g. 'blobs/'); list() strips it again. */
  keyPrefix?: string;
  /** Requested on every write; default SSE-S3 (AES256). */
  serverSideEncryption?: S3ServerSideEncryption;
  /** Bodies of at least this many bytes are uploaded in parallel parts (default 16 MiB). */
  multipartThresholdBytes?: number;
  /** Presigns with this client instead (e.g. one configured with a public endpoint). */
  presignClient?: S3Client;
  /** Keys per ListObjectsV2 page (S3's default and maximum: 1000). */
  listPageSize?: number;
}

const MIB = 1024 * 1024;
export const DEFAULT_MULTIPART_THRESHOLD_BYTES = 16 * MIB;
// S3 parts are at least 5 MiB (except the last) and at most 10,000 per upload.
const PREFERRED_PART_BYTES = 8 * MIB;
const MAX_PARTS = 10_000;
const PARALLEL_PARTS = 4;
// SigV4 presigned URLs are valid for at most 7 days.
export const MAX_SIGNED_URL_SECONDS = 7 * 24 * 60 * 60;
const MAX_LIST_PAGE_SIZE = 1000;

export class S3BlobStore implements BlobStore {
  readonly #client: S3Client;
  readonly #presignClient: S3Client;
  readonly #bucket: string;
  readonly #keyPrefix: string;
  readonly #encryption: { ServerSideEncryption: ServerSideEncryption; SSEKMSKeyId?: string };
  readonly #multipartThresholdBytes: number;
  readonly #listPageSize: number;

  constructor(options: S3BlobStoreOptions) {
    const keyPrefix = options.keyPrefix ?? '';
    // The prefix is part of every object key, so it obeys the same rules as a listing prefix.
    assertValidPrefix(keyPrefix);
    this.#client = options.client;
    this.#presignClient = options.presignClient ?? options.client;
    this.#bucket = options.bucket;
    this.#keyPrefix = keyPrefix;
    const encryption = options.serverSideEncryption ?? { kind: 'AES256' };
    this.#encryption =
      encryption.kind === 'aws:kms'
        ? { ServerSideEncryption: 'aws:kms', ...(encryption.kmsKeyId ? { SSEKMSKeyId: encryption.kmsKeyId } : {}) }
        : { ServerSideEncryption: 'AES256' };
    this.#multipartThresholdBytes = options.multipartThresholdBytes ?? DEFAULT_MULTIPART_THRESHOLD_BYTES;
    this.#listPageSize = Math.min(MAX_LIST_PAGE_SIZE, Math.max(1, Math.floor(options.listPageSize ?? MAX_LIST_PAGE_SIZE)));
  }

  async put(key: string, bytes: Uint8Array, options: { contentType: string }): Promise<void> {
    const params = { Bucket: this.#bucket, Key: this.#objectKey(key), Body: bytes, ContentType: options.contentType, ...this.#encryption };
    if (bytes.byteLength < this.#multipartThresholdBytes) {
      await this.#client.send(new PutObjectCommand(params));
      return;
    }
    const partSize = Math.max(PREFERRED_PART_BYTES, Math.ceil(bytes.byteLength / MAX_PARTS));
    // A failed upload aborts itself, so no orphaned parts are left to bill for.
    await new Upload({ client: this.#client, params, partSize, queueSize: PARALLEL_PARTS, leavePartsOnError: false }).done();
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      const output = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: this.#objectKey(key) }));
      if (!output.Body) return new Uint8Array(0);
      const bytes = await output.Body.transformToByteArray();
      // A plain Uint8Array, whatever Buffer subclass the SDK hands back.
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (error) {
      if (isMissingObject(error)) return null;
      throw error;
    }
  }

  async head(key: string): Promise<BlobMetadata | null> {
    try {
      const output = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#objectKey(key) }));
      return { byteSize: output.ContentLength ?? 0, contentType: output.ContentType ?? 'application/octet-stream' };
    } catch (error) {
      if (isMissingObject(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    // S3 answers 204 for a key that does not exist: deleting is idempotent on the wire already.
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#objectKey(key) }));
  }

  async *list(prefix: string): AsyncIterable<string> {
    assertValidPrefix(prefix);
    const pages = paginateListObjectsV2(
      { client: this.#client, pageSize: this.#listPageSize },
      { Bucket: this.#bucket, Prefix: `${this.#keyPrefix}${prefix}` },
    );
    for await (const page of pages) {
      for (const object of page.Contents ?? []) {
        if (object.Key?.startsWith(this.#keyPrefix)) yield object.Key.slice(this.#keyPrefix.length);
      }
    }
  }

  async signedUrl(key: string, options: { expiresInSeconds: number }): Promise<string> {
    const Key = this.#objectKey(key);
    if (!Number.isFinite(options.expiresInSeconds) || options.expiresInSeconds < 1) {
      throw new RangeError(`a signed URL must live at least 1 second, not ${options.expiresInSeconds}`);
    }
    // Longer lifetimes are cut to S3's 7-day maximum rather than producing a URL S3 refuses.
    const expiresIn = Math.min(MAX_SIGNED_URL_SECONDS, Math.floor(options.expiresInSeconds));
    return getSignedUrl(this.#presignClient, new GetObjectCommand({ Bucket: this.#bucket, Key }), { expiresIn });
  }

  #objectKey(key: string): string {
    assertValidKey(key);
    return `${this.#keyPrefix}${key}`;
  }
}

/** A 404 for the object itself; a missing bucket is a configuration error and is not swallowed. */
function isMissingObject(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'NoSuchKey' || error.name === 'NotFound') return true;
  const status = '$metadata' in error ? (error.$metadata as { httpStatusCode?: number } | undefined)?.httpStatusCode : undefined;
  return status === 404 && error.name !== 'NoSuchBucket';
}
