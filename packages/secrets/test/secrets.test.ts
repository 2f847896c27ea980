import { chmod, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TEST_AWS_CREDENTIALS, TEST_AWS_REGION } from '../../../test/harness/aws-servers.ts';
import { createKeyFile, EnvelopeSealer, KeyFileWrapper, KmsKeyWrapper, SealedSecretError } from '../src/index.ts';
import { describeSecretSealerConformance } from './conformance.ts';

let keyDirectory: string;
let kms: KMSClient;
let kmsKeyId: string;

beforeAll(async () => {
  keyDirectory = await mkdtemp(join(tmpdir(), 'kontext-secret-keys-'));
  kms = new KMSClient({ endpoint: inject('motoEndpoint'), region: TEST_AWS_REGION, credentials: TEST_AWS_CREDENTIALS });
  kmsKeyId = (await kms.send(new CreateKeyCommand({ Description: 'kontext test' }))).KeyMetadata!.KeyId!;
});

afterAll(async () => {
  kms?.destroy();
  await rm(keyDirectory, { recursive: true, force: true });
});

describeSecretSealerConformance('key files', async () => new EnvelopeSealer(await KeyFileWrapper.load(keyDirectory)));
describeSecretSealerConformance('AWS KMS (moto)', async () => new EnvelopeSealer(new KmsKeyWrapper(kms, kmsKeyId)));

describe('key files', () => {
  it('makes its first key, readable by its owner only', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'kontext-first-key-'));
    await chmod(directory, 0o755);
    try {
      await KeyFileWrapper.load(join(directory, 'keys'));
      const files = await readdir(join(directory, 'keys'));
      expect(files).toHaveLength(1);
      expect((await stat(join(directory, 'keys', files[0]!))).mode & 0o077).toBe(0);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('rotates: a newer key seals from the next start; values of the older one still open; a removed key is named', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'kontext-rotation-'));
    try {
      const before = new EnvelopeSealer(await KeyFileWrapper.load(directory));
      const old = await before.seal('whsec_old', 'ctx');
      await createKeyFile(directory, new Date(Date.now() + 1000));
      const after = new EnvelopeSealer(await KeyFileWrapper.load(directory));
      expect(after.isCurrent(old)).toBe(false);
      expect(await after.open(old, 'ctx')).toBe('whsec_old');
      const fresh = await after.seal('whsec_new', 'ctx');
      expect(after.isCurrent(fresh)).toBe(true);

      const oldest = (await readdir(directory)).sort()[0]!;
      await rm(join(directory, oldest));
      const withoutOld = new EnvelopeSealer(await KeyFileWrapper.load(directory));
      await expect(withoutOld.open(old, 'ctx')).rejects.toThrow(SealedSecretError);
      expect(await withoutOld.open(fresh, 'ctx')).toBe('whsec_new');
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('AWS KMS', () => {
  it('asks KMS for one data key per lifetime, not one per value', async () => {
    let generated = 0;
    kms.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GenerateDataKeyCommand') generated += 1;
        return next(args);
      },
      { step: 'initialize', name: 'countDataKeys' },
    );
    try {
      const sealer = new EnvelopeSealer(new KmsKeyWrapper(kms, kmsKeyId));
      for (let i = 0; i < 5; i++) await sealer.seal(`secret ${i}`, 'ctx');
      expect(generated).toBe(1);
    } finally {
      kms.middlewareStack.remove('countDataKeys');
    }
  });
});
