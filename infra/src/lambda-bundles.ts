import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';

/** The repository root, found from this file (infra/src/lambda-bundles.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const LAMBDA_NAMES = ['api', 'dispatcher', 'maintenance', 'migrate'] as const;
export type LambdaName = (typeof LAMBDA_NAMES)[number];

/** Where `npm run build -w packages/console` writes the console (Vite's outDir), from the repository root. */
export const CONSOLE_DIST_PATH = 'packages/console/dist';
/** The built console in this checkout. */
export const CONSOLE_DIST = join(REPO_ROOT, CONSOLE_DIST_PATH);

/** Fails with what to run when the console was not built; the app checks before any bundling. */
export function assertConsoleBuilt(directory: string = CONSOLE_DIST): void {
  if (!existsSync(join(directory, 'index.html'))) {
    throw new Error(
      `The console is not built: ${join(directory, 'index.html')} is missing. Run \`npm run build -w packages/console\`, then synthesize or deploy again.`,
    );
  }
}

export interface CopiedDirectory {
  /** Relative to the repository root. */
  readonly from: string;
  /** Inside the bundle directory. */
  readonly to: string;
  /** Top-level entries of `from` left out, with everything under them. */
  readonly exclude?: readonly string[];
  /** Leaves out hidden files and folders (a leading dot), at any depth. */
  readonly skipHidden?: boolean;
  /** Called with `from` (absolute) before anything is built: throws, saying what to run, when it is not ready. */
  readonly assertReady?: (directory: string) => void;
}

/**
 * The console's page for the API function: index.html (and any other file of the build but its
 * hashed assets/, which CloudFront serves from the console bucket), never the hidden build stamp.
 * The API reads it from ./console/ beside the bundle and answers it with a fresh style nonce.
 */
export const CONSOLE_PAGE_FILES: CopiedDirectory = {
  from: CONSOLE_DIST_PATH,
  to: 'console',
  exclude: ['assets'],
  skipHidden: true,
  assertReady: assertConsoleBuilt,
};

export interface BundleSpec {
  /** Entry module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  /** Directories copied beside index.mjs. */
  readonly copyDirectories?: readonly CopiedDirectory[];
  /**
   * Packages whose files the code reads from disk at run time (no import esbuild could follow),
   * copied into the bundle directory under `to`, without their source maps.
   */
  readonly packageFiles?: readonly { package: string; to: string }[];
}

export const LAMBDA_BUNDLES: Record<LambdaName, BundleSpec> = {
  // /docs serves Swagger UI's files, read from ./swagger-ui/ beside the bundle; /console serves the
  // console's page from ./console/ (its hashed assets are the console bucket's, through CloudFront).
  api: {
    entry: 'functions/api/src/lambda.ts',
    packageFiles: [{ package: 'swagger-ui-dist', to: 'swagger-ui' }],
    copyDirectories: [CONSOLE_PAGE_FILES],
  },
  dispatcher: { entry: 'functions/dispatcher/src/lambda.ts' },
  maintenance: { entry: 'functions/maintenance/src/lambda.ts' },
  // The handler reads new URL('./migrations/', import.meta.url), drizzle's journal (meta/) included.
  migrate: {
    entry: 'functions/maintenance/src/migrate-lambda.ts',
    copyDirectories: [{ from: 'packages/db/migrations', to: 'migrations' }],
  },
};

/** The worker container's entry point, bundled the same way for gpu-worker/Dockerfile. */
export const WORKER_BUNDLE: Readonly<Record<'worker', BundleSpec>> = { worker: { entry: 'gpu-worker/src/main.ts' } };

/**
 * Native modules stay out of the bundle (esbuild cannot inline a .node binary) and are copied, with
 * their run-time dependency closure, into node_modules beside it, for Lambda's x86_64 glibc runtime.
 */
const NATIVE_PACKAGES: Record<string, readonly string[]> = {
  sharp: ['@img/sharp-linux-x64', '@img/sharp-libvips-linux-x64'],
};

/**
 * `@aws-sdk/*` is bundled, not left to the runtime's copy: the runtime's SDK version trails ours and
 * changes under a deployed function when AWS updates the runtime, so the code tested is the code run.
 * Tree-shaken and minified, the clients we use cost a few hundred kilobytes per bundle.
 */
const EXTERNAL_PACKAGES = Object.keys(NATIVE_PACKAGES);

/**
 * ESM output runs bundled CommonJS dependencies, which call require() and read __filename and
 * __dirname; these module-level bindings give them what Node gives a CommonJS module.
 */
const ESM_CJS_SHIM = [
  "import { createRequire as __kontextCreateRequire } from 'node:module';",
  "import { fileURLToPath as __kontextFileURLToPath } from 'node:url';",
  "import { dirname as __kontextDirname } from 'node:path';",
  'const require = __kontextCreateRequire(import.meta.url);',
  'const __filename = __kontextFileURLToPath(import.meta.url);',
  'const __dirname = __kontextDirname(__filename);',
].join('\n');

/**
 * zod re-exports every error-message locale as `z.locales` (about 250 KB minified), which no tree
 * shaking can drop from a namespace export. Nothing here reads `z.locales`: its index is replaced
 * by English alone, the locale zod configures itself with anyway.
 */
const englishOnlyZodLocales: Plugin = {
  name: 'zod-english-only-locales',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/]/.test(args.importer) ? { path: join(dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-locales' } : undefined,
    );
    esbuild.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), 'en.js'))};`,
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

export interface LambdaBundle {
  readonly name: string;
  /** The directory to deploy as the function's code (index.mjs, its map, copied files). */
  readonly directory: string;
  /** Size of index.mjs in bytes. */
  readonly bytes: number;
  /** esbuild's metafile, beside the directory so it is not deployed (inspect with esbuild's analyzer). */
  readonly metafile: string;
}

export interface BuildLambdaBundlesOptions {
  readonly repoRoot?: string;
  /** Where each bundle gets its own directory; default `<repo>/.build/lambda`. */
  readonly outDir?: string;
  /** What to build; default every Lambda of the stack (LAMBDA_BUNDLES). */
  readonly bundles?: Readonly<Record<string, BundleSpec>>;
}

/** Fails with one message naming every missing entry point, before any build starts. */
export function assertEntryPointsExist(repoRoot: string, bundles: Readonly<Record<string, BundleSpec>> = LAMBDA_BUNDLES): void {
  const missing = Object.values(bundles)
    .map((spec) => spec.entry)
    .filter((entry) => !existsSync(join(repoRoot, entry)));
  if (missing.length > 0) {
    throw new Error(`Lambda entry points missing (each must export "handler"): ${missing.join(', ')}`);
  }
}

/** Runs each copied directory's own check (the console's: built), before any build starts. */
export function assertCopiedDirectoriesReady(repoRoot: string, bundles: Readonly<Record<string, BundleSpec>> = LAMBDA_BUNDLES): void {
  for (const spec of Object.values(bundles)) {
    for (const copy of spec.copyDirectories ?? []) copy.assertReady?.(join(repoRoot, copy.from));
  }
}

/** Bundles every Lambda entry point (in parallel) and returns where each bundle is and its size. */
export async function buildLambdaBundles(options: BuildLambdaBundlesOptions = {}): Promise<LambdaBundle[]> {
  const repoRoot = options.repoRoot ?? REPO_ROOT;
  const outDir = options.outDir ?? join(repoRoot, '.build', 'lambda');
  const bundles = options.bundles ?? LAMBDA_BUNDLES;
  assertEntryPointsExist(repoRoot, bundles);
  assertCopiedDirectoriesReady(repoRoot, bundles);
  return Promise.all(
    Object.entries(bundles).map(([name, spec]) => buildLambdaBundle(repoRoot, join(outDir, name), name, spec)),
  );
}

async function buildLambdaBundle(repoRoot: string, directory: string, name: string, spec: BundleSpec): Promise<LambdaBundle> {
  await rm(directory, { recursive: true, force: true });
  await mkdir(directory, { recursive: true });
  const outfile = join(directory, 'index.mjs');
  const result = await build({
    absWorkingDir: repoRoot,
    entryPoints: [join(repoRoot, spec.entry)],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    minify: true,
    treeShaking: true,
    // A linked map file: --enable-source-maps finds it through the sourceMappingURL comment.
    sourcemap: 'linked',
    sourcesContent: false,
    banner: { js: ESM_CJS_SHIM },
    external: EXTERNAL_PACKAGES,
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
    plugins: [englishOnlyZodLocales],
  });
  const metafile = `${directory}.meta.json`;
  await writeFile(metafile, JSON.stringify(result.metafile));
  for (const nativePackage of externalImports(result.metafile, outfile, repoRoot)) {
    await copyPackageClosure(repoRoot, directory, [nativePackage, ...(NATIVE_PACKAGES[nativePackage] ?? [])]);
  }
  for (const { package: name, to } of spec.packageFiles ?? []) {
    const packageDirectory = findPackageDirectory(name, repoRoot);
    await cp(packageDirectory, join(directory, to), {
      recursive: true,
      dereference: true,
      // The package's own files only: no source maps, no nested dependencies.
      filter: (source) => !source.endsWith('.map') && !relative(packageDirectory, source).split(sep).includes('node_modules'),
    });
  }
  for (const { from, to, exclude = [], skipHidden = false } of spec.copyDirectories ?? []) {
    const source = join(repoRoot, from);
    await cp(source, join(directory, to), {
      recursive: true,
      filter: (path) => {
        const segments = relative(source, path).split(sep).filter((segment) => segment !== '');
        if (segments.length > 0 && exclude.includes(segments[0] ?? '')) return false;
        return !(skipHidden && segments.some((segment) => segment.startsWith('.')));
      },
    });
  }
  return { name, directory, bytes: (await stat(outfile)).size, metafile };
}

/** The native packages the bundle still imports (statically or dynamically), read from esbuild's metafile. */
function externalImports(metafile: Metafile, outfile: string, repoRoot: string): string[] {
  const output = metafile.outputs[relative(repoRoot, outfile).split(sep).join('/')];
  if (!output) throw new Error(`esbuild's metafile does not list ${outfile}`);
  const imported = new Set(output.imports.filter((entry) => entry.external).map((entry) => packageName(entry.path)));
  return EXTERNAL_PACKAGES.filter((name) => imported.has(name));
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

interface PackageJson {
  readonly name: string;
  readonly dependencies?: Record<string, string>;
}

/**
 * Copies packages and every package they depend on (package.json "dependencies", walked
 * transitively and resolved the way Node would from each dependent's directory) into
 * `<bundle>/node_modules`, flattened. Two different versions of one package fail loudly.
 */
async function copyPackageClosure(repoRoot: string, bundleDirectory: string, roots: readonly string[]): Promise<void> {
  const copied = new Map<string, string>();
  const pending = roots.map((name) => ({ name, from: repoRoot }));
  while (pending.length > 0) {
    const next = pending.pop();
    if (!next) break;
    const directory = findPackageDirectory(next.name, next.from);
    const previous = copied.get(next.name);
    if (previous !== undefined) {
      if (previous !== directory) {
        throw new Error(`Two copies of ${next.name} are needed (${previous} and ${directory}); the bundle's flat node_modules holds one`);
      }
      continue;
    }
    copied.set(next.name, directory);
    const manifest = JSON.parse(await readFile(join(directory, 'package.json'), 'utf8')) as PackageJson;
    for (const dependency of Object.keys(manifest.dependencies ?? {})) pending.push({ name: dependency, from: directory });
  }
  for (const [name, directory] of copied) {
    await cp(directory, join(bundleDirectory, 'node_modules', name), { recursive: true, dereference: true });
  }
}

/** Node's lookup: `node_modules/<name>` in the directory, then in each parent directory. */
function findPackageDirectory(name: string, from: string): string {
  for (let directory = from; ; directory = dirname(directory)) {
    const candidate = join(directory, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(directory) === directory) {
      throw new Error(`Cannot find package ${name} from ${from}: run npm ci at the repository root`);
    }
  }
}
