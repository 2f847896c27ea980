import { DEFAULT_SQS_NAME_PREFIX } from '@kontext/core';
import { z } from 'zod';
import { declareSetting } from '../setting.ts';
import { nonEmptyText, portNumber, switchSchema, urlText, wholeNumber } from '../value-schemas.ts';

// What every cloud process shares (the API, dispatcher, maintenance and migration Lambdas, the
// worker container): where the database, the bucket, the queues and the keys are. The CDK app
// sets them.

export const DATABASE_SECRET_ARN = declareSetting({
  name: 'DATABASE_SECRET_ARN',
  description: 'The Aurora-generated secret (JSON: username, password, host, port, dbname), read once per cold start.',
  schema: nonEmptyText,
});

export const DATABASE_USERNAME = declareSetting({
  name: 'DATABASE_USERNAME',
  description: 'Database user, injected by ECS from that secret (the worker container); with `DATABASE_PASSWORD` and `DATABASE_HOST`.',
  schema: nonEmptyText,
});

export const DATABASE_PASSWORD = declareSetting({
  name: 'DATABASE_PASSWORD',
  description: 'Database password, injected by ECS from that secret (the worker container).',
  schema: nonEmptyText,
});

export const DATABASE_HOST = declareSetting({
  name: 'DATABASE_HOST',
  description: "The RDS Proxy endpoint; overrides the secret's host (the cluster's own endpoint).",
  schema: nonEmptyText,
  whenUnset: "the secret's host",
});

export const DATABASE_PORT = declareSetting({
  name: 'DATABASE_PORT',
  description: 'Database port.',
  schema: portNumber(1),
  whenUnset: "the secret's port, or `5432`",
});

export const DATABASE_NAME = declareSetting({
  name: 'DATABASE_NAME',
  description: 'Database name.',
  schema: nonEmptyText,
  whenUnset: "the secret's dbname, or `kontext`",
});

export const DATABASE_SSL = declareSetting({
  name: 'DATABASE_SSL',
  description:
    "TLS to the database. `verify-full` checks the certificate and host name (RDS Proxy's certificate chains to a public root); `require` encrypts without checking (a direct cluster connection without the RDS CA bundle); `disable` is for local servers only.",
  schema: z.enum(['verify-full', 'require', 'disable']),
  default: 'verify-full',
});

export const DATABASE_MAX_CONNECTIONS = declareSetting({
  name: 'DATABASE_MAX_CONNECTIONS',
  description: 'Connections per process: a Lambda instance serves one request at a time.',
  schema: wholeNumber(1, 100),
  default: 2,
});

export const BUCKET_NAME = declareSetting({
  name: 'BUCKET_NAME',
  description: 'The S3 bucket of blobs and model weights.',
  schema: z.string().min(3).max(63),
  required: true,
});

export const BUCKET_KEY_PREFIX = declareSetting({
  name: 'BUCKET_KEY_PREFIX',
  description: 'Prefix of every blob key in the bucket (the models live beside it, under `models/`): empty or segments ending in `/`.',
  schema: z.string().regex(/^([A-Za-z0-9][A-Za-z0-9._-]*\/)*$/, 'must be empty or segments ending in /'),
  default: '',
});

export const QUEUE_NAME_PREFIX = declareSetting({
  name: 'QUEUE_NAME_PREFIX',
  description: "Prefix of the SQS queues' names (the CDK app uses the stack's slug).",
  schema: z.string().regex(/^[A-Za-z0-9_-]{0,60}$/),
  default: DEFAULT_SQS_NAME_PREFIX,
});

export const AWS_REGION = declareSetting({
  name: 'AWS_REGION',
  description: 'The region of every AWS client.',
  schema: nonEmptyText,
  default: 'us-east-1',
});

export const AWS_ENDPOINT_URL_S3 = declareSetting({
  name: 'AWS_ENDPOINT_URL_S3',
  description: 'Endpoint of an S3-compatible server (development and tests).',
  schema: urlText,
});

export const AWS_ENDPOINT_URL_SQS = declareSetting({
  name: 'AWS_ENDPOINT_URL_SQS',
  description: 'Endpoint of an SQS-compatible server (development and tests).',
  schema: urlText,
});

export const AWS_ENDPOINT_URL_SECRETS_MANAGER = declareSetting({
  name: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  description: 'Endpoint of a Secrets Manager-compatible server (development and tests).',
  schema: urlText,
});

export const AWS_ENDPOINT_URL_KMS = declareSetting({
  name: 'AWS_ENDPOINT_URL_KMS',
  description: 'Endpoint of a KMS-compatible server (development and tests).',
  schema: urlText,
});

export const SECRETS_KMS_KEY_ID = declareSetting({
  name: 'SECRETS_KMS_KEY_ID',
  description: 'The KMS key webhook secrets are sealed under (API, dispatcher and maintenance; workers need none).',
  schema: nonEmptyText,
  whenUnset: 'no key ring',
});

export const S3_FORCE_PATH_STYLE = declareSetting({
  name: 'S3_FORCE_PATH_STYLE',
  description: 'Path-style S3 URLs, for S3-compatible servers without virtual-host buckets.',
  schema: switchSchema,
  default: false,
});

export const ORIGIN_VERIFY_SECRET_ARN = declareSetting({
  name: 'ORIGIN_VERIFY_SECRET_ARN',
  description:
    "The Secrets Manager secret whose value CloudFront sends to the API as `X-Origin-Verify` (the CDK app generates it). A request carrying it came through the distribution, so its `CloudFront-Viewer-Address` is the client's address (sign-in limits, audit log); any other request's address is API Gateway's source IP.",
  schema: nonEmptyText,
  whenUnset: 'the client address is always API Gateway\'s source IP',
});

export const SMTP_URL_SECRET_ARN = declareSetting({
  name: 'SMTP_URL_SECRET_ARN',
  description:
    'The Secrets Manager secret whose plain string is the SMTP URL (`smtp://user:password@host:587`), read once per cold start; the CDK app sets it from `-c smtpUrlSecret=`.',
  schema: nonEmptyText,
  whenUnset: 'no mail from the API function unless SMTP_URL is set',
});
