import { z } from 'zod';
import { declareSetting } from '../setting.ts';
import { nonEmptyText, portNumber, secondsUpTo, wholeNumber } from '../value-schemas.ts';

// The worker: which adapters and engine it runs, how many loops, where the weights come from.

export const BACKEND = declareSetting({
  name: 'BACKEND',
  description: 'The worker\'s adapters: `local` (Postgres queue, files; `DATABASE_URL` and `STORAGE_DIR`) or `aws` (SQS, S3, Aurora; the cloud variables).',
  schema: z.enum(['local', 'aws']),
  default: 'local',
});

export const ENGINE = declareSetting({
  name: 'ENGINE',
  description: '`kontext`: FLUX.1 Kontext in the Python engine process (which reads its own `KONTEXT_*` options, see `gpu-worker/engine/README.md`); `preview`: the CPU preview engine.',
  schema: z.enum(['preview', 'kontext']),
  default: 'preview',
});

export const ENGINE_POOL = declareSetting({
  name: 'ENGINE_POOL',
  description: 'The engine pool whose queue this worker consumes.',
  schema: z.string(),
  default: 'kontext-dev',
});

export const WORKER_LOOPS = declareSetting({
  name: 'WORKER_LOOPS',
  description: 'Worker loops: per engine pool under `npm start` (`0`: API only); in a worker process, its loops.',
  schema: wholeNumber(0, 32),
  default: 2,
});

/** A worker process exists to work: at least one loop, one by default (one GPU, one job). */
export const WORKER_PROCESS_LOOPS = WORKER_LOOPS.variant({ schema: wholeNumber(1, 64), default: 1 });

export const PREVIEW_STEP_DELAY_MS = declareSetting({
  name: 'PREVIEW_STEP_DELAY_MS',
  description: 'Simulated time per sampling step in the preview engine.',
  schema: wholeNumber(0, 60_000),
  default: 0,
});

export const DRAIN_SECONDS = declareSetting({
  name: 'DRAIN_SECONDS',
  description: 'How long a stopping worker lets the job in hand finish before handing it back.',
  schema: secondsUpTo(3600),
  default: 20,
});

export const HEALTH_PORT = declareSetting({
  name: 'HEALTH_PORT',
  description: 'Serves `GET /health` on loopback for the container\'s health check: 200 when the engine is ready and every loop runs.',
  schema: portNumber(1),
  whenUnset: 'no health server',
});

export const MODEL_WEIGHTS_S3_URI = declareSetting({
  name: 'MODEL_WEIGHTS_S3_URI',
  description: 'Where the model weights are synced from at start (`s3://bucket/prefix/`, `aws` backend), into `MODEL_DIR`; only changed files are fetched again.',
  schema: z.string().startsWith('s3://'),
});

export const MODEL_DIR = declareSetting({
  name: 'MODEL_DIR',
  description: 'Where the synced model weights live.',
  schema: nonEmptyText,
  default: '/models',
});

export const KONTEXT_PYTHON = declareSetting({
  name: 'KONTEXT_PYTHON',
  description: "The engine environment's python (the image's `/opt/engine`; a venv in development).",
  schema: nonEmptyText,
  default: 'python3',
});

export const KONTEXT_MODEL_DIR = declareSetting({
  name: 'KONTEXT_MODEL_DIR',
  description: 'The weights in diffusers layout, for the Kontext engine.',
  schema: nonEmptyText,
  whenUnset: '`$MODEL_DIR`',
});

export const ENGINE_LOAD_TIMEOUT_SECONDS = declareSetting({
  name: 'ENGINE_LOAD_TIMEOUT_SECONDS',
  description: 'Loading 12B parameters, compiling and warming up may take this long before the engine counts as failed.',
  schema: wholeNumber(10, 7200),
  default: 1800,
});
