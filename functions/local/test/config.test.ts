import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_MODEL_CATALOG } from '@kontext/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLocalConfig } from '../src/config.ts';

// Configuration is validated at start: a bad value stops the platform with a message naming it,
// before anything runs. Prices live in the model catalog, an operator file validated here.

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-config-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function catalogFile(name: string, content: unknown): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, JSON.stringify(content));
  return file;
}

describe('loadLocalConfig', () => {
  it('defaults: port 8787 on loopback, data in ./.data, the built-in catalog', () => {
    const config = loadLocalConfig({}, '/srv/app');
    expect(config).toMatchObject({ PORT: 8787, HOST: '127.0.0.1', dataDir: '/srv/app/.data', publicBaseUrl: 'http://localhost:8787' });
    expect(config.catalog).toBeUndefined();
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ DATABASE_URL: 'not a url' }, /DATABASE_URL/],
    [{ ALLOW_PRIVATE_URL_INPUTS: 'maybe' }, /ALLOW_PRIVATE_URL_INPUTS/],
    [{ ADMIN_TOKEN: 'short' }, /ADMIN_TOKEN/],
    [{ MAX_ATTEMPTS: '0' }, /MAX_ATTEMPTS/],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => loadLocalConfig(env as NodeJS.ProcessEnv)).toThrow(message);
  });

  it('loads an operator catalog with its own prices', async () => {
    const catalog = DEFAULT_MODEL_CATALOG.map((profile) => ({ ...profile, priceCredits: profile.priceCredits * 2 }));
    const config = loadLocalConfig({ MODEL_CATALOG_FILE: await catalogFile('ok.json', catalog) });
    expect(config.catalog?.map((profile) => profile.priceCredits)).toEqual([4, 4, 8, 16]);
  });

  it.each([
    ['a negative price', { priceCredits: -1 }],
    ['a fractional price', { priceCredits: 1.5 }],
    ['an absurd per-tenant active limit', { maxActiveJobsPerTenant: 0 }],
    ['default steps above the maximum', { defaultSteps: 60, maxSteps: 50 }],
  ])('refuses a catalog with %s', async (_label, change) => {
    const file = await catalogFile(`bad-${Math.random()}.json`, [{ ...DEFAULT_MODEL_CATALOG[0], ...change }]);
    expect(() => loadLocalConfig({ MODEL_CATALOG_FILE: file })).toThrow(/invalid model catalog/);
  });
});
