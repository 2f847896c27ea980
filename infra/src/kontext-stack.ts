import { join } from 'node:path';
import { CfnOutput, Duration, Lazy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { Alarms } from './alarms.ts';
import { Api } from './api.ts';
import type { BacklogScalingOptions } from './backlog-scaling.ts';
import { CONSOLE_PATH, ConsoleSite } from './console-site.ts';
import { Database } from './database.ts';
import { type LambdaName, REPO_ROOT } from './lambda-bundles.ts';
import { Maintenance } from './maintenance.ts';
import { stackSlug } from './naming.ts';
import { Network } from './network.ts';
import type { KontextParameters, SecretReference } from './parameters.ts';
import { Queues, queueNamePrefix } from './queues.ts';
import { SchemaMigration } from './schema-migration.ts';
import { SecretKey } from './secret-key.ts';
import { Storage } from './storage.ts';
import { DISPATCHER_TIMEOUT, WebhookDispatcher } from './webhook-dispatcher.ts';
import { MODELS_HOST_PATH, WorkerCluster } from './worker-cluster.ts';
import type { WorkerImages } from './worker-images.ts';
import { type PromptUpsampler, WorkerService } from './worker-service.ts';

/**
 * GPU workers: a Kontext edit takes tens of seconds on one GPU, while a task on a fresh instance
 * needs several minutes (boot, a multi-GB image pull, the weights sync, the model load). Capacity
 * is added once three jobs wait per running task (faster with a deeper queue), new tasks get five
 * minutes to arrive before more are asked for, and a GPU is given back after 15 idle minutes.
 */
export const GPU_SCALING: BacklogScalingOptions = {
  scaleOutSteps: [
    { backlogPerTask: 3, addTasks: 1 },
    { backlogPerTask: 10, addTasks: 2 },
    { backlogPerTask: 25, addTasks: 4 },
  ],
  scaleOutCooldown: Duration.minutes(5),
  scaleInAfter: Duration.minutes(15),
  scaleInCooldown: Duration.minutes(5),
};

/**
 * Preview workers: Fargate starts a task in about a minute and a preview job takes well under a
 * second, so a second task only pays for a real backlog, and an idle one costs little to keep.
 */
export const PREVIEW_SCALING: BacklogScalingOptions = {
  scaleOutSteps: [{ backlogPerTask: 20, addTasks: 1 }],
  scaleOutCooldown: Duration.minutes(2),
  scaleInAfter: Duration.minutes(15),
  scaleInCooldown: Duration.minutes(5),
};

/**
 * An existing secret, imported so that ECS (or a function's GetSecretValue) gets a value it can
 * resolve: a complete ARN as given, a name as a partial ARN (the parameters refuse names that would
 * look like a complete one).
 */
function importSecret(scope: Construct, id: string, reference: SecretReference): secretsmanager.ISecret {
  return reference.kind === 'arn'
    ? secretsmanager.Secret.fromSecretCompleteArn(scope, id, reference.arn)
    : secretsmanager.Secret.fromSecretNameV2(scope, id, reference.name);
}

export interface KontextStackProps extends StackProps {
  readonly parameters: KontextParameters;
  /** The four functions' code: real bundles from the app, dummy assets in template tests. */
  readonly lambdaCode: Readonly<Record<LambdaName, lambda.Code>>;
  readonly workerImages: WorkerImages;
  /** The built console (packages/console/dist): `Source.asset` of it from the app, a fixture in template tests. */
  readonly consoleAssets: s3deploy.ISource;
  /** Hashed so that a deploy with new migrations re-runs them; default packages/db/migrations. */
  readonly migrationsDirectory?: string;
}

/** The whole platform on AWS: network, data, queues, API and console, dispatcher, maintenance, workers, alarms. */
export class KontextStack extends Stack {
  readonly network: Network;
  readonly storage: Storage;
  readonly secretKey: SecretKey;
  readonly queues: Queues;
  readonly database: Database;
  readonly migration: SchemaMigration;
  readonly consoleSite: ConsoleSite;
  readonly api: Api;
  readonly dispatcher: WebhookDispatcher;
  readonly maintenance: Maintenance;
  readonly workers: WorkerCluster;
  readonly gpuWorker: WorkerService;
  readonly previewWorker: WorkerService;
  readonly alarms: Alarms;

  constructor(scope: Construct, id: string, props: KontextStackProps) {
    super(scope, id, { description: 'FLUX.1 Kontext API platform', ...props });
    const p = props.parameters;
    const logRetention = p.logRetentionDays;

    this.alarms = new Alarms(this, 'Alarms', { email: p.alarmEmail });
    this.network = new Network(this, 'Network', { natGateways: p.natGateways, logRetention });
    const { vpc, appSubnets } = this.network;
    this.storage = new Storage(this, 'Storage', { tenantObjectsExpireDays: p.tenantObjectsExpireDays, accessLogDays: 90 });
    this.queues = new Queues(this, 'Queues', { queueNamePrefix: queueNamePrefix(this.stackName), dispatcherTimeout: DISPATCHER_TIMEOUT });
    this.database = new Database(this, 'Database', {
      clusterIdentifier: `${stackSlug(this.stackName)}-database`,
      vpc,
      subnets: this.network.databaseSubnets,
      minCapacityAcu: p.auroraMinAcu,
      maxCapacityAcu: p.auroraMaxAcu,
      deletionProtection: p.deletionProtection,
      backupRetentionDays: p.backupRetentionDays,
      logRetention,
    });
    // In subnets with egress: the writer is in isolated subnets, Secrets Manager behind the NAT.
    this.migration = new SchemaMigration(this, 'SchemaMigration', {
      code: props.lambdaCode.migrate,
      vpc,
      subnets: appSubnets,
      database: this.database,
      migrationsDirectory: props.migrationsDirectory ?? join(REPO_ROOT, 'packages', 'db', 'migrations'),
      logRetention,
    });

    this.secretKey = new SecretKey(this, 'SecretKey');
    const shared = {
      secretKey: this.secretKey,
      vpc,
      subnets: appSubnets,
      database: this.database,
      storage: this.storage,
      queues: this.queues,
      logLevel: p.logLevel,
      logRetention,
    };
    // The distribution fronts the HTTP API, and the API function is given the distribution's URL:
    // the site comes first and reads the API's name when the template is written. The template has
    // no cycle: the HttpApi resource depends on neither its routes nor the function.
    this.consoleSite = new ConsoleSite(this, 'Console', {
      assets: props.consoleAssets,
      apiDomainName: Lazy.string({ produce: () => this.api.executeApiDomainName }),
      serverAccessLogsBucket: this.storage.accessLogBucket,
      accessLogDays: 90,
      logRetention,
    });
    this.api = new Api(this, 'Api', {
      ...shared,
      code: props.lambdaCode.api,
      throttleRateLimit: p.apiThrottleRateLimit,
      throttleBurstLimit: p.apiThrottleBurstLimit,
      publicBaseUrl: this.consoleSite.url,
      originVerifySecret: this.consoleSite.originVerifySecret,
      // Unset, nothing is imported and the function sends no mail.
      mail: p.mail && { smtpUrlSecret: importSecret(this, 'SmtpUrl', p.mail.smtpUrlSecret), from: p.mail.from },
      signup: p.signup,
      signupCredits: p.signupCredits,
    });
    this.dispatcher = new WebhookDispatcher(this, 'WebhookDispatcher', {
      ...shared,
      code: props.lambdaCode.dispatcher,
      maxConcurrency: p.dispatcherMaxConcurrency,
    });
    this.maintenance = new Maintenance(this, 'Maintenance', { ...shared, code: props.lambdaCode.maintenance });

    this.workers = new WorkerCluster(this, 'Workers', {
      vpc,
      subnets: appSubnets,
      gpuInstanceType: p.gpuInstanceType,
      gpuMaxInstances: p.gpuMaxInstances,
      gpuRootVolumeGiB: 200,
      scalingNotifications: this.alarms.topic,
    });
    const upsampler = p.promptUpsampler;
    // Imported once, for both worker services; unset, nothing is added to the template.
    const promptUpsampler: PromptUpsampler | undefined = upsampler && {
      url: upsampler.url,
      model: upsampler.model,
      timeoutSeconds: upsampler.timeoutSeconds,
      allowPrivate: upsampler.allowPrivate,
      apiKey: upsampler.apiKeySecret && importSecret(this, 'PromptUpsamplerApiKey', upsampler.apiKeySecret),
    };
    const workerShared = {
      cluster: this.workers.cluster,
      vpc,
      subnets: appSubnets,
      queueNamePrefix: this.queues.queueNamePrefix,
      webhooks: this.queues.webhooks,
      database: this.database,
      storage: this.storage,
      logLevel: p.logLevel,
      logRetention,
      promptUpsampler,
    };
    this.gpuWorker = new WorkerService(this, 'GpuWorker', {
      ...workerShared,
      compute: {
        kind: 'gpu',
        capacityProvider: this.workers.gpuCapacityProvider,
        memoryReservationMiB: 8192,
        modelsHostPath: MODELS_HOST_PATH,
      },
      image: props.workerImages.gpu,
      enginePool: 'kontext-dev',
      engine: 'kontext',
      jobs: this.queues.jobsKontextDev,
      maxTasks: p.gpuWorkerMaxTasks,
      scaling: GPU_SCALING,
      // The most ECS allows; with ten 30-second retries after it, the first model load gets ten minutes.
      healthCheckStartPeriod: Duration.seconds(300),
    });
    this.previewWorker = new WorkerService(this, 'PreviewWorker', {
      ...workerShared,
      compute: { kind: 'fargate', cpu: 1024, memoryLimitMiB: 2048 },
      image: props.workerImages.preview,
      enginePool: 'preview',
      engine: 'preview',
      jobs: this.queues.jobsPreview,
      maxTasks: p.previewWorkerMaxTasks,
      scaling: PREVIEW_SCALING,
      healthCheckStartPeriod: Duration.seconds(60),
    });

    // Nothing that reads or writes the schema starts before the migrations ran.
    for (const dependent of [
      this.api.handler.function,
      this.dispatcher.handler.function,
      this.maintenance.handler.function,
      this.gpuWorker.service,
      this.previewWorker.service,
    ]) {
      dependent.node.addDependency(this.migration.resource);
    }

    // The API serves the console's page, which names the hashed files of its build: a new page is
    // served only once they are in the console bucket (older ones stay there: prune is off).
    this.api.handler.function.node.addDependency(this.consoleSite.assetDeployment);

    for (const queue of this.queues.all) this.alarms.deadLetters(`${queue.node.id}DeadLetters`, queue);
    for (const queue of this.queues.jobQueues) {
      this.alarms.oldestMessage(`${queue.node.id}OldestMessage`, queue, Duration.minutes(p.jobsQueueMaxAgeMinutes));
    }
    this.alarms.apiServerErrorRate('ApiServerErrorRate', this.api.httpApi, {
      percent: p.api5xxRatePercent,
      minRequests: p.api5xxMinRequests,
    });
    this.alarms.workerErrors('GpuWorkerErrors', this.gpuWorker.errorLines, 'The GPU worker logged error lines');
    this.alarms.workerErrors('PreviewWorkerErrors', this.previewWorker.errorLines, 'The preview worker logged error lines');
    this.alarms.functionErrors('DispatcherErrors', this.dispatcher.handler.function, 'Webhook dispatcher invocations failed');
    this.alarms.functionErrors('MaintenanceErrors', this.maintenance.handler.function, 'Maintenance invocations failed');

    new CfnOutput(this, 'ApiUrl', {
      value: this.api.url,
      description: 'Base URL of the API, through CloudFront (BFL clients: use it as the base URL)',
    });
    new CfnOutput(this, 'ConsoleUrl', { value: `${this.api.url}${CONSOLE_PATH}/`, description: 'The web console, on the same origin as the API' });
    new CfnOutput(this, 'ExecuteApiUrl', {
      value: this.api.executeApiUrl,
      description: "The HTTP API's own endpoint, for operators: no console, and client addresses are CloudFront's",
    });
    new CfnOutput(this, 'AdminTokenSecretArn', {
      value: this.api.adminToken.secretArn,
      description: 'The operator token: aws secretsmanager get-secret-value --secret-id <this ARN>',
    });
    new CfnOutput(this, 'BucketName', { value: this.storage.bucket.bucketName, description: 'Images and model weights' });
    new CfnOutput(this, 'ModelWeightsUri', {
      value: this.storage.modelWeightsUri,
      description: 'Upload the FLUX.1 Kontext [dev] weights here before the first GPU job',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn, description: 'Alarms and GPU instance events' });
  }
}
