import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { stackSlug } from './naming.ts';

/** The logical queue names the code knows (packages/queue); the physical name adds QUEUE_NAME_PREFIX. */
export const QUEUE_LOGICAL_NAMES = ['jobs-kontext-dev', 'jobs-preview', 'webhooks'] as const;
export type QueueLogicalName = (typeof QUEUE_LOGICAL_NAMES)[number];

const SQS_NAME_LIMIT = 80;

/** QUEUE_NAME_PREFIX: the stack's slug and a hyphen, so each stack's queue names are its own. */
export function queueNamePrefix(stackName: string): string {
  const prefix = `${stackSlug(stackName)}-`;
  const longest = Math.max(...QUEUE_LOGICAL_NAMES.map((name) => `${prefix}${name}-dlq`.length));
  if (longest > SQS_NAME_LIMIT) throw new Error(`Queue names from stack ${stackName} would exceed SQS's ${SQS_NAME_LIMIT} characters`);
  return prefix;
}

export interface QueueWithDeadLetterProps {
  readonly queueName: string;
  readonly visibilityTimeout: Duration;
  /** Receives before a message moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  readonly retentionPeriod: Duration;
}

/** A queue and its dead-letter queue, both SQS-encrypted and TLS-only. */
export class QueueWithDeadLetter extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: QueueWithDeadLetterProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetter', {
      queueName: `${props.queueName}-dlq`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Two weeks (SQS's maximum) to inspect and redrive what failed.
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      queueName: props.queueName,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: props.visibilityTimeout,
      retentionPeriod: props.retentionPeriod,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
  }

  /** Send only: what a producer needs (the API, the outbox relay). */
  grantSend(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['sqs:SendMessage', 'sqs:GetQueueUrl', 'sqs:GetQueueAttributes'],
        resources: [this.queue.queueArn],
      }),
    );
  }

  /** Receive, extend and delete: what a worker needs; no send, no purge. */
  grantConsume(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'sqs:ReceiveMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueUrl',
          'sqs:GetQueueAttributes',
        ],
        resources: [this.queue.queueArn],
      }),
    );
  }
}

export interface QueuesProps {
  readonly queueNamePrefix: string;
  /** The webhook dispatcher's timeout; the webhooks queue's visibility timeout is six times it. */
  readonly dispatcherTimeout: Duration;
}

/** The three queues the platform uses, each with its dead-letter queue. */
export class Queues extends Construct {
  readonly queueNamePrefix: string;
  readonly jobsKontextDev: QueueWithDeadLetter;
  readonly jobsPreview: QueueWithDeadLetter;
  readonly webhooks: QueueWithDeadLetter;

  constructor(scope: Construct, id: string, props: QueuesProps) {
    super(scope, id);
    this.queueNamePrefix = props.queueNamePrefix;
    const jobsQueue = (queueId: string, logicalName: QueueLogicalName) =>
      new QueueWithDeadLetter(this, queueId, {
        queueName: `${props.queueNamePrefix}${logicalName}`,
        // Workers extend a message's visibility every lease (30 s) while the engine runs, so 120 s
        // only bounds how long a message of a crashed worker stays hidden: four missed heartbeats.
        visibilityTimeout: Duration.seconds(120),
        // The database's MAX_ATTEMPTS (3) fails a job first; five receives leave room for a
        // duplicate delivery or two before SQS gives up on the message itself.
        maxReceiveCount: 5,
        // Far beyond QUEUE_TIMEOUT_SECONDS (6 h), after which the sweeper fails a job nobody started.
        retentionPeriod: Duration.days(4),
      });
    this.jobsKontextDev = jobsQueue('JobsKontextDev', 'jobs-kontext-dev');
    this.jobsPreview = jobsQueue('JobsPreview', 'jobs-preview');
    this.webhooks = new QueueWithDeadLetter(this, 'Webhooks', {
      queueName: `${props.queueNamePrefix}webhooks`,
      // AWS's guidance for a Lambda event source: at least six times the function's timeout.
      visibilityTimeout: Duration.seconds(props.dispatcherTimeout.toSeconds() * 6),
      // Delivery retries are scheduled in the database; SQS redelivery only covers a crashed batch.
      maxReceiveCount: 5,
      retentionPeriod: Duration.days(4),
    });
  }

  get jobQueues(): readonly QueueWithDeadLetter[] {
    return [this.jobsKontextDev, this.jobsPreview];
  }

  get all(): readonly QueueWithDeadLetter[] {
    return [this.jobsKontextDev, this.jobsPreview, this.webhooks];
  }
}
