import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateApiKey } from '@kontext/core';
import { revokeApiKey } from '@kontext/db';
import { createTenant, issueApiKey } from '@kontext/services';
import { BlobUrlSigner } from '@kontext/storage';
import { describe, expect } from 'vitest';
import { it } from '../../../test/harness/fixtures.ts';
import type { TestPlatform } from '../../../test/harness/platform.ts';

it.override({ platformOptions: { workerLoops: 1 } });

async function revokedKey(platform: TestPlatform): Promise<string> {
  const tenant = await createTenant({ ctx: platform.ctx, input: { name: 'Revoked' } });
  const created = await issueApiKey({ ctx: platform.ctx, input: { tenantId: tenant.id, name: 'old', mode: 'live' } });
  await revokeApiKey(platform.ctx.db, created.id);
  return created.key;
}

describe('authentication', () => {
  it('missing, malformed, mistyped, unknown and revoked keys get one identical 401', async ({ platform }) => {
    const dev = platform.devApiKey;
    const mistyped = dev.slice(0, -1) + (dev.endsWith('A') ? 'B' : 'A');
    const cases: (string | null)[] = [null, '', 'not-a-key', mistyped, generateApiKey('live'), await revokedKey(platform)];
    const bodies = [];
    for (const key of cases) {
      const response = await platform.api.submit({ prompt: 'x' }, { key });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      const { request_id: _id, ...rest } = response.body as unknown as Record<string, unknown>;
      bodies.push(rest);
    }
    for (const body of bodies) expect(body).toEqual(bodies[0]);
  });

  it('a revoked key stops working even after it was used (cache expiry bounds the delay)', async ({ platform }) => {
    const tenant = await createTenant({ ctx: platform.ctx, input: { name: 'Soon revoked' } });
    const created = await issueApiKey({ ctx: platform.ctx, input: { tenantId: tenant.id, name: 'k', mode: 'live' } });
    const client = platform.client(created.key);
    expect((await client.request('GET', '/v1/models')).status).toBe(200);
    await revokeApiKey(platform.ctx.db, created.id);
    platform.ctx.apiKeyCache.clear();
    expect((await client.request('GET', '/v1/models')).status).toBe(401);
  });

  it('accepts x-key and Authorization: Bearer', async ({ platform }) => {
    expect((await platform.api.request('GET', '/v1/models')).status).toBe(200);
    const bearer = await platform.api.request('GET', '/v1/models', { key: null, headers: { authorization: `Bearer ${platform.devApiKey}` } });
    expect(bearer.status).toBe(200);
    const lower = await platform.api.request('GET', '/v1/models', { key: null, headers: { authorization: `bearer ${platform.devApiKey}` } });
    expect(lower.status).toBe(200);
  });

  it('every authenticated route refuses a request without a key', async ({ platform }) => {
    for (const [method, path] of [
      ['GET', '/v1/models'],
      ['GET', '/v1/get_result?id=job_01M8DFD8DANDT28ZT034WVYBX4'],
      ['POST', '/v1/flux-kontext-dev'],
      ['POST', '/v1/flux-kontext-pro'],
      ['POST', '/v1/flux-kontext-max'],
    ] as const) {
      const response = await platform.api.request(method, path, { key: null, json: method === 'POST' ? { prompt: 'x' } : undefined });
      expect(response.status, `${method} ${path}`).toBe(401);
    }
  });

  it('keys never appear in logs or responses', async ({ platform }) => {
    const wrong = generateApiKey('live');
    await platform.api.submit({ prompt: 'x' }, { key: wrong });
    const submitted = await platform.api.submit({ prompt: 'log check' });
    await platform.api.waitForResult(submitted.body.id);
    const logs = platform.logs.join('\n');
    expect(logs).toContain(submitted.body.id);
    expect(logs).not.toContain(platform.devApiKey);
    expect(logs).not.toContain(wrong);
    expect(submitted.text).not.toContain(platform.devApiKey);
  });
});

describe('tenant isolation', () => {
  it("another tenant's job is 'Task not found', exactly like a job that never existed", async ({ platform, tenant: other }) => {
    const submitted = await platform.api.submit({ prompt: 'private', seed: 1 });
    await platform.api.waitForResult(submitted.body.id);
    const theirs = await other.api.getResult(submitted.body.id);
    const missing = await other.api.getResult('job_01M8DFD8DANDT28ZT034WVYBX4');
    expect(theirs.status).toBe(404);
    expect(theirs.body).toEqual({ id: submitted.body.id, status: 'Task not found', result: null, progress: null, details: null });
    expect(missing.status).toBe(404);
    expect(missing.body.status).toBe('Task not found');
  });
});

describe('signed sample URLs', () => {
  async function readySample(platform: TestPlatform): Promise<string> {
    const result = await platform.api.submitAndWait({ prompt: 'signed', seed: 2 });
    return result.result!.sample!;
  }

  async function signer(platform: TestPlatform): Promise<BlobUrlSigner> {
    const secret = (await readFile(join(platform.dataDir, 'url-signing-secret'), 'utf8')).trim();
    return new BlobUrlSigner(secret, platform.url);
  }

  it('downloads with no API key while valid', async ({ platform }) => {
    const response = await platform.app.request(await readySample(platform));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
  });

  it('a tampered signature, token or expiry is refused with 403', async ({ platform }) => {
    const url = new URL(await readySample(platform));
    const badSignature = new URL(url);
    const signature = url.searchParams.get('signature')!;
    badSignature.searchParams.set('signature', (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1));
    const laterExpiry = new URL(url);
    laterExpiry.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
    const otherToken = new URL(url);
    otherToken.pathname = `/v1/blobs/${Buffer.from('tenants/x/outputs/y/1.png').toString('base64url')}`;
    for (const tampered of [badSignature, laterExpiry, otherToken]) {
      const response = await platform.app.request(tampered);
      expect(response.status, tampered.toString()).toBe(403);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    }
  });

  it('an expired URL is refused with 403 and says so', async ({ platform }) => {
    const url = new URL(await readySample(platform));
    const key = Buffer.from(url.pathname.split('/').pop()!, 'base64url').toString();
    const expired = (await signer(platform)).sign(key, Math.floor(Date.now() / 1000) - 1);
    const response = await platform.app.request(expired);
    expect(response.status).toBe(403);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/expired/);
  });

  it('a signed path outside the store is refused, never read', async ({ platform }) => {
    const traversal = (await signer(platform)).sign('../../../../etc/passwd', Math.floor(Date.now() / 1000) + 60);
    const response = await platform.app.request(traversal);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('root:');
  });
});
