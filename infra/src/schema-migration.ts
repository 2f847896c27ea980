import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { CustomResource, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { MIGRATE_LAMBDA_SETTINGS } from '@kontext/settings';
import { Construct } from 'constructs';
import type { Database } from './database.ts';
import { processEnvironment } from './process-environment.ts';
import { arnWildcardFinding } from './nag-findings.ts';
import { ServiceFunction } from './service-function.ts';

export interface SchemaMigrationProps {
  readonly code: lambda.Code;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly database: Database;
  /** The checked-in migrations; their hash makes a deploy with new migrations run them. */
  readonly migrationsDirectory: string;
  readonly logRetention: logs.RetentionDays;
}

/** SHA-256 over every file's path and bytes, in a stable order. */
export function hashDirectory(directory: string): string {
  const hash = createHash('sha256');
  const files = readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
  if (files.length === 0) throw new Error(`No migration files in ${directory}`);
  for (const file of files) {
    hash.update(relative(directory, file).split(sep).join('/'));
    hash.update('\0');
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/**
 * Applies the database migrations during the deploy, from a function that connects to the writer
 * directly (DDL and the advisory lock belong on one real session, not a pooled proxy connection).
 * Whatever needs the schema depends on this resource, so it never starts against an older one.
 */
export class SchemaMigration extends Construct {
  readonly resource: CustomResource;
  readonly function: ServiceFunction;

  constructor(scope: Construct, id: string, props: SchemaMigrationProps) {
    super(scope, id);
    this.function = new ServiceFunction(this, 'Migrate', {
      code: props.code,
      description: 'Kontext schema migrations (CloudFormation custom resource)',
      vpc: props.vpc,
      subnets: props.subnets,
      memorySize: 512,
      // A long migration on a large table must finish inside one invocation.
      timeout: Duration.minutes(10),
      environment: processEnvironment<typeof MIGRATE_LAMBDA_SETTINGS>({
        ...props.database.writerEnvironment,
        // The writer's certificate chains to the RDS CA, which Node does not trust by default:
        // encrypted, not verified (the proxy's certificate, used by everything else, is verified).
        DATABASE_SSL: 'require',
      }),
      logRetention: props.logRetention,
    });
    props.database.allowDirectClient(this.function, 'Schema migrations');
    props.database.grantSecretRead(this.function);

    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.function.function,
      logGroup: new logs.LogGroup(this, 'ProviderLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY }),
    });
    this.resource = new CustomResource(this, 'Migrations', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::KontextSchemaMigrations',
      properties: { MigrationsHash: hashDirectory(props.migrationsDirectory) },
    });
    // The writer must be up, not just the cluster resource created.
    this.resource.node.addDependency(props.database.cluster);

    Validations.of(provider).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "The custom resource framework function (aws-cdk-lib's own) writes its logs with the AWS managed basic execution policy.",
      },
      {
        id: arnWildcardFinding(this.function.function, ':*'),
        reason: 'The framework may invoke any version of the one migration function it fronts (its ARN with a :* qualifier).',
      },
      {
        id: 'AwsSolutions-L1',
        reason: "The custom resource framework function's runtime is chosen and maintained by aws-cdk-lib.",
      },
    );
  }
}
