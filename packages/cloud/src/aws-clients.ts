import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { KMSClient } from '@aws-sdk/client-kms';
import type { CloudEnvironment } from './environment.ts';

// The AWS clients every cloud process builds the same way: the region, and an endpoint override
// for S3/SQS-compatible servers (tests, local development). The caller destroys them.

type ClientEnvironment = Pick<
  CloudEnvironment,
  'AWS_REGION' | 'AWS_ENDPOINT_URL_S3' | 'AWS_ENDPOINT_URL_SQS' | 'AWS_ENDPOINT_URL_SECRETS_MANAGER' | 'AWS_ENDPOINT_URL_KMS' | 'S3_FORCE_PATH_STYLE'
>;

function endpoint(url: string | undefined): { endpoint?: string } {
  return url ? { endpoint: url } : {};
}

export function s3Client(env: ClientEnvironment): S3Client {
  return new S3Client({ region: env.AWS_REGION, forcePathStyle: env.S3_FORCE_PATH_STYLE, ...endpoint(env.AWS_ENDPOINT_URL_S3) });
}

export function sqsClient(env: ClientEnvironment): SQSClient {
  return new SQSClient({ region: env.AWS_REGION, ...endpoint(env.AWS_ENDPOINT_URL_SQS) });
}

export function secretsManagerClient(env: ClientEnvironment): SecretsManagerClient {
  return new SecretsManagerClient({ region: env.AWS_REGION, ...endpoint(env.AWS_ENDPOINT_URL_SECRETS_MANAGER) });
}

export function kmsClient(env: ClientEnvironment): KMSClient {
  return new KMSClient({ region: env.AWS_REGION, ...endpoint(env.AWS_ENDPOINT_URL_KMS) });
}
