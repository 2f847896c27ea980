import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { API_LAMBDA_SETTINGS } from '@kontext/settings';
import { Construct } from 'constructs';
import type { Database } from './database.ts';
import { processEnvironment } from './process-environment.ts';
import type { Queues } from './queues.ts';
import type { SecretKey } from './secret-key.ts';
import { ServiceFunction } from './service-function.ts';
import { type Storage, TENANT_PREFIX } from './storage.ts';

export interface ApiProps {
  readonly code: lambda.Code;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly database: Database;
  readonly storage: Storage;
  readonly queues: Queues;
  readonly secretKey: SecretKey;
  /** Steady requests per second across the whole stage (API Gateway's token bucket refill). */
  readonly throttleRateLimit: number;
  /** Requests the stage absorbs at once above the steady rate. */
  readonly throttleBurstLimit: number;
  readonly logLevel: string;
  readonly logRetention: logs.RetentionDays;
  /**
   * The base URL clients reach the API at (PUBLIC_BASE_URL: polling and sample URLs, the origin
   * browser requests must come from); default: the execute-api URL.
   */
  readonly publicBaseUrl?: string;
  /**
   * The secret a CDN in front sends as X-Origin-Verify: handed to the function by ARN
   * (ORIGIN_VERIFY_SECRET_ARN), so it believes CloudFront-Viewer-Address only on requests with it.
   */
  readonly originVerifySecret?: secretsmanager.ISecret;
  /** Mail (invitations, password resets); none without it. */
  readonly mail?: ApiMail;
  /** SIGNUP: `open`, anyone may sign up at /console; `off`, by invitation only. */
  readonly signup: 'off' | 'open';
  /** SIGNUP_CREDITS: a signed-up tenant's opening credit grant. */
  readonly signupCredits: number;
}

export interface ApiMail {
  /**
   * The existing secret whose plain string is the SMTP URL: handed to the function by ARN
   * (SMTP_URL_SECRET_ARN) and read at cold start, so the password is never in the template.
   */
  readonly smtpUrlSecret: secretsmanager.ISecret;
  /** MAIL_FROM, the sender; unset, the function's default. */
  readonly from?: string;
}

/**
 * The public HTTP API: API Gateway (HTTP API, payload 2.0) in front of the Hono app on Lambda, which
 * authenticates every request itself (API keys hashed in Postgres, the operator token).
 */
export class Api extends Construct {
  readonly httpApi: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly handler: ServiceFunction;
  readonly adminToken: secretsmanager.Secret;
  /** <api id>.execute-api.<region>.<suffix>: the HTTP API's own name, a CDN's origin. */
  readonly executeApiDomainName: string;
  /** https://<executeApiDomainName>, the API's endpoint without anything in front. */
  readonly executeApiUrl: string;
  /** The public base URL (publicBaseUrl, or else the execute-api URL): polling and sample URLs. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.adminToken = new secretsmanager.Secret(this, 'AdminToken', {
      description: 'Kontext operator API token (Authorization: Bearer on /admin/v1)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
    });
    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: 'FLUX.1 Kontext API',
      // The stage below replaces the default one, to carry throttling and access logs.
      createDefaultStage: false,
    });
    // Built from the API id alone: the integration's URL would make the function depend on itself.
    this.executeApiDomainName = `${this.httpApi.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`;
    this.executeApiUrl = `https://${this.executeApiDomainName}`;
    this.url = props.publicBaseUrl ?? this.executeApiUrl;

    this.handler = new ServiceFunction(this, 'Handler', {
      code: props.code,
      description: 'Kontext HTTP API',
      vpc: props.vpc,
      subnets: props.subnets,
      // sharp decodes up to 20-megapixel inputs; memory also buys the CPU that decoding needs.
      memorySize: 1024,
      // API Gateway ends every request at 29 seconds, so running longer would be wasted.
      timeout: Duration.seconds(29),
      environment: processEnvironment<typeof API_LAMBDA_SETTINGS>({
        ...props.database.proxyEnvironment,
        BUCKET_NAME: props.storage.bucket.bucketName,
        QUEUE_NAME_PREFIX: props.queues.queueNamePrefix,
        PUBLIC_BASE_URL: this.url,
        ADMIN_TOKEN_SECRET_ARN: this.adminToken.secretArn,
        ORIGIN_VERIFY_SECRET_ARN: props.originVerifySecret?.secretArn,
        SMTP_URL_SECRET_ARN: props.mail?.smtpUrlSecret.secretArn,
        MAIL_FROM: props.mail?.from,
        SIGNUP: props.signup,
        SIGNUP_CREDITS: String(props.signupCredits),
        ...props.secretKey.environment,
        LOG_LEVEL: props.logLevel,
      }),
      logRetention: props.logRetention,
    });
    props.database.allowClient(this.handler, 'Kontext HTTP API');
    props.database.grantSecretRead(this.handler);
    this.adminToken.grantRead(this.handler);
    props.originVerifySecret?.grantRead(this.handler);
    // The API function alone sends mail, so it alone may read the SMTP URL.
    props.mail?.smtpUrlSecret.grantRead(this.handler);
    // Seals the secrets of new endpoints and submits; opens a parent job's for a continued edit.
    props.secretKey.grantSealAndOpen(this.handler);
    props.storage.grantObjects(this.handler, [
      { prefix: TENANT_PREFIX, actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], list: true },
    ]);
    for (const jobs of props.queues.jobQueues) jobs.grantSend(this.handler);
    // A cancel relays its webhook deliveries right after the commit (maintenance catches lost sends).
    props.queues.webhooks.grantSend(this.handler);

    const defaultRoute = new apigwv2.HttpRoute(this, 'DefaultRoute', {
      httpApi: this.httpApi,
      routeKey: apigwv2.HttpRouteKey.DEFAULT,
      integration: new HttpLambdaIntegration('Handler', this.handler.function, {
        payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      }),
    });

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRateLimit, burstLimit: props.throttleBurstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        // No headers or query strings: API keys travel in headers, and ids in URLs are enough to trace.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            method: '$context.httpMethod',
            path: '$context.path',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });

    Validations.of(defaultRoute).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        "Authentication is the application's: API keys (x-key or Bearer) are verified against their SHA-256 in Postgres and the operator token in constant time, with BFL-compatible 401/403 bodies an API Gateway authorizer cannot produce; /docs, /openapi.json, /health, the console's page (/console: it signs in through the API) and signed blob URLs are public by design.",
    });
    Validations.of(this.adminToken).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The operator token is a credential people hold; a rotation function could not hand the new value to them, so it is rotated by hand with put-secret-value; API instances read it when they start.',
    });
  }
}
