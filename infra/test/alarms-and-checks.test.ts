import { Validations } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KontextStack } from '../src/kontext-stack.ts';
import { buildTestStack, logicalIdOf, synthesizeTestStack } from './kontext-fixture.ts';

// Alarms, outputs and the AWS Solutions checks (cdk-nag), from one synthesized stack (read-only).

let stack: KontextStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthesizeTestStack());
});

type AlarmProperties = Record<string, unknown> & { Metrics?: { Expression?: string }[] };

function alarm(id: string): AlarmProperties {
  const found = Object.entries(template.findResources('AWS::CloudWatch::Alarm')).find(([logicalId]) => logicalId.startsWith(`Alarms${id}`));
  if (!found) throw new Error(`No alarm ${id}`);
  return found[1].Properties as AlarmProperties;
}

describe('alarms', () => {
  const topic = () => ({ Ref: logicalIdOf(stack.alarms.topic) });

  it('publish to one TLS-only topic, on alarm and on recovery', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    for (const id of ['JobsKontextDevDeadLetters', 'ApiServerErrorRate', 'GpuWorkerErrors', 'MaintenanceErrors']) {
      expect(alarm(id)).toMatchObject({ AlarmActions: [topic()], OKActions: [topic()], TreatMissingData: 'notBreaching' });
    }
  });

  it.each(['JobsKontextDev', 'JobsPreview', 'Webhooks'])('fire on any message in the %s dead-letter queue', (queue) => {
    expect(alarm(`${queue}DeadLetters`)).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
  });

  it('fire when a job waits longer than jobsQueueMaxAgeMinutes', () => {
    for (const queue of ['JobsKontextDev', 'JobsPreview']) {
      expect(alarm(`${queue}OldestMessage`)).toMatchObject({ MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 15 * 60 });
    }
  });

  it('fire on a 5xx rate above 5% over 5 minutes, counted only from 20 requests up', () => {
    const errorRate = alarm('ApiServerErrorRate');
    expect(errorRate).toMatchObject({ Threshold: 5, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1 });
    expect(errorRate.Metrics?.find((metric) => metric.Expression)?.Expression).toBe('IF(requests >= 20, 100 * errors / requests, 0)');
    expect(JSON.stringify(errorRate.Metrics)).toContain('"MetricName":"5xx"');
    expect(JSON.stringify(errorRate.Metrics)).toContain('"Period":300');
  });

  it('count the workers\' "level":"error" lines through a metric filter', () => {
    for (const worker of [stack.gpuWorker, stack.previewWorker]) {
      template.hasResourceProperties('AWS::Logs::MetricFilter', {
        LogGroupName: { Ref: logicalIdOf(worker.logGroup) },
        FilterPattern: '{ $.level = "error" }',
        MetricTransformations: [Match.objectLike({ MetricValue: '1', DefaultValue: 0 })],
      });
    }
    expect(alarm('GpuWorkerErrors')).toMatchObject({ MetricName: 'kontext-dev-worker-error-lines', Namespace: 'Kontext/Kontext', Threshold: 1 });
    expect(alarm('PreviewWorkerErrors')).toMatchObject({ MetricName: 'preview-worker-error-lines' });
  });

  it('fire on failed dispatcher and maintenance invocations', () => {
    expect(alarm('DispatcherErrors')).toMatchObject({
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(stack.dispatcher.handler.function) } }],
    });
    expect(alarm('MaintenanceErrors')).toMatchObject({
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(stack.maintenance.handler.function) } }],
    });
  });

  it('subscribe an email only when alarmEmail is set', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    const { template: withEmail } = synthesizeTestStack({ alarmEmail: 'ops@example.com' });
    withEmail.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });
});

describe('outputs', () => {
  it('give the API, console and execute-api URLs, the admin token secret, the bucket, the weights URI and the alarm topic', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual([
      'AdminTokenSecretArn',
      'AlarmTopicArn',
      'ApiUrl',
      'BucketName',
      'ConsoleUrl',
      'ExecuteApiUrl',
      'ModelWeightsUri',
    ]);
    expect(outputs.AdminTokenSecretArn?.Value).toEqual({ Ref: logicalIdOf(stack.api.adminToken) });
    expect(outputs.ModelWeightsUri?.Value).toEqual({
      'Fn::Join': ['', ['s3://', { Ref: logicalIdOf(stack.storage.bucket) }, '/models/flux-kontext-dev/']],
    });
  });
});

describe('AWS Solutions checks (cdk-nag)', () => {
  function violations(context: Record<string, unknown> = {}) {
    const { app } = buildTestStack(context);
    return new AwsSolutionsChecks(app, { verbose: true }).validateScope(app).violations;
  }

  function describeViolations(found: ReturnType<typeof violations>): string {
    return found.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`).join('\n');
  }

  it('finds no unacknowledged error or warning', () => {
    const found = violations();
    expect(describeViolations(found.filter((v) => v.severity === 'error'))).toBe('');
    expect(describeViolations(found.filter((v) => v.severity === 'warning'))).toBe('');
  });

  it('stays clean with deletion protection off and two NAT gateways', () => {
    expect(describeViolations(violations({ deletionProtection: false, natGateways: 2 }))).toBe('');
  });

  it.each(['kontext/upsampler-key', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:kontext/upsampler-key-AbC123'])(
    'stays clean with the prompt upsampler on and its key read from %s',
    (promptUpsamplerApiKeySecret) => {
      const context = { promptUpsamplerUrl: 'https://llm.example/v1', promptUpsamplerModel: 'gpt-4o-mini', promptUpsamplerApiKeySecret };
      expect(describeViolations(violations(context))).toBe('');
    },
  );

  it('acknowledges each finding with a concrete reason', () => {
    const acknowledged: { id: string; reason: string; path: string }[] = [];
    const visit = (construct: IConstruct) => {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          acknowledged.push({ id, reason, path: construct.node.path });
        }
      }
      for (const child of construct.node.children) visit(child);
    };
    visit(stack);
    const ours = acknowledged.filter((ack) => /AwsSolutions-/.test(ack.id));
    expect(ours.length).toBeGreaterThan(10);
    for (const ack of ours) expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThanOrEqual(60);
  });
});
