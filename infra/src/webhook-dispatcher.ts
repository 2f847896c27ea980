import { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { DISPATCHER_LAMBDA_SETTINGS } from '@kontext/settings';
import { Construct } from 'constructs';
import type { Database } from './database.ts';
import { processEnvironment } from './process-environment.ts';
import type { Queues } from './queues.ts';
import type { SecretKey } from './secret-key.ts';
import { ServiceFunction } from './service-function.ts';
import { type Storage, TENANT_PREFIX } from './storage.ts';

/**
 * A delivery times out at 15 s and a batch's ten deliveries run concurrently, so 60 s covers a
 * batch with room for the database work around it. The webhooks queue's visibility timeout is
 * derived from this (six times).
 */
export const DISPATCHER_TIMEOUT = Duration.seconds(60);

export interface WebhookDispatcherProps {
  readonly code: lambda.Code;
  readonly vpc: ec2.IVpc;
  /** Subnets with a NAT route: webhook targets are on the public internet. */
  readonly subnets: ec2.SubnetSelection;
  readonly database: Database;
  readonly storage: Storage;
  readonly queues: Queues;
  readonly secretKey: SecretKey;
  /** Concurrent batches at most, so a backlog cannot flood the database proxy. */
  readonly maxConcurrency: number;
  readonly logLevel: string;
  readonly logRetention: logs.RetentionDays;
}

/** Posts signed webhooks: consumes the webhooks queue and schedules retries on it. */
export class WebhookDispatcher extends Construct {
  readonly handler: ServiceFunction;

  constructor(scope: Construct, id: string, props: WebhookDispatcherProps) {
    super(scope, id);
    this.handler = new ServiceFunction(this, 'Handler', {
      code: props.code,
      description: 'Kontext webhook dispatcher',
      vpc: props.vpc,
      subnets: props.subnets,
      memorySize: 512,
      timeout: DISPATCHER_TIMEOUT,
      environment: processEnvironment<typeof DISPATCHER_LAMBDA_SETTINGS>({
        ...props.database.proxyEnvironment,
        BUCKET_NAME: props.storage.bucket.bucketName,
        QUEUE_NAME_PREFIX: props.queues.queueNamePrefix,
        ...props.secretKey.environment,
        LOG_LEVEL: props.logLevel,
      }),
      logRetention: props.logRetention,
    });
    props.database.allowClient(this.handler, 'Kontext webhook dispatcher');
    props.database.grantSecretRead(this.handler);
    // Opens the webhook secrets it signs with.
    props.secretKey.grantOpen(this.handler);
    // Presigning a sample URL needs the signer to hold s3:GetObject; nothing else in the bucket.
    props.storage.grantObjects(this.handler, [{ prefix: TENANT_PREFIX, actions: ['s3:GetObject'] }]);
    // Retries are sent back to the queue with a delay.
    props.queues.webhooks.grantSend(this.handler);
    // The event source grants receive, delete and visibility changes on the webhooks queue.
    this.handler.function.addEventSource(
      new SqsEventSource(props.queues.webhooks.queue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency,
      }),
    );
  }
}
