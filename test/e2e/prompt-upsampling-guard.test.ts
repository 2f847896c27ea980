import { describe, expect } from 'vitest';
import { z } from 'zod';
import { test as base } from '../harness/fixtures.ts';
import { UpsamplerServer } from '../harness/upsampler-server.ts';

// The upsampler is reached through the SSRF guard: an endpoint on loopback, configured without
// ALLOW_PRIVATE_PROMPT_UPSAMPLER (the default), is refused before any connection, and the job runs
// with the prompt as given. The server is real and listening, so a request that got through would
// be recorded.

const LogLineSchema = z.looseObject({ level: z.string(), message: z.string(), jobId: z.string().optional(), reason: z.string().optional(), error: z.string().optional() });

const withUpsampler = base.extend('upsampler', { scope: 'file' }, async ({}, { onCleanup }) => {
  const server = await new UpsamplerServer().start();
  onCleanup(() => server.stop());
  return server;
});

withUpsampler.override('platformOptions', { scope: 'file' }, ({ upsampler }) => ({
  promptUpsampler: { url: upsampler.url('/v1'), model: 'detail-writer-1', apiKey: `sk-guard-${'g'.repeat(32)}` },
}));

const test = withUpsampler;

describe('an upsampler on loopback without the private-network switch', () => {
  test('is never sent a request: the job runs with the prompt as given, says "failed", and a warning says why', async ({ platform, tenant, upsampler }) => {
    const api = platform.client(tenant.key);
    const prompt = 'a paper boat on a puddle';
    const finished = await api.submitAndWait({ prompt, steps: 2, prompt_upsampling: true });

    expect(finished.status).toBe('Ready');
    expect(finished.result?.prompt).toBe(prompt);
    expect(finished.details?.prompt_upsampling).toBe('failed');
    expect(finished.details).not.toHaveProperty('upsampled_prompt');
    expect(upsampler.requests).toEqual([]);

    const warning = platform.logs
      .map((line) => LogLineSchema.parse(JSON.parse(line)))
      .find((line) => line.jobId === finished.id && line.message.startsWith('prompt upsampling failed'));
    expect(warning).toMatchObject({ level: 'warn', reason: 'refused_target' });
    expect(warning?.error).toMatch(/^refused before connecting: 127\.0\.0\.1 resolves to a private, loopback or reserved address/);
    expect(warning?.error).toContain('ALLOW_PRIVATE_PROMPT_UPSAMPLER');
  });

  test('is named at start by origin and model only', ({ platform, upsampler }) => {
    const ready = platform.logs.map((line) => LogLineSchema.parse(JSON.parse(line))).find((line) => line.message === 'platform ready');
    expect(ready?.['promptUpsampler']).toBe(`${upsampler.url('')} (detail-writer-1)`);
  });
});
