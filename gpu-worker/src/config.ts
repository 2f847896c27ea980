import { CloudEnvironmentSchema } from '@kontext/cloud';
import { LogLevelSchema } from '@kontext/services';
import { z } from 'zod';

// The worker container's configuration, read once from the environment at start and validated;
// nothing below main.ts reads process.env. BACKEND picks the adapters: `local` (Postgres queue,
// files on disk; one machine or a test) or `aws` (SQS, S3, Aurora through RDS Proxy).

export const WorkerSettingsSchema = z.object({
  BACKEND: z.enum(['local', 'aws']).default('local'),
  /** `kontext`: FLUX.1 Kontext in the Python engine process; `preview`: the CPU preview engine. */
  ENGINE: z.enum(['preview', 'kontext']).default('preview'),
  /** The engine environment's python (the image's /opt/engine; a venv in development). */
  KONTEXT_PYTHON: z.string().min(1).default('python3'),
  /** The weights in diffusers layout; default MODEL_DIR, where the S3 sync puts them. */
  KONTEXT_MODEL_DIR: z.string().min(1).optional(),
  /** Loading 12B parameters, compiling and warming up may take this long before the engine counts as failed. */
  ENGINE_LOAD_TIMEOUT_SECONDS: z.coerce.number().int().min(10).max(7200).default(1800),
  ENGINE_POOL: z.string().default('kontext-dev'),
  PREVIEW_STEP_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  WORKER_LOOPS: z.coerce.number().int().min(1).max(64).default(1),
  LEASE_SECONDS: z.coerce.number().positive().max(3600).default(30),
  MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
  /** Seconds a stopping worker lets the job in hand finish before handing it back. */
  DRAIN_SECONDS: z.coerce.number().min(0).max(3600).default(20),
  /** Serves GET /health on loopback for the container's health check; unset serves nothing. */
  HEALTH_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** Where the model weights are fetched from at start (`s3://bucket/prefix/`), into MODEL_DIR. */
  MODEL_WEIGHTS_S3_URI: z.string().startsWith('s3://').optional(),
  MODEL_DIR: z.string().min(1).default('/models'),
  LOG_LEVEL: LogLevelSchema,
});

export const LocalWorkerConfigSchema = WorkerSettingsSchema.extend({
  DATABASE_URL: z.url(),
  STORAGE_DIR: z.string().min(1),
});

export const AwsWorkerConfigSchema = WorkerSettingsSchema.and(CloudEnvironmentSchema);

export type WorkerSettings = z.infer<typeof WorkerSettingsSchema>;
