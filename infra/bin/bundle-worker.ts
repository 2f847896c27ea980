import { resolve } from 'node:path';
import { buildLambdaBundles, WORKER_BUNDLE } from '../src/lambda-bundles.ts';

// Bundles the worker container's entry point into <out>/worker (index.mjs, its source map, and
// sharp's native files): what gpu-worker/Dockerfile's build stage runs, and what the tests start.
// Usage: node --import tsx infra/bin/bundle-worker.ts [out directory, default .build]

const out = resolve(process.argv[2] ?? '.build');
const [bundle] = await buildLambdaBundles({ outDir: out, bundles: WORKER_BUNDLE });
process.stdout.write(`${bundle!.directory} (${(bundle!.bytes / 1024).toFixed(0)} KiB)\n`);
