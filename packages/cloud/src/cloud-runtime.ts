import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { connectDatabase } from '@kontext/db';
import { SqsQueue } from '@kontext/queue';
import { createLogger, createServiceContext, type Logger, type PlatformSettingsInput, type ServiceContext, type ServiceContextOptions } from '@kontext/services';
import { EnvelopeSealer, KmsKeyWrapper } from '@kontext/secrets';
import { S3BlobStore } from '@kontext/storage';
import { kmsClient, s3Client, secretsManagerClient, sqsClient } from './aws-clients.ts';
import { resolveDatabaseUrl } from './database-url.ts';
import type { CloudEnvironment } from './environment.ts';

type Mailer = NonNullable<ServiceContextOptions['mailer']>;

export interface CloudRuntimeOptions {
  /** Shown in logs and pg_stat_activity: api, dispatcher, maintenance, worker. */
  service: string;
  /** The platform settings, or a function that reads what they need from Secrets Manager first. */
  settings?: PlatformSettingsInput | ((secrets: SecretsManagerClient) => Promise<PlatformSettingsInput>);
  /** Listening needs a session of its own; behind RDS Proxy the Lambdas poll instead. */
  jobEventSignals?: ServiceContextOptions['jobEventSignals'];
  log?: Logger;
  /**
   * Where this process sends mail (the API: invitations, password resets); none by default. Or a
   * function that reads what the mailer needs (an SMTP URL's secret) from Secrets Manager first,
   * and gives none when there is nothing to send through.
   */
  mailer?: Mailer | ((secrets: SecretsManagerClient) => Promise<Mailer | undefined>);
}

export interface CloudRuntime {
  ctx: ServiceContext;
  log: Logger;
  close(): Promise<void>;
}

/**
 * The services wired to AWS: Aurora through RDS Proxy, S3 for blobs, SQS for jobs and webhook
 * deliveries. Built once per process (a Lambda's cold start, a container's start) and reused.
 * Jobs reach SQS through the outbox and webhook deliveries are relayed to their queue, since no
 * process here can share a transaction with the queue or listen to the outbox.
 */
export async function openCloudRuntime(env: CloudEnvironment, options: CloudRuntimeOptions): Promise<CloudRuntime> {
  const log = options.log ?? createLogger({ level: env.LOG_LEVEL, base: { service: options.service } });
  let secretsClient: SecretsManagerClient | undefined;
  const secrets = () => {
    secretsClient ??= secretsManagerClient(env);
    return secretsClient;
  };
  const database = connectDatabase(await resolveDatabaseUrl(env, secrets), {
    applicationName: `kontext-${options.service}`,
    maxConnections: env.DATABASE_MAX_CONNECTIONS,
    // RDS Proxy multiplexes connections; named prepared statements would pin each client to one.
    preparedStatements: false,
    // The proxy's InitQuery sets the session timeouts; start-up options would pin connections.
    sessionSettingsAtStartup: false,
  });
  const s3 = s3Client(env);
  const sqs = sqsClient(env);
  const queue = new SqsQueue({ client: sqs, namePrefix: env.QUEUE_NAME_PREFIX });
  const settings = typeof options.settings === 'function' ? await options.settings(secrets()) : (options.settings ?? {});
  const mailer = typeof options.mailer === 'function' ? await options.mailer(secrets()) : options.mailer;
  const kms = env.SECRETS_KMS_KEY_ID ? kmsClient(env) : undefined;
  const ctx = createServiceContext({
    db: database.db,
    storage: new S3BlobStore({ client: s3, bucket: env.BUCKET_NAME, keyPrefix: env.BUCKET_KEY_PREFIX }),
    queue,
    settings: { ...settings, webhooks: { ...settings.webhooks, claimSeconds: env.WEBHOOK_CLAIM_SECONDS } },
    log,
    // SQS is outside the database: jobs go through the outbox, webhook deliveries are relayed.
    queueInJobDatabase: false,
    ...(options.jobEventSignals ? { jobEventSignals: options.jobEventSignals } : {}),
    ...(mailer ? { mailer } : {}),
    // Webhook secrets are sealed under the stack's KMS key.
    ...(kms && env.SECRETS_KMS_KEY_ID ? { secrets: new EnvelopeSealer(new KmsKeyWrapper(kms, env.SECRETS_KMS_KEY_ID)) } : {}),
  });
  return {
    ctx,
    log,
    close: async () => {
      await ctx.jobEvents.close();
      await mailer?.close();
      await queue.close();
      await database.close();
      s3.destroy();
      sqs.destroy();
      kms?.destroy();
      secretsClient?.destroy();
    },
  };
}
