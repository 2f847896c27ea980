import { DEFAULT_MODEL_CATALOG, jobQueueName, PREVIEW_ENGINE_POOL, WEBHOOKS_QUEUE } from '@kontext/core';
import { SESSION_SETTINGS_SQL } from '@kontext/db';
import { deadLetterQueueName, sqsQueueName } from '@kontext/queue';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KontextStack } from '../src/kontext-stack.ts';
import { QUEUE_LOGICAL_NAMES, queueNamePrefix } from '../src/queues.ts';
import { logicalIdOf, synthesizeTestStack } from './kontext-fixture.ts';

// Network, storage, queues and the database, from one synthesized stack (read-only).

let stack: KontextStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthesizeTestStack());
});

describe('network', () => {
  it('spans two AZs with public, egress and isolated subnets and one NAT gateway by default', () => {
    template.resourceCountIs('AWS::EC2::Subnet', 6);
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    const subnetTypes = Object.values(template.findResources('AWS::EC2::Subnet')).map(
      (subnet) => (subnet.Properties.Tags as { Key: string; Value: string }[]).find((tag) => tag.Key === 'aws-cdk:subnet-type')?.Value,
    );
    expect(subnetTypes.sort()).toEqual(['Isolated', 'Isolated', 'Private', 'Private', 'Public', 'Public']);
  });

  it('has an S3 gateway endpoint and no interface endpoints', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp('\\.s3$')])]) }),
    });
    expect(Object.keys(template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }))).toHaveLength(0);
  });

  it('logs rejected flows to CloudWatch', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT', LogDestinationType: 'cloud-watch-logs' });
  });
});

describe('storage', () => {
  it('blocks all public access, encrypts, and logs access to a separate bucket', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LoggingConfiguration: { DestinationBucketName: { Ref: logicalIdOf(stack.storage.accessLogBucket) } },
    });
  });

  it('denies every request that is not TLS, on both buckets', () => {
    for (const bucket of [stack.storage.bucket, stack.storage.accessLogBucket]) {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logicalIdOf(bucket) },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('expires tenants/ objects after 400 days as a backstop, aborts stale uploads, and never expires models/', () => {
    const images = template.findResources('AWS::S3::Bucket')[logicalIdOf(stack.storage.bucket)];
    const rules = images?.Properties.LifecycleConfiguration.Rules as Record<string, unknown>[];
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Prefix: 'tenants/', ExpirationInDays: 400, Status: 'Enabled' }),
        expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }),
      ]),
    );
    expect(rules.filter((rule) => 'ExpirationInDays' in rule).map((rule) => rule.Prefix)).toEqual(['tenants/']);
    expect(images?.Properties.VersioningConfiguration).toBeUndefined();
  });

  it('takes the backstop from context', () => {
    const { stack: other, template: otherTemplate } = synthesizeTestStack({ tenantObjectsExpireDays: '730' });
    const images = otherTemplate.findResources('AWS::S3::Bucket')[logicalIdOf(other.storage.bucket)];
    expect(images?.Properties.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([expect.objectContaining({ Prefix: 'tenants/', ExpirationInDays: 730 })]),
    );
  });
});

describe('queues', () => {
  const prefix = queueNamePrefix('Kontext');

  it('derives one prefix per stack that keeps every name within 80 characters', () => {
    expect(prefix).toBe('kontext-');
    expect(queueNamePrefix('My_Stack.Prod')).toBe('my-stack-prod-');
    expect(() => queueNamePrefix('x'.repeat(70))).toThrow(/80 characters/);
  });

  it('names exactly the queues the code sends to and receives from (infra imports none of it)', () => {
    const pools = new Set([...DEFAULT_MODEL_CATALOG.map((profile) => profile.enginePool), PREVIEW_ENGINE_POOL]);
    expect([...QUEUE_LOGICAL_NAMES].sort()).toEqual([...[...pools].map(jobQueueName), WEBHOOKS_QUEUE].sort());
    for (const logicalName of QUEUE_LOGICAL_NAMES) {
      expect(`${prefix}${logicalName}`).toBe(sqsQueueName(logicalName, prefix));
      expect(`${prefix}${logicalName}-dlq`).toBe(sqsQueueName(deadLetterQueueName(logicalName), prefix));
    }
  });

  it.each(QUEUE_LOGICAL_NAMES)('%s has a dead-letter queue, SSE and TLS-only access', (logicalName) => {
    const queues = template.findResources('AWS::SQS::Queue');
    const [queueId, queue] = Object.entries(queues).find(([, q]) => q.Properties.QueueName === `${prefix}${logicalName}`) ?? [];
    const [dlqId, dlq] = Object.entries(queues).find(([, q]) => q.Properties.QueueName === `${prefix}${logicalName}-dlq`) ?? [];
    expect(queueId, `queue ${prefix}${logicalName}`).toBeDefined();
    expect(dlqId, `queue ${prefix}${logicalName}-dlq`).toBeDefined();
    expect(queue?.Properties.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 5 });
    expect(queue?.Properties.SqsManagedSseEnabled).toBe(true);
    expect(dlq?.Properties.SqsManagedSseEnabled).toBe(true);
    expect(dlq?.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    for (const id of [queueId, dlqId]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('gives jobs 120 s of visibility between heartbeats and the webhooks queue six times the dispatcher timeout', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: `${prefix}jobs-kontext-dev`, VisibilityTimeout: 120 });
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: `${prefix}jobs-preview`, VisibilityTimeout: 120 });
    const dispatcher = template.findResources('AWS::Lambda::Function')[logicalIdOf(stack.dispatcher.handler.function)];
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: `${prefix}webhooks`,
      VisibilityTimeout: (dispatcher?.Properties.Timeout as number) * 6,
    });
  });
});

describe('the key that seals webhook secrets', () => {
  it('rotates yearly, outlives the stack, and is named to the functions that seal and open secrets', () => {
    const keyId = logicalIdOf(stack.secretKey.key);
    const key = template.findResources('AWS::KMS::Key')[keyId];
    expect(key?.Properties.EnableKeyRotation).toBe(true);
    expect(key?.DeletionPolicy).toBe('Retain');
    const keyArn = { 'Fn::GetAtt': [keyId, 'Arn'] };
    for (const service of [stack.api.handler, stack.dispatcher.handler, stack.maintenance.handler]) {
      const fn = template.findResources('AWS::Lambda::Function')[logicalIdOf(service.function)];
      expect(fn?.Properties.Environment.Variables.SECRETS_KMS_KEY_ID).toEqual(keyArn);
    }
  });

  it('lets the API and maintenance seal and open, the dispatcher only open, and nothing else use it', () => {
    const keyArn = JSON.stringify({ 'Fn::GetAtt': [logicalIdOf(stack.secretKey.key), 'Arn'] });
    const grants = new Map<string, string[]>();
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      const statements = policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[];
      for (const statement of statements.filter((s) => JSON.stringify(s.Resource) === keyArn)) {
        for (const role of policy.Properties.Roles as { Ref: string }[]) {
          grants.set(role.Ref, [...(grants.get(role.Ref) ?? []), ...[statement.Action].flat()].sort());
        }
      }
    }
    expect(Object.fromEntries(grants)).toEqual({
      [logicalIdOf(stack.api.handler.role)]: ['kms:Decrypt', 'kms:GenerateDataKey'],
      [logicalIdOf(stack.maintenance.handler.role)]: ['kms:Decrypt', 'kms:GenerateDataKey'],
      [logicalIdOf(stack.dispatcher.handler.role)]: ['kms:Decrypt'],
    });
  });
});

describe('database', () => {
  it('is Aurora Serverless v2 PostgreSQL 16, encrypted, protected, with IAM auth and backups', () => {
    template.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      EngineVersion: Match.stringLikeRegexp('^16\\.'),
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 },
      StorageEncrypted: true,
      DeletionProtection: true,
      EnableIAMDatabaseAuthentication: true,
      BackupRetentionPeriod: 7,
      DatabaseName: 'kontext',
      EnableCloudwatchLogsExports: ['postgresql'],
    });
    template.hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceClass: 'db.serverless', PubliclyAccessible: false });
  });

  it('keeps the cluster and its proxy in the isolated subnets', () => {
    const isolated = stack.network.vpc.isolatedSubnets.map((subnet) => ({ Ref: logicalIdOf(subnet) }));
    const subnetGroups = Object.values(template.findResources('AWS::RDS::DBSubnetGroup'));
    expect(subnetGroups.map((group) => group.Properties.SubnetIds)).toEqual([isolated]);
    template.hasResourceProperties('AWS::RDS::DBProxy', { VpcSubnetIds: isolated });
  });

  it("sets the database package's session timeouts on every proxied connection", () => {
    template.hasResourceProperties('AWS::RDS::DBProxyTargetGroup', {
      ConnectionPoolConfigurationInfo: Match.objectLike({ InitQuery: SESSION_SETTINGS_SQL }),
    });
  });

  it('requires TLS at the proxy and admits only our functions and workers', () => {
    template.hasResourceProperties('AWS::RDS::DBProxy', { RequireTLS: true, EngineFamily: 'POSTGRESQL' });
    const proxyGroup = logicalIdOf(stack.database.proxySecurityGroup);
    const clients = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .filter((rule) => JSON.stringify(rule.Properties.GroupId) === JSON.stringify({ 'Fn::GetAtt': [proxyGroup, 'GroupId'] }))
      .map((rule) => (rule.Properties.SourceSecurityGroupId as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]);
    expect(clients.sort()).toEqual(
      [
        stack.api.handler.securityGroup,
        stack.dispatcher.handler.securityGroup,
        stack.maintenance.handler.securityGroup,
        stack.gpuWorker.securityGroup,
        stack.previewWorker.securityGroup,
      ]
        .map(logicalIdOf)
        .sort(),
    );
    const proxyIngress = template.findResources('AWS::EC2::SecurityGroup')[proxyGroup]?.Properties.SecurityGroupIngress;
    expect(proxyIngress).toBeUndefined();
  });

  it('takes the ACU range and deletion protection from context', () => {
    const { template: other } = synthesizeTestStack({ auroraMinAcu: '0', auroraMaxAcu: '16', deletionProtection: 'false' });
    other.hasResourceProperties('AWS::RDS::DBCluster', {
      ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 16 },
      DeletionProtection: false,
    });
  });

  it('runs the migrations as a custom resource keyed by a hash of the migration files, before anything uses the schema', () => {
    const migrations = template.findResources('Custom::KontextSchemaMigrations');
    const [migrationId, migration] = Object.entries(migrations)[0] ?? [];
    expect(migration?.Properties.MigrationsHash).toMatch(/^[0-9a-f]{64}$/);
    expect(migration?.DependsOn).toEqual(expect.arrayContaining([logicalIdOf(stack.database.cluster.node.findChild('Writer'))]));
    const dependents = [
      stack.api.handler.function,
      stack.dispatcher.handler.function,
      stack.maintenance.handler.function,
      stack.gpuWorker.service,
      stack.previewWorker.service,
    ];
    const resources = template.toJSON().Resources as Record<string, { DependsOn?: string[] }>;
    for (const dependent of dependents) expect(resources[logicalIdOf(dependent)]?.DependsOn).toContain(migrationId);
  });

  it('points the migration function at the writer, not the proxy', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('schema migrations'),
      Environment: {
        Variables: Match.objectLike({
          DATABASE_HOST: { 'Fn::GetAtt': [logicalIdOf(stack.database.cluster), 'Endpoint.Address'] },
          DATABASE_NAME: 'kontext',
        }),
      },
    });
  });
});
