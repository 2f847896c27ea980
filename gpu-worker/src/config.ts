import { z } from 'zod';

// The worker container's configuration, read once from the environment at start and validated;
// nothing below main.ts reads process.env.


export const WorkerConfigSchema = z.object({
  DATABASE_URL: z.string().url(),
  STORAGE_DIR: z.string().min(1),
  URL_SIGNING_SECRET: z.string().min(32),
  PUBLIC_BASE_URL: z.string().url().default('http://localhost:8787'),
  ENGINE: z.enum(['preview']).default('preview'),
  ENGINE_POOL: z.string().default('kontext-dev'),
  PREVIEW_STEP_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  WORKER_LOOPS: z.coerce.number().int().min(1).max(64).default(1),
  LEASE_SECONDS: z.coerce.number().positive().max(3600).default(30),
  MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
  /** Seconds a stopping worker lets the job in hand finish before handing it back. */
  DRAIN_SECONDS: z.coerce.number().min(0).max(3600).default(20),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

export type WorkerConfig = z.infer<typeof WorkerConfigSchema>;
