import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { GPU_SCALING, type KontextStack, PREVIEW_SCALING } from '../src/kontext-stack.ts';
import { allowStatementsOf, logicalIdOf, synthesizeTestStack } from './kontext-fixture.ts';

// The ECS cluster, the GPU capacity, both worker services and their backlog scaling, from one
// synthesized stack (read-only).

let stack: KontextStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthesizeTestStack());
});

type Resource = { Properties: Record<string, unknown>; DependsOn?: string[] };

/** The capacity provider construct has no default child, so it is found by type: there is one. */
function capacityProviderId(): string {
  const ids = Object.keys(template.findResources('AWS::ECS::CapacityProvider'));
  expect(ids).toHaveLength(1);
  return ids[0] ?? '';
}

function resource(type: string, construct: Parameters<typeof logicalIdOf>[0]): Resource {
  const found = template.findResources(type)[logicalIdOf(construct)];
  if (!found) throw new Error(`No ${type} for ${construct.node.path}`);
  return found as Resource;
}

function workerContainer(taskDefinition: Parameters<typeof logicalIdOf>[0]): Record<string, unknown> {
  const definitions = resource('AWS::ECS::TaskDefinition', taskDefinition).Properties.ContainerDefinitions as Record<string, unknown>[];
  expect(definitions).toHaveLength(1);
  return definitions[0] ?? {};
}

describe('cluster and GPU capacity', () => {
  it('enables Container Insights', () => {
    template.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] });
  });

  it('runs a GPU Auto Scaling group from 0 to gpuMaxInstances as a managed capacity provider', () => {
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '0',
      MaxSize: '2',
      NewInstancesProtectedFromScaleIn: true,
    });
    template.hasResourceProperties('AWS::ECS::CapacityProvider', {
      AutoScalingGroupProvider: {
        AutoScalingGroupArn: { Ref: logicalIdOf(stack.workers.gpuInstances) },
        ManagedScaling: { Status: 'ENABLED', TargetCapacity: 100 },
        ManagedTerminationProtection: 'ENABLED',
      },
    });
    template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: Match.arrayWith([{ Ref: capacityProviderId() }]),
    });
  });

  it('launches the ECS GPU AMI with IMDSv2 and an encrypted 200 GiB gp3 root volume', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        InstanceType: 'g6e.xlarge',
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 200, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true } }],
      }),
    });
    const amiParameters = Object.keys(template.toJSON().Parameters as Record<string, unknown>);
    expect(amiParameters.some((name) => /amazonlinux2023gpu/i.test(name))).toBe(true);
  });

  it('announces instance launches, terminations and their failures on the alarm topic', () => {
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      NotificationConfigurations: [
        {
          TopicARN: { Ref: logicalIdOf(stack.alarms.topic) },
          NotificationTypes: Match.arrayWith(['autoscaling:EC2_INSTANCE_LAUNCH_ERROR', 'autoscaling:EC2_INSTANCE_TERMINATE_ERROR']),
        },
      ],
    });
  });

  it('takes the instance type and group size from context', () => {
    const { template: other } = synthesizeTestStack({ gpuInstanceType: 'p5.4xlarge', gpuMaxInstances: '6' });
    other.hasResourceProperties('AWS::EC2::LaunchTemplate', { LaunchTemplateData: Match.objectLike({ InstanceType: 'p5.4xlarge' }) });
    other.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { MinSize: '0', MaxSize: '6' });
  });
});

describe('GPU worker', () => {
  it('asks for one GPU, stops within 120 s and checks health with a long start period', () => {
    expect(workerContainer(stack.gpuWorker.taskDefinition)).toMatchObject({
      ResourceRequirements: [{ Type: 'GPU', Value: '1' }],
      StopTimeout: 120,
      HealthCheck: {
        Command: ['CMD', 'node', '-e', "fetch('http://127.0.0.1:8080/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"],
        StartPeriod: 300,
        Interval: 30,
        Retries: 10,
      },
      LogConfiguration: { LogDriver: 'awslogs' },
    });
  });

  it('mounts the host model directory and reads its configuration and credentials', () => {
    const container = workerContainer(stack.gpuWorker.taskDefinition);
    expect(resource('AWS::ECS::TaskDefinition', stack.gpuWorker.taskDefinition).Properties).toMatchObject({
      NetworkMode: 'awsvpc',
      RequiresCompatibilities: ['EC2'],
      Volumes: [{ Name: 'models', Host: { SourcePath: '/opt/kontext/models' } }],
    });
    expect(container.MountPoints).toEqual([{ SourceVolume: 'models', ContainerPath: '/models', ReadOnly: false }]);
    const environment = Object.fromEntries((container.Environment as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]));
    expect(environment).toMatchObject({
      BACKEND: 'aws',
      AWS_REGION: { Ref: 'AWS::Region' },
      QUEUE_BACKEND: 'sqs',
      STORAGE_BACKEND: 's3',
      ENGINE_POOL: 'kontext-dev',
      ENGINE: 'kontext',
      QUEUE_NAME_PREFIX: 'kontext-',
      DATABASE_NAME: 'kontext',
      HEALTH_PORT: '8080',
      DRAIN_SECONDS: '100',
      MODEL_DIR: '/models',
      MODEL_WEIGHTS_S3_URI: { 'Fn::Join': ['', ['s3://', { Ref: logicalIdOf(stack.storage.bucket) }, '/models/flux-kontext-dev/']] },
      DATABASE_HOST: { 'Fn::GetAtt': [logicalIdOf(stack.database.proxy), 'Endpoint'] },
    });
    expect((container.Secrets as { Name: string }[]).map((secret) => secret.Name).sort()).toEqual(['DATABASE_PASSWORD', 'DATABASE_USERNAME']);
  });

  it('runs on the GPU capacity provider, starting from zero tasks', () => {
    expect(resource('AWS::ECS::Service', stack.gpuWorker.service).Properties).toMatchObject({
      DesiredCount: 0,
      CapacityProviderStrategy: [{ CapacityProvider: { Ref: capacityProviderId() }, Weight: 1 }],
      DeploymentConfiguration: { DeploymentCircuitBreaker: { Enable: true, Rollback: true } },
    });
  });

  it('consumes only its own jobs queue, sends only webhook relays, and reads the model weights', () => {
    const role = stack.gpuWorker.taskDefinition.taskRole;
    const sendTargets = allowStatementsOf(template, role)
      .filter((statement) => [statement.Action].flat().includes('sqs:SendMessage'))
      .flatMap((statement) => [statement.Resource].flat());
    expect(sendTargets).toEqual([{ 'Fn::GetAtt': [logicalIdOf(stack.queues.webhooks.queue), 'Arn'] }]);
    const queueTargets = allowStatementsOf(template, role)
      .filter((statement) => [statement.Action].flat().includes('sqs:ReceiveMessage'))
      .flatMap((statement) => [statement.Resource].flat());
    expect(queueTargets).toEqual([{ 'Fn::GetAtt': [logicalIdOf(stack.queues.jobsKontextDev.queue), 'Arn'] }]);
    const modelReads = allowStatementsOf(template, role).filter((statement) => JSON.stringify(statement.Resource).includes('/models/flux-kontext-dev/*'));
    expect(modelReads.flatMap((statement) => [statement.Action].flat())).toEqual(['s3:GetObject']);
  });
});

describe('preview worker', () => {
  it('runs the preview target on Fargate (1 vCPU, 2 GB, x86_64) with the same health check and stop timeout', () => {
    expect(resource('AWS::ECS::TaskDefinition', stack.previewWorker.taskDefinition).Properties).toMatchObject({
      Cpu: '1024',
      Memory: '2048',
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
    });
    const container = workerContainer(stack.previewWorker.taskDefinition);
    expect(container).toMatchObject({ StopTimeout: 120, HealthCheck: { StartPeriod: 60 } });
    expect(container.ResourceRequirements).toBeUndefined();
    const environment = Object.fromEntries((container.Environment as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]));
    expect(environment).toMatchObject({ ENGINE_POOL: 'preview', ENGINE: 'preview' });
    expect(environment.MODEL_WEIGHTS_S3_URI).toBeUndefined();
    expect(resource('AWS::ECS::Service', stack.previewWorker.service).Properties).toMatchObject({ DesiredCount: 0, LaunchType: 'FARGATE' });
  });

  it('cannot read the model weights or the GPU jobs', () => {
    const statements = JSON.stringify(allowStatementsOf(template, stack.previewWorker.taskDefinition.taskRole));
    expect(statements).not.toContain('models/');
    expect(statements).not.toContain(logicalIdOf(stack.queues.jobsKontextDev.queue));
  });
});

describe('backlog scaling', () => {
  function scalableTarget(service: Parameters<typeof logicalIdOf>[0]): [string, Resource] {
    const entry = Object.entries(template.findResources('AWS::ApplicationAutoScaling::ScalableTarget')).find(([, target]) =>
      JSON.stringify(target.Properties.ResourceId).includes(logicalIdOf(service)),
    );
    if (!entry) throw new Error(`No scalable target for ${service.node.path}`);
    return entry as [string, Resource];
  }

  function policies(targetId: string): Record<string, { StepAdjustments: unknown[]; Cooldown: number }> {
    return Object.fromEntries(
      Object.entries(template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy'))
        .filter(([, policy]) => JSON.stringify(policy.Properties.ScalingTargetId) === JSON.stringify({ Ref: targetId }))
        .map(([id, policy]) => [id.replace(/.*TaskCountTarget(\w+?)UpperPolicy.*/, '$1'), policy.Properties.StepScalingPolicyConfiguration]),
    );
  }

  function alarmExpression(policyName: string, service: 'GpuWorker' | 'PreviewWorker'): Record<string, unknown> {
    const alarm = Object.entries(template.findResources('AWS::CloudWatch::Alarm')).find(([id]) =>
      id.startsWith(`${service}ServiceTaskCountTarget${policyName}UpperAlarm`),
    );
    if (!alarm) throw new Error(`No ${policyName} alarm for ${service}`);
    return alarm[1].Properties as Record<string, unknown>;
  }

  it('bounds each service between 0 and its maximum', () => {
    expect(scalableTarget(stack.gpuWorker.service)[1].Properties).toMatchObject({ MinCapacity: 0, MaxCapacity: 2 });
    expect(scalableTarget(stack.previewWorker.service)[1].Properties).toMatchObject({ MinCapacity: 0, MaxCapacity: 2 });
  });

  it('scales the GPU service out in steps on visible messages per running task, every minute', () => {
    const [targetId] = scalableTarget(stack.gpuWorker.service);
    expect(policies(targetId).ScaleOutOnBacklog).toEqual({
      AdjustmentType: 'ChangeInCapacity',
      Cooldown: GPU_SCALING.scaleOutCooldown.toSeconds(),
      MetricAggregationType: 'Maximum',
      StepAdjustments: [
        { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 7, ScalingAdjustment: 1 },
        { MetricIntervalLowerBound: 7, MetricIntervalUpperBound: 22, ScalingAdjustment: 2 },
        { MetricIntervalLowerBound: 22, ScalingAdjustment: 4 },
      ],
    });
    const alarm = alarmExpression('ScaleOutOnBacklog', 'GpuWorker');
    expect(alarm).toMatchObject({ ComparisonOperator: 'GreaterThanOrEqualToThreshold', Threshold: 3, EvaluationPeriods: 1 });
    const metrics = alarm.Metrics as { Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string; Namespace: string }; Period: number } }[];
    expect(metrics.find((metric) => metric.Expression)?.Expression).toBe('visible / IF(FILL(running, 0) > 1, FILL(running, 0), 1)');
    expect(metrics.find((metric) => metric.Id === 'visible')?.MetricStat).toMatchObject({
      Metric: { MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS' },
      Period: 60,
    });
    expect(metrics.find((metric) => metric.Id === 'running')?.MetricStat).toMatchObject({
      Metric: { MetricName: 'RunningTaskCount', Namespace: 'ECS/ContainerInsights' },
      Period: 60,
    });
  });

  it('starts one task whenever a message waits and no task is desired', () => {
    const [targetId] = scalableTarget(stack.gpuWorker.service);
    expect(policies(targetId).WakeFromZero?.StepAdjustments).toEqual([{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }]);
    const alarm = alarmExpression('WakeFromZero', 'GpuWorker');
    expect(alarm).toMatchObject({ Threshold: 1, EvaluationPeriods: 1 });
    expect((alarm.Metrics as { Expression?: string }[]).find((metric) => metric.Expression)?.Expression).toBe(
      'IF(FILL(desired, 0) < 1 AND visible > 0, 1, 0)',
    );
  });

  it('removes one task only after 15 minutes with a task idle', () => {
    const [targetId] = scalableTarget(stack.gpuWorker.service);
    expect(policies(targetId).ScaleInWhenIdle).toMatchObject({
      StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: -1 }],
      Cooldown: GPU_SCALING.scaleInCooldown.toSeconds(),
    });
    const alarm = alarmExpression('ScaleInWhenIdle', 'GpuWorker');
    expect(alarm).toMatchObject({ Threshold: 1, EvaluationPeriods: 15, DatapointsToAlarm: 15 });
    expect((alarm.Metrics as { Expression?: string }[]).find((metric) => metric.Expression)?.Expression).toBe(
      'FILL(running, 0) - (FILL(visible, 0) + FILL(inFlight, 0))',
    );
  });

  it('scales the preview service with the same construct and its own thresholds', () => {
    const [targetId] = scalableTarget(stack.previewWorker.service);
    expect(Object.keys(policies(targetId)).sort()).toEqual(['ScaleInWhenIdle', 'ScaleOutOnBacklog', 'WakeFromZero']);
    expect(alarmExpression('ScaleOutOnBacklog', 'PreviewWorker')).toMatchObject({
      Threshold: PREVIEW_SCALING.scaleOutSteps[0]?.backlogPerTask,
    });
    const visible = (alarmExpression('ScaleOutOnBacklog', 'PreviewWorker').Metrics as { Id: string; MetricStat?: { Metric: unknown } }[]).find(
      (metric) => metric.Id === 'visible',
    );
    expect(JSON.stringify(visible?.MetricStat?.Metric)).toContain(logicalIdOf(stack.queues.jobsPreview.queue));
  });
});

describe('prompt upsampler', () => {
  const UPSAMPLER = {
    promptUpsamplerUrl: 'https://llm.example/v1',
    promptUpsamplerModel: 'gpt-4o-mini',
    promptUpsamplerTimeoutSeconds: '20',
    promptUpsamplerAllowPrivate: 'true',
    promptUpsamplerApiKeySecret: 'kontext/upsampler-key',
  };

  type Container = { Environment: { Name: string; Value: unknown }[]; Secrets: { Name: string; ValueFrom: unknown }[] };

  function containersOf(other: { stack: KontextStack; template: Template }): Container[] {
    return [other.stack.gpuWorker, other.stack.previewWorker].map((worker) => {
      const definition = other.template.findResources('AWS::ECS::TaskDefinition')[logicalIdOf(worker.taskDefinition)] as Resource | undefined;
      const containers = definition?.Properties.ContainerDefinitions as Container[] | undefined;
      expect(containers).toHaveLength(1);
      return containers?.[0] as Container;
    });
  }

  const upsamplerNames = (entries: { Name: string }[]) => entries.map((entry) => entry.Name).filter((name) => name.includes('PROMPT_UPSAMPLER'));

  it('sets nothing on either worker when unset', () => {
    for (const container of containersOf({ stack, template })) {
      expect(upsamplerNames(container.Environment)).toEqual([]);
      expect(container.Secrets.map((secret) => secret.Name).sort()).toEqual(['DATABASE_PASSWORD', 'DATABASE_USERNAME']);
    }
  });

  it('leaves the template as it is with blank values, as cdk.json may hold them', () => {
    const blank = Object.fromEntries(Object.keys(UPSAMPLER).map((key) => [key, '']));
    expect(synthesizeTestStack(blank).template.toJSON()).toEqual(template.toJSON());
  });

  describe('set, with the key secret by name', () => {
    let configured: { stack: KontextStack; template: Template };

    beforeAll(() => {
      configured = synthesizeTestStack(UPSAMPLER);
    });

    it('gives both workers the URL, model, timeout and switch as plain environment', () => {
      for (const container of containersOf(configured)) {
        const environment = Object.fromEntries(container.Environment.map((e) => [e.Name, e.Value]));
        expect(environment).toMatchObject({
          PROMPT_UPSAMPLER_URL: 'https://llm.example/v1',
          PROMPT_UPSAMPLER_MODEL: 'gpt-4o-mini',
          PROMPT_UPSAMPLER_TIMEOUT_SECONDS: '20',
          ALLOW_PRIVATE_PROMPT_UPSAMPLER: 'true',
        });
        expect(environment.PROMPT_UPSAMPLER_API_KEY).toBeUndefined();
      }
    });

    it('passes the key only as an ECS secret read from the named secret', () => {
      const partialArn = {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':secret:kontext/upsampler-key'],
        ],
      };
      for (const container of containersOf(configured)) {
        expect(container.Secrets.find((secret) => secret.Name === 'PROMPT_UPSAMPLER_API_KEY')).toEqual({
          Name: 'PROMPT_UPSAMPLER_API_KEY',
          ValueFrom: partialArn,
        });
      }
    });

    it('lets the execution roles, not the task roles, read that secret', () => {
      for (const worker of [configured.stack.gpuWorker, configured.stack.previewWorker]) {
        const reads = (role: Parameters<typeof logicalIdOf>[0]) =>
          allowStatementsOf(configured.template, role).filter((statement) => JSON.stringify(statement.Resource).includes('kontext/upsampler-key'));
        const executionRole = worker.taskDefinition.executionRole;
        if (!executionRole) throw new Error(`No execution role for ${worker.node.path}`);
        const executionReads = reads(executionRole);
        expect(executionReads.flatMap((statement) => [statement.Action].flat())).toContain('secretsmanager:GetSecretValue');
        // A name matches the secret's ARN only with the six-character suffix Secrets Manager appends.
        expect(JSON.stringify(executionReads.map((statement) => statement.Resource))).toContain(':secret:kontext/upsampler-key-??????');
        expect(reads(worker.taskDefinition.taskRole)).toEqual([]);
      }
    });
  });

  it('reads the key from a complete ARN as given, and leaves an unset timeout and switch to the worker', () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:kontext/upsampler-key-AbC123';
    const other = synthesizeTestStack({ promptUpsamplerUrl: 'http://10.0.3.7:8000/v1', promptUpsamplerModel: 'local', promptUpsamplerApiKeySecret: arn });
    for (const container of containersOf(other)) {
      expect(container.Secrets.find((secret) => secret.Name === 'PROMPT_UPSAMPLER_API_KEY')?.ValueFrom).toBe(arn);
      expect(upsamplerNames(container.Environment).sort()).toEqual(['PROMPT_UPSAMPLER_MODEL', 'PROMPT_UPSAMPLER_URL']);
    }
  });
});
