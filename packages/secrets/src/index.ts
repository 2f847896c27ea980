export * from './port.ts';
export { EnvelopeSealer } from './envelope-sealer.ts';
export { createKeyFile, KeyFileWrapper } from './key-file-wrapper.ts';
export { KmsKeyWrapper } from './kms-key-wrapper.ts';
