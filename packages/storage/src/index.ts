export * from './port.ts';
export * from './keys.ts';
export { BlobUrlSigner, SIGNED_BLOB_PATH, type SignedUrlCheck } from './url-signer.ts';
export { FilesystemBlobStore, contentTypeOf } from './filesystem-store.ts';
export { S3BlobStore, DEFAULT_MULTIPART_THRESHOLD_BYTES, MAX_SIGNED_URL_SECONDS, type S3BlobStoreOptions, type S3ServerSideEncryption } from './s3-store.ts';
