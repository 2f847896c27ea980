import { EnvFlagSchema } from '@kontext/core';
import { DEFAULT_SQS_NAME_PREFIX } from '@kontext/queue';
import { LogLevelSchema } from '@kontext/services';
import { z } from 'zod';

// The environment every cloud process shares (API, dispatcher and maintenance Lambdas, the worker
// container): where the database, the bucket and the queues are. Each process extends it with
// its own variables; all are validated once at start.

export const CloudEnvironmentSchema = z
  .object({
    /** A full connection URL (development and tests). Otherwise the parts below. */
    DATABASE_URL: z.url().optional(),
    /** The Aurora-generated secret (JSON: username, password, host, port, dbname), read at start. */
    DATABASE_SECRET_ARN: z.string().min(1).optional(),
    /** Credentials injected by ECS from that secret, for the worker container. */
    DATABASE_USERNAME: z.string().min(1).optional(),
    DATABASE_PASSWORD: z.string().min(1).optional(),
    /** The RDS Proxy endpoint; overrides the secret's host (the cluster's own endpoint). */
    DATABASE_HOST: z.string().min(1).optional(),
    DATABASE_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    DATABASE_NAME: z.string().min(1).optional(),
    /**
     * TLS to the database. `verify-full` (default) checks the certificate and host name: RDS
     * Proxy's certificate chains to a public root. `require` encrypts without checking (a direct
     * cluster connection without the RDS CA bundle); `disable` is for local servers only.
     */
    DATABASE_SSL: z.enum(['verify-full', 'require', 'disable']).default('verify-full'),
    /** Connections per process: a Lambda instance serves one request at a time. */
    DATABASE_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(100).default(2),
    BUCKET_NAME: z.string().min(3).max(63),
    /** Prefix of every blob key in the bucket (the models live beside it, under models/). */
    BUCKET_KEY_PREFIX: z
      .string()
      .regex(/^([A-Za-z0-9][A-Za-z0-9._-]*\/)*$/, 'must be empty or segments ending in /')
      .default(''),
    QUEUE_NAME_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_-]{0,60}$/)
      .default(DEFAULT_SQS_NAME_PREFIX),
    AWS_REGION: z.string().min(1).default('us-east-1'),
    /** Endpoints of S3/SQS/Secrets Manager-compatible servers (development and tests). */
    AWS_ENDPOINT_URL_S3: z.url().optional(),
    AWS_ENDPOINT_URL_SQS: z.url().optional(),
    AWS_ENDPOINT_URL_SECRETS_MANAGER: z.url().optional(),
    AWS_ENDPOINT_URL_KMS: z.url().optional(),
    /** The KMS key webhook secrets are sealed under (API, dispatcher and maintenance; workers need none). */
    SECRETS_KMS_KEY_ID: z.string().min(1).optional(),
    /** Path-style S3 URLs, for S3-compatible servers without virtual-host buckets. */
    S3_FORCE_PATH_STYLE: EnvFlagSchema.default(false),
    /**
     * How long a relayed or claimed webhook delivery is held before it counts as lost and is
     * relayed again; longer than the 15 s webhook timeout. Every process that relays must agree.
     */
    WEBHOOK_CLAIM_SECONDS: z.coerce.number().positive().max(3600).default(60),
    LOG_LEVEL: LogLevelSchema,
  })
  .superRefine((env, issues) => {
    const credentials = env.DATABASE_USERNAME !== undefined && env.DATABASE_PASSWORD !== undefined && env.DATABASE_HOST !== undefined;
    if (!env.DATABASE_URL && !env.DATABASE_SECRET_ARN && !credentials) {
      issues.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message: 'set DATABASE_URL, or DATABASE_SECRET_ARN, or DATABASE_HOST with DATABASE_USERNAME and DATABASE_PASSWORD',
      });
    }
  });

export type CloudEnvironment = z.infer<typeof CloudEnvironmentSchema>;
