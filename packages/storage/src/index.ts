export * from './port.ts';
export * from './keys.ts';
export { BlobUrlSigner, SIGNED_BLOB_PATH, type SignedUrlCheck } from './url-signer.ts';
export { FilesystemBlobStore, contentTypeOf } from './filesystem-store.ts';
