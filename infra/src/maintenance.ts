import { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { MAINTENANCE_LAMBDA_SETTINGS } from '@kontext/settings';
import { Construct } from 'constructs';
import type { Database } from './database.ts';
import { processEnvironment } from './process-environment.ts';
import type { Queues } from './queues.ts';
import type { SecretKey } from './secret-key.ts';
import { ServiceFunction } from './service-function.ts';
import { type Storage, TENANT_PREFIX } from './storage.ts';

export interface MaintenanceProps {
  readonly code: lambda.Code;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly database: Database;
  readonly storage: Storage;
  readonly queues: Queues;
  readonly secretKey: SecretKey;
  readonly logLevel: string;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The once-a-minute housekeeping: lease sweeper, job outbox relay, webhook relay, asset retention
 * and purges.
 */
export class Maintenance extends Construct {
  readonly handler: ServiceFunction;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: MaintenanceProps) {
    super(scope, id);
    this.handler = new ServiceFunction(this, 'Handler', {
      code: props.code,
      description: 'Kontext maintenance (sweeper, outbox relays, retention)',
      vpc: props.vpc,
      subnets: props.subnets,
      memorySize: 512,
      // A retention sweep over many expired assets may take minutes; the next tick waits for it.
      timeout: Duration.minutes(5),
      // One run at a time: overlapping sweeps would only contend for the same rows.
      reservedConcurrentExecutions: 1,
      environment: processEnvironment<typeof MAINTENANCE_LAMBDA_SETTINGS>({
        ...props.database.proxyEnvironment,
        BUCKET_NAME: props.storage.bucket.bucketName,
        QUEUE_NAME_PREFIX: props.queues.queueNamePrefix,
        ...props.secretKey.environment,
        LOG_LEVEL: props.logLevel,
      }),
      logRetention: props.logRetention,
    });
    // A tick throttled behind a long run is dropped, not queued: the next minute's tick does its work.
    this.handler.function.configureAsyncInvoke({ maxEventAge: Duration.seconds(60), retryAttempts: 0 });
    props.database.allowClient(this.handler, 'Kontext maintenance');
    props.database.grantSecretRead(this.handler);
    // Re-seals webhook secrets stored before sealing existed.
    props.secretKey.grantSealAndOpen(this.handler);
    // Retention deletes expired blobs, listing a tenant's prefix to purge it.
    props.storage.grantObjects(this.handler, [{ prefix: TENANT_PREFIX, actions: ['s3:DeleteObject'], list: true }]);
    // The relays re-send job messages and webhook deliveries whose first send was lost.
    for (const queue of props.queues.all) queue.grantSend(this.handler);

    this.schedule = new events.Rule(this, 'EveryMinute', {
      description: 'Runs Kontext maintenance every minute',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.handler.function, { retryAttempts: 0, maxEventAge: Duration.seconds(60) })],
    });
  }
}
