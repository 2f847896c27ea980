import { describe, expect, it } from 'vitest';
import { readSettings, type SettingsComposition } from '../src/composition.ts';
import {
  API_LAMBDA_SETTINGS,
  API_SERVER_SETTINGS,
  CLOUD_PROCESSES,
  CLOUD_SETTINGS,
  DISPATCHER_LAMBDA_SETTINGS,
  DISPATCHER_SETTINGS,
  LOCAL_PLATFORM_SETTINGS,
  MIGRATE_LAMBDA_SETTINGS,
  PROCESSES,
  WORKER_AWS_SETTINGS,
  WORKER_SETTINGS,
} from '../src/processes.ts';
import { Setting } from '../src/setting.ts';
import * as variables from '../src/variables/index.ts';

// The compositions against the declarations: every variable is declared once and read somewhere,
// every process reads a declaration or a variant declared beside it, and the processes that used
// to parse the same variables on their own read them alike.

const exported: readonly unknown[] = Object.values(variables);
const declarations = exported.filter((value): value is Setting => value instanceof Setting);

/** One variable as any composition reads it. */
function readOne(composition: SettingsComposition, env: Record<string, string>, name: string): unknown {
  const values: Record<string, unknown> = readSettings(composition, env);
  return values[name];
}

const cloudBase = { BUCKET_NAME: 'kontext-bucket', DATABASE_URL: 'postgres://db.internal/kontext' };
const serverBase = {
  DATABASE_URL: 'postgres://db.internal/kontext',
  STORAGE_DIR: '/srv/blobs',
  URL_SIGNING_SECRET: 's'.repeat(32),
  SECRET_KEYS_DIR: '/srv/keys',
  PUBLIC_BASE_URL: 'https://api.example',
};

describe('the process compositions', () => {
  it('read only declared variables: a declaration, its required form, or a variant exported beside it', () => {
    for (const process of PROCESSES) {
      for (const setting of process.settings) {
        const declared = declarations.includes(setting) || (setting.presence === 'required' && declarations.some((d) => d.name === setting.name && d.schema === setting.schema));
        expect(declared, `${process.id} reads ${setting.name} as an undeclared variant`).toBe(true);
      }
    }
  });

  it('leave no declared variable unread', () => {
    const read = new Set<string>(PROCESSES.flatMap((process) => process.settings.map((setting) => setting.name)));
    expect(declarations.map((declaration) => declaration.name).filter((name) => !read.has(name))).toEqual([]);
  });

  it('have distinct ids, and "cloud" names exactly the processes that read every cloud variable', () => {
    const ids = PROCESSES.map((process) => process.id);
    expect(new Set(ids).size).toBe(ids.length);
    const readsAllCloud = (process: (typeof PROCESSES)[number]) => {
      const names: readonly string[] = process.settings.map((setting) => setting.name);
      return CLOUD_SETTINGS.every((setting) => names.includes(setting.name));
    };
    const readingAllCloud = PROCESSES.filter(readsAllCloud);
    expect(readingAllCloud.map((process) => process.id)).toEqual(CLOUD_PROCESSES.map((process) => process.id).sort((a, b) => ids.indexOf(a) - ids.indexOf(b)));
  });

  it('read the lease, attempts, URL lifetime and key-cache time alike wherever they are read', () => {
    for (const name of ['LEASE_SECONDS', 'MAX_ATTEMPTS', 'SIGNED_URL_TTL_SECONDS', 'API_KEY_CACHE_TTL_MS'] as const) {
      const readers = PROCESSES.flatMap((process) => process.settings.filter((setting) => setting.name === name));
      expect(new Set(readers).size, name).toBe(1);
    }
  });

  it('give every process that creates webhook endpoints or delivers webhooks the private-target switch, off outside npm start', () => {
    const lambdaBase = { ...cloudBase, PUBLIC_BASE_URL: 'https://api.example' };
    const readers: [SettingsComposition, Record<string, string>][] = [
      [API_SERVER_SETTINGS, serverBase],
      [DISPATCHER_SETTINGS, serverBase],
      [API_LAMBDA_SETTINGS, lambdaBase],
      [DISPATCHER_LAMBDA_SETTINGS, lambdaBase],
    ];
    for (const [composition, env] of readers) {
      expect(readOne(composition, env, 'ALLOW_PRIVATE_WEBHOOK_TARGETS')).toBe(false);
      expect(readOne(composition, { ...env, ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true' }, 'ALLOW_PRIVATE_WEBHOOK_TARGETS')).toBe(true);
    }
    expect(readSettings(LOCAL_PLATFORM_SETTINGS, {})).toMatchObject({ ALLOW_PRIVATE_WEBHOOK_TARGETS: true, ALLOW_PRIVATE_URL_INPUTS: true });
  });

  it('keep each process its own bounds and defaults where it had them', () => {
    expect(readSettings(LOCAL_PLATFORM_SETTINGS, {})).toMatchObject({ MAX_BODY_BYTES: 30 * 1024 * 1024, WORKER_LOOPS: 2, DISPATCHER_CONCURRENCY: 32 });
    expect(readSettings(LOCAL_PLATFORM_SETTINGS, { WORKER_LOOPS: '0', DISPATCHER_CONCURRENCY: '0' })).toMatchObject({ WORKER_LOOPS: 0, DISPATCHER_CONCURRENCY: 0 });
    const lambda = { ...cloudBase, PUBLIC_BASE_URL: 'https://api.example' };
    expect(readSettings(API_LAMBDA_SETTINGS, lambda).MAX_BODY_BYTES).toBe(6 * 1024 * 1024);
    expect(() => readSettings(API_LAMBDA_SETTINGS, { ...lambda, MAX_BODY_BYTES: String(7 * 1024 * 1024) })).toThrow(/MAX_BODY_BYTES/);
    expect(readSettings(WORKER_SETTINGS, { DATABASE_URL: 'postgres://db/x', STORAGE_DIR: '/srv/blobs' }).WORKER_LOOPS).toBe(1);
    expect(() => readSettings(WORKER_SETTINGS, { DATABASE_URL: 'postgres://db/x', STORAGE_DIR: '/srv/blobs', WORKER_LOOPS: '0' })).toThrow(/WORKER_LOOPS/);
    expect(() => readSettings(DISPATCHER_SETTINGS, { ...serverBase, DISPATCHER_CONCURRENCY: '0' })).toThrow(/DISPATCHER_CONCURRENCY/);
  });

  it('require what a standalone process cannot run without, naming it', () => {
    expect(() => readSettings(API_SERVER_SETTINGS, {})).toThrow(/DATABASE_URL[\s\S]*STORAGE_DIR[\s\S]*URL_SIGNING_SECRET[\s\S]*SECRET_KEYS_DIR[\s\S]*PUBLIC_BASE_URL/);
    expect(() => readSettings(WORKER_SETTINGS, {})).toThrow(/DATABASE_URL[\s\S]*STORAGE_DIR/);
  });

  it('give every process that runs worker loops the prompt upsampler, off by default and never on a private network unless asked', () => {
    const workerBase = { DATABASE_URL: 'postgres://db/x', STORAGE_DIR: '/srv/blobs' };
    const awsBase = { ...cloudBase, BACKEND: 'aws' };
    const readers: [SettingsComposition, Record<string, string>][] = [
      [LOCAL_PLATFORM_SETTINGS, {}],
      [WORKER_SETTINGS, workerBase],
      [WORKER_AWS_SETTINGS, awsBase],
    ];
    const readingIt = PROCESSES.filter((process) => process.settings.some((setting) => setting.name === 'PROMPT_UPSAMPLER_URL')).map((process) => process.id);
    expect(readingIt).toEqual(['local', 'worker', 'worker-aws']);
    const upsampler = { PROMPT_UPSAMPLER_URL: 'http://10.0.0.5:8000/v1', PROMPT_UPSAMPLER_MODEL: 'writer', PROMPT_UPSAMPLER_API_KEY: 'sk-secret-value' };
    for (const [composition, env] of readers) {
      expect(readSettings(composition, env)).toMatchObject({ PROMPT_UPSAMPLER_TIMEOUT_SECONDS: 10, ALLOW_PRIVATE_PROMPT_UPSAMPLER: false });
      expect(readOne(composition, env, 'PROMPT_UPSAMPLER_URL')).toBeUndefined();
      expect(readSettings(composition, { ...env, ...upsampler, ALLOW_PRIVATE_PROMPT_UPSAMPLER: 'true' })).toMatchObject({ ...upsampler, ALLOW_PRIVATE_PROMPT_UPSAMPLER: true });
    }
  });

  it('refuse half an upsampler configuration, and a URL with credentials or a query, naming the variable and never the key', () => {
    const env = { DATABASE_URL: 'postgres://db/x', STORAGE_DIR: '/srv/blobs' };
    expect(() => readSettings(WORKER_SETTINGS, { ...env, PROMPT_UPSAMPLER_URL: 'https://llm.example/v1' })).toThrow(/PROMPT_UPSAMPLER_MODEL: set it with PROMPT_UPSAMPLER_URL/);
    const keyWithoutUrl = () => readSettings(WORKER_SETTINGS, { ...env, PROMPT_UPSAMPLER_API_KEY: 'sk-secret-value' });
    expect(keyWithoutUrl).toThrow(/PROMPT_UPSAMPLER_URL: set it, or unset/);
    expect(keyWithoutUrl).not.toThrow(/sk-secret-value/);
    for (const url of ['https://user:pass@llm.example/v1', 'https://llm.example/v1?key=abc', 'https://llm.example/v1?', 'https://llm.example/v1#x', 'ftp://llm.example/v1', 'not a url']) {
      const reading = () => readSettings(WORKER_SETTINGS, { ...env, PROMPT_UPSAMPLER_URL: url, PROMPT_UPSAMPLER_MODEL: 'writer' });
      expect(reading, url).toThrow(/PROMPT_UPSAMPLER_URL/);
    }
    expect(() => readSettings(WORKER_SETTINGS, { ...env, PROMPT_UPSAMPLER_TIMEOUT_SECONDS: '0' })).toThrow(/PROMPT_UPSAMPLER_TIMEOUT_SECONDS/);
  });

  it('need some way for a cloud process to reach the database', () => {
    expect(() => readSettings(MIGRATE_LAMBDA_SETTINGS, { BUCKET_NAME: 'kontext-bucket' })).toThrow(/DATABASE_URL: set DATABASE_URL, or DATABASE_SECRET_ARN/);
    const viaEcs = { BUCKET_NAME: 'kontext-bucket', DATABASE_HOST: 'proxy.internal', DATABASE_USERNAME: 'worker', DATABASE_PASSWORD: 'secret' };
    expect(readSettings(WORKER_AWS_SETTINGS, { ...viaEcs, BACKEND: 'aws' })).toMatchObject({ BACKEND: 'aws', DATABASE_SSL: 'verify-full', QUEUE_NAME_PREFIX: 'kontext-' });
  });
});
