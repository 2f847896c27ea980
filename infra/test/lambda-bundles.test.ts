import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertEntryPointsExist, buildLambdaBundles, type LambdaBundle, REPO_ROOT } from '../src/lambda-bundles.ts';

// The bundler on small fixture entry points: ESM output with its map and metafile, sharp copied
// (with its Linux x64 binaries and dependencies) only into the bundle that imports it, extra
// directories copied, and missing entry points named.

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
        copyDirectories: [{ from: `${FIXTURES}/data`, to: 'migrations' }],
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
    expect(readdirSync(directory).sort()).toEqual(['index.mjs', 'index.mjs.map', 'migrations', 'swagger-ui']);
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

  it('names every missing entry point before building anything', () => {
    expect(() =>
      assertEntryPointsExist(REPO_ROOT, { a: { entry: 'functions/none/src/lambda.ts' }, b: { entry: `${FIXTURES}/plain.ts` } }),
    ).toThrow('Lambda entry points missing (each must export "handler"): functions/none/src/lambda.ts');
  });
});
