import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ALL_API_KEY_SCOPES } from '@kontext/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness/processes.ts';
import { ensureTestVenv } from '../harness/python-tools.ts';
import { startTestPlatform, type TestPlatform } from '../harness/platform.ts';
import { WebhookReceiver } from '../harness/receiver.ts';

// An independent fuzzer against the platform's own OpenAPI document: schemathesis generates
// requests from /openapi.json (valid ones, invalid ones, NUL bytes, undeclared methods, stateful
// sequences along the document's links) and checks every answer against the document with every
// check it has. Zero failures means the document states what the server enforces and every
// status a route can give. Fixed seed and example budget: the same cases on every run.

const run = promisify(execFile);
const SEED = 20261201;
const HERE = join(REPO_ROOT, 'test', 'fuzz');
const ARTIFACTS = join(REPO_ROOT, 'test-results');

let platform: TestPlatform;
let receiver: WebhookReceiver;
let bin: string;

beforeAll(async () => {
  [bin, platform, receiver] = await Promise.all([ensureTestVenv(), startTestPlatform({ workerLoops: 2 }), new WebhookReceiver().start()]);
}, 300_000);

afterAll(async () => {
  await receiver?.stop();
  await platform?.stop();
});

interface FuzzRun {
  exitCode: number;
  output: string;
  generated: number;
  passed: number;
}

/** One schemathesis run over the operations the path filter selects, authenticated as given. */
async function fuzz(name: string, paths: string[], credentials: { apiKey?: string }): Promise<FuzzRun> {
  const args = [
    '--config-file',
    join(HERE, 'schemathesis.toml'),
    'run',
    `${platform.url}/openapi.json`,
    '--seed',
    String(SEED),
    '--no-color',
    '--workers',
    '1',
    ...paths,
  ];
  const env = {
    ...process.env,
    PYTHONPATH: HERE,
    SCHEMATHESIS_HOOKS: 'schemathesis_hooks',
    KONTEXT_FUZZ_RECEIVER_URL: receiver.url('/fuzz'),
    KONTEXT_FUZZ_API_KEY: credentials.apiKey ?? 'none',
    KONTEXT_FUZZ_ADMIN_TOKEN: platform.adminToken,
  };
  let exitCode = 0;
  let output: string;
  try {
    const done = await run(join(bin, 'st'), args, { env, cwd: HERE, maxBuffer: 64 * 1024 * 1024 });
    output = done.stdout + done.stderr;
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    exitCode = typeof failed.code === 'number' ? failed.code : 1;
    output = `${failed.stdout ?? ''}${failed.stderr ?? ''}`;
  }
  // The whole report stays beside the run, for reading what a failure was.
  await mkdir(ARTIFACTS, { recursive: true });
  await writeFile(join(ARTIFACTS, `schemathesis-${name}.txt`), output);
  // The server's side of any 500: its error log lines (request id, path, error; never secrets).
  await writeFile(join(ARTIFACTS, `schemathesis-${name}-server-errors.txt`), platform.logs.filter((line) => line.includes('"level":"error"')).join('\n'));
  const counts = /(\d+) generated, (\d+) passed/.exec(output);
  return { exitCode, output, generated: Number(counts?.[1] ?? 0), passed: Number(counts?.[2] ?? 0) };
}

function expectClean(result: FuzzRun): void {
  expect(result.exitCode, result.output.slice(-20_000)).toBe(0);
  expect(result.generated).toBeGreaterThan(0);
  expect(result.passed).toBe(result.generated);
  process.stdout.write(`schemathesis: ${result.generated} cases generated, ${result.passed} passed\n`);
}

describe('schemathesis over /openapi.json, every check', () => {
  it('tenant routes: zero failures', async () => {
    expectClean(await fuzz('tenant', ['--exclude-path-regex', '^/(v1/keys|admin/)'], { apiKey: platform.devApiKey }));
  }, 900_000);

  it('key management routes, with a tenant of their own (a fuzzed revoke may end the key it uses): zero failures', async () => {
    const tenant = await platform.createTenantWithKey({ name: 'key fuzzing', scopes: ALL_API_KEY_SCOPES });
    expectClean(await fuzz('keys', ['--include-path-regex', '^/v1/keys'], { apiKey: tenant.key }));
  }, 600_000);

  it('operator routes: zero failures', async () => {
    expectClean(await fuzz('operator', ['--include-path-regex', '^/admin/'], {}));
  }, 600_000);
});
