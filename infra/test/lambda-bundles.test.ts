import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertConsoleBuilt,
  assertEntryPointsExist,
  buildLambdaBundles,
  CONSOLE_PAGE_FILES,
  LAMBDA_BUNDLES,
  type LambdaBundle,
  REPO_ROOT,
} from '../src/lambda-bundles.ts';

// The bundler on small fixture entry points: ESM output with its map and metafile, sharp copied
// (with its Linux x64 binaries and dependencies) only into the bundle that imports it, extra
// directories copied (the console's page the way the API bundle gets it, from a fixture build),
// and missing entry points and an unbuilt console named before anything is built.

const FIXTURES = 'infra/test/fixtures/bundles';
let outDir: string;
let bundles: Map<string, LambdaBundle>;

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'kontext-bundles-'));
  const built = await buildLambdaBundles({
    outDir,
    bundles: {
      withSharp: { entry: `${FIXTURES}/uses-sharp.ts` },
      plain: {
        entry: `${FIXTURES}/plain.ts`,
        copyDirectories: [
          { from: `${FIXTURES}/data`, to: 'migrations' },
          { ...CONSOLE_PAGE_FILES, from: `${FIXTURES}/console-dist` },
        ],
        packageFiles: [{ package: 'swagger-ui-dist', to: 'swagger-ui' }],
      },
    },
  });
  bundles = new Map(built.map((bundle) => [bundle.name, bundle]));
});

afterAll(async () => {
  await rm(outDir, { recursive: true, force: true });
});

function bundle(name: string): LambdaBundle {
  const found = bundles.get(name);
  if (!found) throw new Error(`No bundle ${name}`);
  return found;
}

describe('Lambda bundles', () => {
  it('writes index.mjs with a linked source map, a metafile beside the directory, and reports its size', () => {
    const { directory, bytes, metafile } = bundle('plain');
    expect(directory).toBe(join(outDir, 'plain'));
    const code = readFileSync(join(directory, 'index.mjs'), 'utf8');
    expect(bytes).toBe(Buffer.byteLength(code));
    expect(code).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
    expect(existsSync(join(directory, 'index.mjs.map'))).toBe(true);
    expect(readdirSync(directory).sort()).toEqual(['console', 'index.mjs', 'index.mjs.map', 'migrations', 'swagger-ui']);
    expect(metafile).toBe(`${directory}.meta.json`);
    expect(JSON.parse(readFileSync(metafile, 'utf8'))).toHaveProperty('outputs');
  });

  it('gives bundled CommonJS code require and __dirname', async () => {
    const { directory } = bundle('plain');
    const module = (await import(pathToFileURL(join(directory, 'index.mjs')).href)) as { handler: () => Promise<unknown> };
    expect(await module.handler()).toEqual({ directory, requireType: 'function' });
  });

  it('copies sharp, its Linux x64 binaries and its dependencies only where sharp is imported', async () => {
    const { directory } = bundle('withSharp');
    const modules = join(directory, 'node_modules');
    expect(readdirSync(modules).sort()).toEqual(expect.arrayContaining(['@img', 'detect-libc', 'semver', 'sharp']));
    expect(readdirSync(join(modules, '@img')).sort()).toEqual(['colour', 'sharp-libvips-linux-x64', 'sharp-linux-x64']);
    expect(existsSync(join(bundle('plain').directory, 'node_modules'))).toBe(false);
    const module = (await import(pathToFileURL(join(directory, 'index.mjs')).href)) as { handler: () => Promise<string> };
    const sharpVersion = (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/sharp/package.json'), 'utf8')) as { version: string }).version;
    expect(await module.handler()).toBe(sharpVersion);
  });

  it('copies extra directories beside the bundle', () => {
    expect(readFileSync(join(bundle('plain').directory, 'migrations', '0000_fixture.sql'), 'utf8')).toContain('CREATE TABLE');
  });

  it("copies a package's files the code reads from disk, without source maps or dependencies", () => {
    const files = readdirSync(join(bundle('plain').directory, 'swagger-ui'));
    expect(files).toEqual(expect.arrayContaining(['package.json', 'swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js']));
    expect(files.filter((file) => file.endsWith('.map') || file === 'node_modules')).toEqual([]);
  });

  it("copies the console's page and its other unhashed files, without assets/ or hidden files (the build stamp)", () => {
    const directory = join(bundle('plain').directory, 'console');
    expect(readdirSync(directory).sort()).toEqual(['favicon.svg', 'index.html']);
    // As built: the API puts a fresh nonce in place of the placeholder in each response.
    expect(readFileSync(join(directory, 'index.html'), 'utf8')).toBe(readFileSync(join(REPO_ROOT, FIXTURES, 'console-dist', 'index.html'), 'utf8'));
  });

  it("gives the API bundle Swagger UI's files and the built console's page, where the API function looks for them", () => {
    expect(LAMBDA_BUNDLES.api.packageFiles).toEqual([{ package: 'swagger-ui-dist', to: 'swagger-ui' }]);
    expect(LAMBDA_BUNDLES.api.copyDirectories).toEqual([CONSOLE_PAGE_FILES]);
    expect(CONSOLE_PAGE_FILES).toMatchObject({ from: 'packages/console/dist', to: 'console', exclude: ['assets'], skipHidden: true });
    // functions/api/src/lambda.ts reads both folders beside itself (new URL('./<to>/', import.meta.url)).
    const lambdaSource = readFileSync(join(REPO_ROOT, LAMBDA_BUNDLES.api.entry), 'utf8');
    expect(lambdaSource).toContain(`new URL('./${CONSOLE_PAGE_FILES.to}/', import.meta.url)`);
    expect(lambdaSource).toContain("new URL('./swagger-ui/', import.meta.url)");
    expect(Object.entries(LAMBDA_BUNDLES).filter(([, spec]) => spec.copyDirectories?.includes(CONSOLE_PAGE_FILES)).map(([name]) => name)).toEqual(['api']);
  });

  it('stops before building anything when the console is not built, with the command that builds it', async () => {
    const missing = `${FIXTURES}/no-console-dist`;
    const unbuiltOut = await mkdtemp(join(tmpdir(), 'kontext-bundles-unbuilt-'));
    try {
      const attempt = buildLambdaBundles({
        outDir: unbuiltOut,
        bundles: { api: { entry: `${FIXTURES}/plain.ts`, copyDirectories: [{ ...CONSOLE_PAGE_FILES, from: missing }] } },
      });
      let message = '';
      try {
        assertConsoleBuilt(join(REPO_ROOT, missing));
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toContain('Run `npm run build -w packages/console`');
      await expect(attempt).rejects.toThrow(message);
      expect(readdirSync(unbuiltOut)).toEqual([]);
    } finally {
      await rm(unbuiltOut, { recursive: true, force: true });
    }
  });

  it('names every missing entry point before building anything', () => {
    expect(() =>
      assertEntryPointsExist(REPO_ROOT, { a: { entry: 'functions/none/src/lambda.ts' }, b: { entry: `${FIXTURES}/plain.ts` } }),
    ).toThrow('Lambda entry points missing (each must export "handler"): functions/none/src/lambda.ts');
  });
});
