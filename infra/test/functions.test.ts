import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KontextStack } from '../src/kontext-stack.ts';
import { allowedActionsOf, allowStatementsOf, logicalIdOf, synthesizeTestStack } from './kontext-fixture.ts';

// The API, the webhook dispatcher, maintenance and the migration function: runtimes, wiring and
// least privilege, from one synthesized stack (read-only).

let stack: KontextStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthesizeTestStack());
});

function functionProperties(construct: Parameters<typeof logicalIdOf>[0]): Record<string, unknown> {
  const resource = template.findResources('AWS::Lambda::Function')[logicalIdOf(construct)];
  if (!resource) throw new Error(`No function ${construct.node.path}`);
  return resource.Properties as Record<string, unknown>;
}

describe('every function of ours', () => {
  it('runs nodejs22.x on x86_64 with index.handler, in the private subnets with egress', () => {
    const privateSubnets = stack.network.vpc.privateSubnets.map((subnet) => ({ Ref: logicalIdOf(subnet) }));
    for (const fn of [stack.api.handler, stack.dispatcher.handler, stack.maintenance.handler, stack.migration.function]) {
      expect(functionProperties(fn.function)).toMatchObject({
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Architectures: ['x86_64'],
        VpcConfig: { SubnetIds: privateSubnets, SecurityGroupIds: [{ 'Fn::GetAtt': [logicalIdOf(fn.securityGroup), 'GroupId'] }] },
        LoggingConfig: { LogGroup: { Ref: logicalIdOf(fn.logGroup) } },
      });
    }
  });

  it('has a role of its own with no managed policies and no wildcard actions', () => {
    const roles = [stack.api.handler, stack.dispatcher.handler, stack.maintenance.handler, stack.migration.function].map((fn) => fn.role);
    expect(new Set(roles.map(logicalIdOf)).size).toBe(4);
    for (const role of roles) {
      expect(template.findResources('AWS::IAM::Role')[logicalIdOf(role)]?.Properties.ManagedPolicyArns).toBeUndefined();
      for (const action of allowedActionsOf(template, role)) expect(action).not.toContain('*');
    }
  });
});

describe('API', () => {
  it('is an HTTP API whose $default route reaches the function with payload 2.0', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [logicalIdOf(stack.api.handler.function), 'Arn'] },
    });
  });

  it('throttles the default stage and writes access logs', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('\\$context.requestId') },
    });
  });

  it('has 1024 MB, 29 s and the environment the handler reads', () => {
    expect(functionProperties(stack.api.handler.function)).toMatchObject({
      MemorySize: 1024,
      Timeout: 29,
      Environment: {
        Variables: {
          DATABASE_SECRET_ARN: { Ref: logicalIdOf(stack.database.cluster.node.findChild('Secret').node.findChild('Attachment')) },
          DATABASE_HOST: { 'Fn::GetAtt': [logicalIdOf(stack.database.proxy), 'Endpoint'] },
          DATABASE_NAME: 'kontext',
          BUCKET_NAME: { Ref: logicalIdOf(stack.storage.bucket) },
          QUEUE_NAME_PREFIX: 'kontext-',
          ADMIN_TOKEN_SECRET_ARN: { Ref: logicalIdOf(stack.api.adminToken) },
          LOG_LEVEL: 'info',
          NODE_OPTIONS: '--enable-source-maps',
          // The distribution in front (same origin as the console); it needs only the API's id, so no cycle.
          PUBLIC_BASE_URL: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalIdOf(stack.consoleSite.distribution), 'DomainName'] }]] },
          ORIGIN_VERIFY_SECRET_ARN: { Ref: logicalIdOf(stack.consoleSite.originVerifySecret) },
          SIGNUP: 'off',
          SIGNUP_CREDITS: '0',
        },
      },
    });
  });

  it('generates an alphanumeric admin token of at least 32 characters', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ PasswordLength: Match.anyValue(), ExcludePunctuation: true }),
    });
    const token = template.findResources('AWS::SecretsManager::Secret')[logicalIdOf(stack.api.adminToken)];
    expect(token?.Properties.GenerateSecretString.PasswordLength).toBeGreaterThanOrEqual(32);
  });

  it('may send to the jobs queues and the webhooks queue (a cancel relays its webhooks), never receive or delete', () => {
    const actions = allowedActionsOf(template, stack.api.handler.role);
    expect([...actions].filter((action) => action.startsWith('sqs:')).sort()).toEqual([
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
    ]);
    const sqsResources = allowStatementsOf(template, stack.api.handler.role)
      .filter((statement) => [statement.Action].flat().includes('sqs:SendMessage'))
      .flatMap((statement) => [statement.Resource].flat());
    expect(sqsResources).toEqual([
      { 'Fn::GetAtt': [logicalIdOf(stack.queues.jobsKontextDev.queue), 'Arn'] },
      { 'Fn::GetAtt': [logicalIdOf(stack.queues.jobsPreview.queue), 'Arn'] },
      { 'Fn::GetAtt': [logicalIdOf(stack.queues.webhooks.queue), 'Arn'] },
    ]);
  });

  it('reads, writes and deletes tenant objects only, and reads both secrets', () => {
    const statements = allowStatementsOf(template, stack.api.handler.role);
    const objectStatement = statements.find((statement) => [statement.Action].flat().includes('s3:PutObject'));
    expect(objectStatement?.Resource).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalIdOf(stack.storage.bucket), 'Arn'] }, '/tenants/*']],
    });
    expect(allowedActionsOf(template, stack.api.handler.role)).toContain('secretsmanager:GetSecretValue');
  });
});

describe('API mail and sign-up', () => {
  const MAIL = { smtpUrlSecret: 'kontext/smtp-url', mailFrom: 'Kontext <no-reply@example.com>' };

  function apiVariables(other: { stack: KontextStack; template: Template }): Record<string, unknown> {
    const resource = other.template.findResources('AWS::Lambda::Function')[logicalIdOf(other.stack.api.handler.function)];
    return (resource?.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
  }

  /** The roles (logical ids) whose inline policies name the SMTP URL's secret. */
  function rolesReading(other: { template: Template }, secretName: string): string[] {
    return Object.values(other.template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.PolicyDocument).includes(secretName))
      .flatMap((policy) => (policy.Properties.Roles as { Ref: string }[]).map((role) => role.Ref));
  }

  it('sends no mail and keeps sign-up closed when unset: no secret, no sender, no grant', () => {
    const variables = apiVariables({ stack, template });
    expect(variables.SMTP_URL_SECRET_ARN).toBeUndefined();
    expect(variables.MAIL_FROM).toBeUndefined();
    expect(variables).toMatchObject({ SIGNUP: 'off', SIGNUP_CREDITS: '0' });
    expect(JSON.stringify(template.toJSON())).not.toContain('smtp');
  });

  it('leaves the template as it is with the blank values cdk.json holds', () => {
    expect(synthesizeTestStack({ smtpUrlSecret: '', mailFrom: '' }).template.toJSON()).toEqual(template.toJSON());
  });

  describe('set, with the secret by name', () => {
    let configured: { stack: KontextStack; template: Template };

    beforeAll(() => {
      configured = synthesizeTestStack({ ...MAIL, signup: 'open', signupCredits: '500' });
    });

    it('gives the API function the secret by ARN (never its value), the sender and sign-up', () => {
      expect(apiVariables(configured)).toMatchObject({
        SMTP_URL_SECRET_ARN: {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':secret:kontext/smtp-url'],
          ],
        },
        MAIL_FROM: 'Kontext <no-reply@example.com>',
        SIGNUP: 'open',
        SIGNUP_CREDITS: '500',
      });
      expect(apiVariables(configured).SMTP_URL).toBeUndefined();
    });

    it('lets the API function read that secret, and no other role', () => {
      const reads = allowStatementsOf(configured.template, configured.stack.api.handler.role).filter((statement) =>
        JSON.stringify(statement.Resource).includes('kontext/smtp-url'),
      );
      expect(reads.flatMap((statement) => [statement.Action].flat())).toContain('secretsmanager:GetSecretValue');
      // A name matches the secret's ARN only with the six-character suffix Secrets Manager appends.
      expect(JSON.stringify(reads.map((statement) => statement.Resource))).toContain(':secret:kontext/smtp-url-??????');
      expect(rolesReading(configured, 'kontext/smtp-url')).toEqual([logicalIdOf(configured.stack.api.handler.role)]);
    });
  });

  it('takes the secret by complete ARN as given, the sender left to the function', () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:kontext/smtp-url-AbC123';
    const other = synthesizeTestStack({ smtpUrlSecret: arn });
    const variables = apiVariables(other);
    expect(variables.SMTP_URL_SECRET_ARN).toBe(arn);
    expect(variables.MAIL_FROM).toBeUndefined();
    expect(rolesReading(other, arn)).toEqual([logicalIdOf(other.stack.api.handler.role)]);
  });
});

describe('webhook dispatcher', () => {
  it('consumes the webhooks queue in batches of 10 with partial batch failures and bounded concurrency', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(stack.queues.webhooks.queue), 'Arn'] },
      FunctionName: { Ref: logicalIdOf(stack.dispatcher.handler.function) },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
    expect(functionProperties(stack.dispatcher.handler.function)).toMatchObject({ Timeout: 60 });
  });

  it('may read tenant objects (to presign) but never write or delete them', () => {
    const actions = allowedActionsOf(template, stack.dispatcher.handler.role);
    expect(actions).toContain('s3:GetObject');
    expect(actions).not.toContain('s3:PutObject');
    expect(actions).not.toContain('s3:DeleteObject');
  });

  it('sends only to the webhooks queue', () => {
    const sendTargets = allowStatementsOf(template, stack.dispatcher.handler.role)
      .filter((statement) => [statement.Action].flat().includes('sqs:SendMessage'))
      .flatMap((statement) => [statement.Resource].flat());
    expect(sendTargets).toEqual([{ 'Fn::GetAtt': [logicalIdOf(stack.queues.webhooks.queue), 'Arn'] }]);
  });
});

describe('maintenance', () => {
  it('runs every minute, one invocation at a time, for up to 5 minutes', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalIdOf(stack.maintenance.handler.function), 'Arn'] } })],
    });
    expect(functionProperties(stack.maintenance.handler.function)).toMatchObject({ Timeout: 300, ReservedConcurrentExecutions: 1 });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
  });

  it('may delete tenant objects but not read or write them, and never consume a queue', () => {
    const actions = allowedActionsOf(template, stack.maintenance.handler.role);
    expect(actions).toContain('s3:DeleteObject');
    expect(actions).not.toContain('s3:GetObject');
    expect(actions).not.toContain('s3:PutObject');
    expect(actions).not.toContain('sqs:ReceiveMessage');
    expect(actions).not.toContain('sqs:DeleteMessage');
  });
});
