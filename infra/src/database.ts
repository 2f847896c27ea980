import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { EnvironmentOf, MIGRATE_LAMBDA_SETTINGS } from '@kontext/settings';
import { Construct } from 'constructs';

export const DATABASE_NAME = 'kontext';
/** RDS Proxy listens on PostgreSQL's port whatever the cluster's. */
const POSTGRES_PORT = 5432;

export interface DatabaseProps {
  /** Unique in the account and region: lowercase letters, digits and hyphens, at most 63 characters. */
  readonly clusterIdentifier: string;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  /**
   * 0.5 ACU by default. 0 is allowed (Aurora PostgreSQL 16.3+ auto-pause) but buys nothing here:
   * an instance pauses only after 5 minutes without connections, and the maintenance function
   * connects every minute (and the proxy keeps its pool open), so it would never pause.
   */
  readonly minCapacityAcu: number;
  readonly maxCapacityAcu: number;
  readonly deletionProtection: boolean;
  readonly backupRetentionDays: number;
  readonly logRetention: logs.RetentionDays;
}

/** Connection settings every database client gets; the password stays in the secret. */
export type DatabaseEnvironment = Required<Pick<EnvironmentOf<typeof MIGRATE_LAMBDA_SETTINGS>, 'DATABASE_SECRET_ARN' | 'DATABASE_HOST' | 'DATABASE_NAME'>>;

/**
 * Aurora Serverless v2 PostgreSQL in the isolated subnets, reached through an RDS Proxy that only
 * TLS clients from the security groups allowed here can reach. The proxy pools connections, so a
 * burst of Lambda instances does not exhaust max_connections of a small-ACU writer.
 */
export class Database extends Construct {
  readonly cluster: rds.DatabaseCluster;
  readonly proxy: rds.DatabaseProxy;
  readonly secret: secretsmanager.ISecret;
  readonly proxySecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    // Named, so the exported PostgreSQL log group can be created here with its retention; otherwise
    // CDK would add a log-retention Lambda (and its broad role) just to set it.
    const { clusterIdentifier } = props;
    const postgresLogs = new logs.LogGroup(this, 'PostgresLogs', {
      logGroupName: `/aws/rds/cluster/${clusterIdentifier}/postgresql`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_11 }),
      credentials: rds.Credentials.fromGeneratedSecret('kontext_admin'),
      defaultDatabaseName: DATABASE_NAME,
      writer: rds.ClusterInstance.serverlessV2('Writer', { autoMinorVersionUpgrade: true }),
      serverlessV2MinCapacity: props.minCapacityAcu,
      serverlessV2MaxCapacity: props.maxCapacityAcu,
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      storageEncrypted: true,
      iamAuthentication: true,
      deletionProtection: props.deletionProtection,
      backup: { retention: Duration.days(props.backupRetentionDays) },
      clusterIdentifier,
      cloudwatchLogsExports: ['postgresql'],
      removalPolicy: props.deletionProtection ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
    });
    this.cluster.node.addDependency(postgresLogs);
    if (!this.cluster.secret) throw new Error('The Aurora cluster was created without its generated secret');
    this.secret = this.cluster.secret;
    this.proxySecurityGroup = new ec2.SecurityGroup(this, 'ProxySecurityGroup', {
      vpc: props.vpc,
      description: 'RDS Proxy: PostgreSQL from the functions and workers allowed by the stack, out to the cluster only',
      allowAllOutbound: false,
    });
    this.proxy = this.cluster.addProxy('Proxy', {
      secrets: [this.secret],
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [this.proxySecurityGroup],
      requireTLS: true,
      // Half of max_connections for the proxy's pool leaves the rest to migrations and an operator's psql.
      maxConnectionsPercent: 50,
      // The session timeouts every connection runs with (packages/db SESSION_SETTINGS_SQL): set here,
      // because start-up options sent by the clients would pin each to one database connection.
      initQuery: 'SET statement_timeout = 15000; SET idle_in_transaction_session_timeout = 30000',
    });

    Validations.of(this.cluster).acknowledge({
      id: 'AwsSolutions-RDS11',
      reason:
        "Clients read the port from the generated secret and connect through RDS Proxy, which listens on PostgreSQL's 5432; the cluster is in isolated subnets that only the proxy and migration security groups can reach, so another port would hide nothing.",
    });
    if (!props.deletionProtection) {
      Validations.of(this.cluster).acknowledge({
        id: 'AwsSolutions-RDS10',
        reason: 'The operator turned deletion protection off with the deletionProtection context value (a disposable stack).',
      });
    }
    Validations.of(this.cluster).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Workers receive the password as an ECS secret when a task starts and Lambdas read it once per instance, so an automatic rotation would break their new connections until they restart; rotate by hand and restart the services (see the deploy notes).',
    });
  }

  /** Lets a client's security group reach the proxy (TLS is enforced by the proxy itself). */
  allowClient(client: ec2.IConnectable, description: string): void {
    this.proxy.connections.allowFrom(client, ec2.Port.tcp(POSTGRES_PORT), description);
  }

  /** Lets a client reach the writer directly, bypassing the proxy (schema migrations only). */
  allowDirectClient(client: ec2.IConnectable, description: string): void {
    this.cluster.connections.allowDefaultPortFrom(client, description);
  }

  /** The environment a client connecting through the proxy gets. */
  get proxyEnvironment(): DatabaseEnvironment {
    return { DATABASE_SECRET_ARN: this.secret.secretArn, DATABASE_HOST: this.proxy.endpoint, DATABASE_NAME };
  }

  /** The environment a client connecting to the writer gets. */
  get writerEnvironment(): DatabaseEnvironment {
    return { DATABASE_SECRET_ARN: this.secret.secretArn, DATABASE_HOST: this.cluster.clusterEndpoint.hostname, DATABASE_NAME };
  }

  grantSecretRead(grantee: iam.IGrantable): void {
    this.secret.grantRead(grantee);
  }
}
