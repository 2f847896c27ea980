import { Duration } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** From this backlog per running task upwards, add this many tasks. */
export interface ScaleOutStep {
  readonly backlogPerTask: number;
  readonly addTasks: number;
}

export interface BacklogScalingOptions {
  /** Ascending by backlogPerTask; the first step's backlog is the scale-out threshold. */
  readonly scaleOutSteps: readonly ScaleOutStep[];
  /** About the time a new task needs to start taking messages: adding more before then overshoots. */
  readonly scaleOutCooldown: Duration;
  /** How long at least one task must have had nothing to do before one is removed. */
  readonly scaleInAfter: Duration;
  /** Pause between removals, so a returning burst finds capacity still there. */
  readonly scaleInCooldown: Duration;
}

export interface BacklogScalingProps extends BacklogScalingOptions {
  readonly service: ecs.BaseService;
  readonly queue: sqs.IQueue;
  readonly maxTasks: number;
}

/** Every scaling decision looks at one-minute datapoints: SQS and Container Insights publish per minute. */
const PERIOD = Duration.minutes(1);

/**
 * Scales an ECS service between 0 and maxTasks on its queue. Three step policies:
 * - scale out on backlog per task, visible / max(running, 1), by the configured steps;
 * - wake from zero: a service at zero desired tasks with any visible message gets one task, whatever
 *   the first step's threshold (otherwise a small backlog could wait forever);
 * - scale in by one task when, for scaleInAfter, more tasks ran than there were messages (visible or
 *   in flight), so at least one task sat idle; in-flight counts, so a fleet busy with exactly its own
 *   messages is never shrunk into a backlog.
 */
export class BacklogScaling extends Construct {
  readonly backlogPerTask: cloudwatch.MathExpression;
  readonly wakeFromZero: cloudwatch.MathExpression;
  readonly idleTasks: cloudwatch.MathExpression;

  constructor(scope: Construct, id: string, props: BacklogScalingProps) {
    super(scope, id);
    const firstStep = props.scaleOutSteps[0];
    if (!firstStep) throw new Error('BacklogScaling needs at least one scale-out step');
    props.scaleOutSteps.forEach((step, index) => {
      const previous = props.scaleOutSteps[index - 1];
      if (step.addTasks < 1 || (previous && step.backlogPerTask <= previous.backlogPerTask)) {
        throw new Error('Scale-out steps must add at least one task and rise strictly in backlog per task');
      }
    });

    const serviceMetric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'ECS/ContainerInsights',
        metricName,
        dimensionsMap: { ClusterName: props.service.cluster.clusterName, ServiceName: props.service.serviceName },
        statistic: cloudwatch.Stats.AVERAGE,
        period: PERIOD,
      });
    const visible = props.queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM });
    const inFlight = props.queue.metricApproximateNumberOfMessagesNotVisible({ period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM });
    const running = serviceMetric('RunningTaskCount');
    const desired = serviceMetric('DesiredTaskCount');

    // FILL(…, 0): a service with no tasks may publish no task counts at all.
    this.backlogPerTask = new cloudwatch.MathExpression({
      label: 'Visible messages per running task',
      expression: 'visible / IF(FILL(running, 0) > 1, FILL(running, 0), 1)',
      usingMetrics: { visible, running },
      period: PERIOD,
    });
    this.wakeFromZero = new cloudwatch.MathExpression({
      label: 'Messages waiting with no task desired',
      expression: 'IF(FILL(desired, 0) < 1 AND visible > 0, 1, 0)',
      usingMetrics: { visible, desired },
      period: PERIOD,
    });
    this.idleTasks = new cloudwatch.MathExpression({
      label: 'Running tasks beyond the messages to work on',
      expression: 'FILL(running, 0) - (FILL(visible, 0) + FILL(inFlight, 0))',
      usingMetrics: { visible, inFlight, running },
      period: PERIOD,
    });

    const taskCount = props.service.autoScaleTaskCount({ minCapacity: 0, maxCapacity: props.maxTasks });
    const aggregation = appscaling.MetricAggregationType.MAXIMUM;
    taskCount.scaleOnMetric('ScaleOutOnBacklog', {
      metric: this.backlogPerTask,
      scalingSteps: [
        { upper: firstStep.backlogPerTask, change: 0 },
        ...props.scaleOutSteps.map((step, index) => ({
          lower: step.backlogPerTask,
          upper: props.scaleOutSteps[index + 1]?.backlogPerTask,
          change: step.addTasks,
        })),
      ],
      adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      cooldown: props.scaleOutCooldown,
      evaluationPeriods: 1,
      metricAggregationType: aggregation,
    });
    taskCount.scaleOnMetric('WakeFromZero', {
      metric: this.wakeFromZero,
      scalingSteps: [
        { upper: 1, change: 0 },
        { lower: 1, change: 1 },
      ],
      adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      cooldown: props.scaleOutCooldown,
      evaluationPeriods: 1,
      metricAggregationType: aggregation,
    });
    const scaleInPeriods = Math.max(1, Math.round(props.scaleInAfter.toSeconds() / PERIOD.toSeconds()));
    taskCount.scaleOnMetric('ScaleInWhenIdle', {
      metric: this.idleTasks,
      scalingSteps: [
        { upper: 1, change: 0 },
        { lower: 1, change: -1 },
      ],
      adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      cooldown: props.scaleInCooldown,
      evaluationPeriods: scaleInPeriods,
      datapointsToAlarm: scaleInPeriods,
      metricAggregationType: aggregation,
    });
  }
}
