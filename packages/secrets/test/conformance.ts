import { describe, expect, it } from 'vitest';
import { SealedSecretError, type SecretSealer } from '../src/index.ts';

// What every secret sealer must do, whatever holds its keys.

export function describeSecretSealerConformance(name: string, makeSealer: () => Promise<SecretSealer>): void {
  describe(`${name}: SecretSealer conformance`, () => {
    it('opens what it sealed, for the same context', async () => {
      const sealer = await makeSealer();
      for (const secret of ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'a raw secret with ünïcode ✓', '']) {
        const sealed = await sealer.seal(secret, 'webhook-endpoint:whe_1');
        if (secret.length > 8) expect(sealed).not.toContain(secret);
        expect(await sealer.open(sealed, 'webhook-endpoint:whe_1')).toBe(secret);
        expect(sealer.isCurrent(sealed)).toBe(true);
      }
    });

    it('seals the same secret differently every time', async () => {
      const sealer = await makeSealer();
      const [a, b] = [await sealer.seal('same', 'ctx'), await sealer.seal('same', 'ctx')];
      expect(a).not.toBe(b);
    });

    it('refuses to open a value for another context (copied to another row)', async () => {
      const sealer = await makeSealer();
      const sealed = await sealer.seal('whsec_secret', 'job-webhook:job_A');
      await expect(sealer.open(sealed, 'job-webhook:job_B')).rejects.toBeInstanceOf(SealedSecretError);
    });

    it('refuses a tampered value', async () => {
      const sealer = await makeSealer();
      const sealed = await sealer.seal('whsec_secret', 'ctx');
      const parts = sealed.split(':');
      const body = Buffer.from(parts.at(-1)!, 'base64url');
      body[0] = body[0]! ^ 1;
      parts[parts.length - 1] = body.toString('base64url');
      await expect(sealer.open(parts.join(':'), 'ctx')).rejects.toBeInstanceOf(SealedSecretError);
      await expect(sealer.open('sealed:v1:broken', 'ctx')).rejects.toBeInstanceOf(SealedSecretError);
    });

    it('passes a value from before sealing through, and says it is not current', async () => {
      const sealer = await makeSealer();
      expect(await sealer.open('whsec_plain', 'ctx')).toBe('whsec_plain');
      expect(sealer.isCurrent('whsec_plain')).toBe(false);
    });

    it('opens values sealed by another process with the same keys', async () => {
      const [first, second] = [await makeSealer(), await makeSealer()];
      expect(await second.open(await first.seal('shared', 'ctx'), 'ctx')).toBe('shared');
    });
  });
}
