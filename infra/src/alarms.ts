import { Duration } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { QueueWithDeadLetter } from './queues.ts';

export interface AlarmsProps {
  /** Subscribed to the topic when given (the subscription must be confirmed from the email). */
  readonly email?: string;
}

/** The alarm topic and every alarm that notifies it; each alarm also notifies when it recovers. */
export class Alarms extends Construct {
  readonly topic: sns.Topic;
  private readonly action: actions.SnsAction;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'Kontext alarms', enforceSSL: true });
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
    this.action = new actions.SnsAction(this.topic);
  }

  private add(id: string, props: cloudwatch.AlarmProps): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...props,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    return alarm;
  }

  /** Any message in a dead-letter queue is a message the platform gave up on. */
  deadLetters(id: string, queue: QueueWithDeadLetter): cloudwatch.Alarm {
    return this.add(id, {
      alarmDescription: `Messages in ${queue.deadLetterQueue.queueName}: inspect them, then redrive or delete`,
      metric: queue.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
  }

  /**
   * The oldest waiting job: above maxAge, workers are not keeping up or not starting (no GPU
   * capacity, a failing image). It must exceed a cold GPU start (about 10 minutes) to stay quiet.
   */
  oldestMessage(id: string, queue: QueueWithDeadLetter, maxAge: Duration): cloudwatch.Alarm {
    return this.add(id, {
      alarmDescription: `A message in ${queue.queue.queueName} has waited over ${maxAge.toMinutes()} minutes`,
      metric: queue.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: maxAge.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      // Three minutes in a row, so one slow receive does not page anyone.
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });
  }

  /**
   * Server errors as a share of requests over 5 minutes; below minRequests the rate is reported
   * as 0, since two failures out of ten requests say little.
   */
  apiServerErrorRate(id: string, httpApi: apigwv2.HttpApi, limits: { percent: number; minRequests: number }): cloudwatch.Alarm {
    const period = Duration.minutes(5);
    const rate = new cloudwatch.MathExpression({
      label: '5xx responses (% of requests)',
      expression: `IF(requests >= ${limits.minRequests}, 100 * errors / requests, 0)`,
      usingMetrics: {
        errors: httpApi.metricServerError({ period, statistic: 'Sum' }),
        requests: httpApi.metricCount({ period, statistic: 'Sum' }),
      },
      period,
    });
    return this.add(id, {
      alarmDescription: `Over ${limits.percent}% of API requests answered 5xx in 5 minutes (with at least ${limits.minRequests} requests)`,
      metric: rate,
      threshold: limits.percent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
  }

  /** Error lines logged by a worker service: an error is something an operator should read. */
  workerErrors(id: string, errorLines: cloudwatch.IMetric, description: string): cloudwatch.Alarm {
    return this.add(id, {
      alarmDescription: description,
      metric: errorLines,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
  }

  /** A failed invocation (a thrown handler, a timeout): not a failed webhook, which is handled in-band. */
  functionErrors(id: string, fn: lambda.IFunction, description: string): cloudwatch.Alarm {
    return this.add(id, {
      alarmDescription: description,
      metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
  }
}
