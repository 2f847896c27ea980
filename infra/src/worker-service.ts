import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { EnvironmentOf, WORKER_AWS_SETTINGS } from '@kontext/settings';
import { Construct } from 'constructs';
import { BacklogScaling, type BacklogScalingOptions } from './backlog-scaling.ts';
import type { Database } from './database.ts';
import { processEnvironment, processSecrets } from './process-environment.ts';
import type { QueueWithDeadLetter } from './queues.ts';
import { MODEL_WEIGHTS_PREFIX, type Storage, TENANT_PREFIX } from './storage.ts';

/** Where the worker's health endpoint listens inside the task. */
const HEALTH_PORT = 8080;
/** The worker finishes (or hands back) its job within DRAIN_SECONDS of SIGTERM... */
const DRAIN_SECONDS = 100;
/** ...and ECS waits this long before SIGKILL, leaving the agent 20 s to release its lease. */
const STOP_TIMEOUT = Duration.seconds(120);

/** The GPU service's compute: EC2 instances of the cluster's GPU capacity provider. */
export interface GpuCompute {
  readonly kind: 'gpu';
  readonly capacityProvider: ecs.AsgCapacityProvider;
  /** A soft reservation: the task may use all of the host's memory, but is placed only where this fits. */
  readonly memoryReservationMiB: number;
  /** Host directory where synced weights survive task restarts on the same instance. */
  readonly modelsHostPath: string;
}

/** The preview service's compute: Fargate, x86_64 like the GPU image, so one build serves both. */
export interface FargateCompute {
  readonly kind: 'fargate';
  readonly cpu: number;
  readonly memoryLimitMiB: number;
}

/**
 * The OpenAI-compatible endpoint a worker asks to rewrite a job's prompt before the engine runs it.
 * The workers' security group allows all outbound, so it is reached through the NAT gateway (or
 * inside the VPC, with allowPrivate).
 */
export interface PromptUpsampler {
  readonly url: string;
  readonly model: string;
  /** Unset: the worker's default. */
  readonly timeoutSeconds?: number;
  readonly allowPrivate: boolean;
  /** A secret whose whole string is the key; unset, requests carry no Authorization header. */
  readonly apiKey?: secretsmanager.ISecret;
}

export interface WorkerServiceProps {
  readonly cluster: ecs.ICluster;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly compute: GpuCompute | FargateCompute;
  readonly image: ecs.ContainerImage;
  /** The engine pool whose queue this service consumes (ENGINE_POOL). */
  readonly enginePool: 'kontext-dev' | 'preview';
  readonly engine: 'kontext' | 'preview';
  readonly jobs: QueueWithDeadLetter;
  /** Where the worker relays a job's webhook deliveries right after each state change. */
  readonly webhooks: QueueWithDeadLetter;
  readonly queueNamePrefix: string;
  readonly database: Database;
  readonly storage: Storage;
  readonly maxTasks: number;
  readonly scaling: BacklogScalingOptions;
  /**
   * Grace before failed health checks count. ECS caps it at 300 s; the checks after it (every 30 s,
   * ten retries) add five more minutes, so a task has ten minutes to become healthy.
   */
  readonly healthCheckStartPeriod: Duration;
  readonly logLevel: string;
  readonly logRetention: logs.RetentionDays;
  /** Unset: no PROMPT_UPSAMPLER_* variables, and such jobs read `prompt_upsampling: "unavailable"`. */
  readonly promptUpsampler?: PromptUpsampler;
}

/**
 * One worker service: a task running the worker agent with its engine, consuming one engine pool's
 * jobs queue, scaled on that queue's backlog, with a metric of the error lines it logs.
 */
export class WorkerService extends Construct {
  readonly service: ecs.BaseService;
  readonly taskDefinition: ecs.TaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly securityGroup: ec2.SecurityGroup;
  readonly logGroup: logs.LogGroup;
  /** Count of `"level":"error"` JSON lines, summed over 5 minutes. */
  readonly errorLines: cloudwatch.Metric;
  readonly scaling: BacklogScaling;

  constructor(scope: Construct, id: string, props: WorkerServiceProps) {
    super(scope, id);
    const { compute } = props;
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Kontext ${props.enginePool} worker: outbound to the database proxy, SQS, S3 and ECR; no inbound`,
      allowAllOutbound: true,
    });

    this.taskDefinition =
      compute.kind === 'gpu'
        ? new ecs.Ec2TaskDefinition(this, 'TaskDefinition', { networkMode: ecs.NetworkMode.AWS_VPC })
        : new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
            cpu: compute.cpu,
            memoryLimitMiB: compute.memoryLimitMiB,
            runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
          });

    const modelEnvironment: EnvironmentOf<typeof WORKER_AWS_SETTINGS> =
      compute.kind === 'gpu' ? { MODEL_WEIGHTS_S3_URI: props.storage.modelWeightsUri, MODEL_DIR: '/models' } : {};
    const upsampler = props.promptUpsampler;
    // Only what was given is set, so an unset timeout or switch keeps the worker's own default.
    const upsamplerEnvironment: EnvironmentOf<typeof WORKER_AWS_SETTINGS> =
      upsampler === undefined
        ? {}
        : {
            PROMPT_UPSAMPLER_URL: upsampler.url,
            PROMPT_UPSAMPLER_MODEL: upsampler.model,
            PROMPT_UPSAMPLER_TIMEOUT_SECONDS: upsampler.timeoutSeconds === undefined ? undefined : String(upsampler.timeoutSeconds),
            ALLOW_PRIVATE_PROMPT_UPSAMPLER: upsampler.allowPrivate ? 'true' : undefined,
          };
    this.container = this.taskDefinition.addContainer('Worker', {
      image: props.image,
      essential: true,
      memoryReservationMiB: compute.kind === 'gpu' ? compute.memoryReservationMiB : undefined,
      gpuCount: compute.kind === 'gpu' ? 1 : undefined,
      environment: {
        // Read by no process: the deployment contract's names for what BACKEND=aws selects.
        QUEUE_BACKEND: 'sqs',
        STORAGE_BACKEND: 's3',
        ...processEnvironment<typeof WORKER_AWS_SETTINGS>({
          BACKEND: 'aws',
          AWS_REGION: Stack.of(this).region,
          BUCKET_NAME: props.storage.bucket.bucketName,
          QUEUE_NAME_PREFIX: props.queueNamePrefix,
          ENGINE_POOL: props.enginePool,
          ENGINE: props.engine,
          DATABASE_HOST: props.database.proxy.endpoint,
          DATABASE_NAME: props.database.proxyEnvironment.DATABASE_NAME,
          HEALTH_PORT: String(HEALTH_PORT),
          DRAIN_SECONDS: String(DRAIN_SECONDS),
          LOG_LEVEL: props.logLevel,
          ...modelEnvironment,
          ...upsamplerEnvironment,
        }),
      },
      // ECS reads these at task start with the execution role (addContainer grants it each one),
      // so the values never appear in the template or the task definition.
      secrets: processSecrets<typeof WORKER_AWS_SETTINGS>({
        DATABASE_USERNAME: ecs.Secret.fromSecretsManager(props.database.secret, 'username'),
        DATABASE_PASSWORD: ecs.Secret.fromSecretsManager(props.database.secret, 'password'),
        PROMPT_UPSAMPLER_API_KEY: upsampler?.apiKey === undefined ? undefined : ecs.Secret.fromSecretsManager(upsampler.apiKey),
      }),
      stopTimeout: STOP_TIMEOUT,
      healthCheck: {
        command: [
          'CMD',
          'node',
          '-e',
          `fetch('http://127.0.0.1:${HEALTH_PORT}/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`,
        ],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 10,
        startPeriod: props.healthCheckStartPeriod,
      },
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: props.enginePool }),
    });

    if (compute.kind === 'gpu') {
      this.taskDefinition.addVolume({ name: 'models', host: { sourcePath: compute.modelsHostPath } });
      this.container.addMountPoints({ sourceVolume: 'models', containerPath: '/models', readOnly: false });
    }

    const serviceProps = {
      cluster: props.cluster,
      // The backlog scaling starts tasks; a deploy never starts a GPU instance by itself.
      desiredCount: 0,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
      securityGroups: [this.securityGroup],
      vpcSubnets: props.subnets,
      enableECSManagedTags: true,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    };
    this.service =
      compute.kind === 'gpu'
        ? new ecs.Ec2Service(this, 'Service', {
            ...serviceProps,
            taskDefinition: this.taskDefinition,
            capacityProviderStrategies: [{ capacityProvider: compute.capacityProvider.capacityProviderName, weight: 1 }],
          })
        : new ecs.FargateService(this, 'Service', { ...serviceProps, taskDefinition: this.taskDefinition, assignPublicIp: false });

    props.database.allowClient(this.service, `Kontext ${props.enginePool} worker`);
    props.jobs.grantConsume(this.taskDefinition.taskRole);
    props.webhooks.grantSend(this.taskDefinition.taskRole);
    props.storage.grantObjects(this.taskDefinition.taskRole, [
      // Inputs are read, outputs written, and a superseded attempt's output deleted.
      { prefix: TENANT_PREFIX, actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], list: true },
      ...(compute.kind === 'gpu' ? [{ prefix: MODEL_WEIGHTS_PREFIX, actions: ['s3:GetObject' as const], list: true }] : []),
    ]);

    this.scaling = new BacklogScaling(this, 'Scaling', {
      service: this.service,
      queue: props.jobs.queue,
      maxTasks: props.maxTasks,
      ...props.scaling,
    });

    const errorFilter = new logs.MetricFilter(this, 'ErrorLines', {
      logGroup: this.logGroup,
      filterPattern: logs.FilterPattern.stringValue('$.level', '=', 'error'),
      metricNamespace: `Kontext/${Stack.of(this).stackName}`,
      metricName: `${props.enginePool}-worker-error-lines`,
      metricValue: '1',
      defaultValue: 0,
    });
    this.errorLines = errorFilter.metric({ statistic: 'Sum', period: Duration.minutes(5) });

    Validations.of(this.taskDefinition).acknowledge(
      {
        id: 'AwsSolutions-ECS2',
        reason:
          'The environment holds only non-secret configuration (queue prefix, bucket, pool, proxy host, upsampler URL and model); the database credentials and the upsampler key come from Secrets Manager as ECS secrets.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: "The execution role's ecr:GetAuthorizationToken has no resource-level permission (image pulls are limited to the asset repository).",
      },
    );
  }
}
