import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { jobQueueName, PREVIEW_ENGINE_POOL, WEBHOOKS_QUEUE } from '@kontext/core';
import { deadLetterQueueName, sqsQueueName } from '@kontext/queue';
import { TEST_AWS_CREDENTIALS, TEST_AWS_REGION } from './aws-servers.ts';
import type { TestDatabase } from './database.ts';

// One isolated "AWS account" per test file on the protocol servers the harness runs: a database
// cloned from the template, a bucket, the jobs and webhooks queues (each with its DLQ, as the CDK
// app creates them), and the secrets the Lambdas read. `env` is what the CDK app would give the
// functions and the worker container, pointed at those servers.

export interface CloudFixture {
  database: TestDatabase;
  bucket: string;
  queuePrefix: string;
  adminToken: string;
  env: Record<string, string>;
  s3: S3Client;
  sqs: SQSClient;
  /** The SQS URL of a logical queue. */
  queueUrl(logical: string): string;
  close(): Promise<void>;
}

export const CLOUD_LOGICAL_QUEUES = [jobQueueName('kontext-dev'), jobQueueName(PREVIEW_ENGINE_POOL), WEBHOOKS_QUEUE] as const;

export interface CloudFixtureOptions {
  /** moto's server (SQS, Secrets Manager) and s3rver (S3); tests take them from the harness. */
  motoEndpoint: string;
  s3Endpoint: string;
  /** A migrated database of its own; dropped by close(). */
  database: TestDatabase;
  maxReceiveCount?: number;
}

export async function createCloudFixture(options: CloudFixtureOptions): Promise<CloudFixture> {
  const { motoEndpoint, s3Endpoint, database } = options;
  const suffix = randomBytes(4).toString('hex');
  const bucket = `kontext-test-${suffix}`;
  const queuePrefix = `t${suffix}-`;
  const adminToken = randomBytes(24).toString('base64url');
  const clientOptions = { region: TEST_AWS_REGION, credentials: TEST_AWS_CREDENTIALS };
  const s3 = new S3Client({ ...clientOptions, endpoint: s3Endpoint, forcePathStyle: true });
  const sqs = new SQSClient({ ...clientOptions, endpoint: motoEndpoint });
  const secrets = new SecretsManagerClient({ ...clientOptions, endpoint: motoEndpoint });

  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const urls = new Map<string, string>();
  for (const logical of CLOUD_LOGICAL_QUEUES) {
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: sqsQueueName(deadLetterQueueName(logical), queuePrefix) }));
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
    const queue = await sqs.send(
      new CreateQueueCommand({
        QueueName: sqsQueueName(logical, queuePrefix),
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: String(options.maxReceiveCount ?? 5) }) },
      }),
    );
    urls.set(logical, queue.QueueUrl!);
    urls.set(deadLetterQueueName(logical), dlq.QueueUrl!);
  }

  const url = new URL(database.url);
  const databaseSecret = await secrets.send(
    new CreateSecretCommand({
      Name: `kontext-db-${suffix}`,
      // The shape RDS generates for a cluster's credentials.
      SecretString: JSON.stringify({
        engine: 'postgres',
        host: url.hostname,
        port: Number(url.port),
        username: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password),
        dbname: url.pathname.slice(1),
      }),
    }),
  );
  const adminSecret = await secrets.send(new CreateSecretCommand({ Name: `kontext-admin-${suffix}`, SecretString: adminToken }));
  secrets.destroy();
  // The key webhook secrets are sealed under, as the CDK app creates it.
  const kms = new KMSClient({ ...clientOptions, endpoint: motoEndpoint });
  const secretKey = (await kms.send(new CreateKeyCommand({ Description: `kontext secrets ${suffix}` }))).KeyMetadata!.Arn!;
  kms.destroy();

  const env: Record<string, string> = {
    DATABASE_SECRET_ARN: databaseSecret.ARN!,
    // The test server speaks plain TCP on loopback; in AWS the proxy requires verified TLS.
    DATABASE_SSL: 'disable',
    DATABASE_MAX_CONNECTIONS: '4',
    BUCKET_NAME: bucket,
    QUEUE_NAME_PREFIX: queuePrefix,
    AWS_REGION: TEST_AWS_REGION,
    AWS_ACCESS_KEY_ID: TEST_AWS_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_AWS_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: s3Endpoint,
    AWS_ENDPOINT_URL_SQS: motoEndpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: motoEndpoint,
    AWS_ENDPOINT_URL_KMS: motoEndpoint,
    SECRETS_KMS_KEY_ID: secretKey,
    S3_FORCE_PATH_STYLE: 'true',
    ADMIN_TOKEN_SECRET_ARN: adminSecret.ARN!,
    LOG_LEVEL: 'error',
  };
  return {
    database,
    bucket,
    queuePrefix,
    adminToken,
    env,
    s3,
    sqs,
    queueUrl: (logical) => {
      const found = urls.get(logical);
      if (!found) throw new Error(`no queue ${logical} in this fixture`);
      return found;
    },
    close: async () => {
      s3.destroy();
      sqs.destroy();
      await database.drop();
    },
  };
}
