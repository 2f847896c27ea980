import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Every function runs the runtime the bundles target (esbuild `target: node22`). */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_22_X;

export interface ServiceFunctionProps {
  readonly code: lambda.Code;
  readonly description: string;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  readonly logRetention: logs.RetentionDays;
  readonly reservedConcurrentExecutions?: number;
}

/**
 * One of our Lambda functions: its own role (starting with nothing but its own log group and the
 * VPC network interfaces Lambda manages), its own security group and its own log group, so each
 * function is granted exactly what it uses and the database proxy can tell them apart.
 */
export class ServiceFunction extends Construct implements iam.IGrantable, ec2.IConnectable {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly securityGroup: ec2.SecurityGroup;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${props.description}: outbound to the database proxy, AWS APIs and the internet`,
      allowAllOutbound: true,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    // What the AWS managed VPC execution policy grants, with logs narrowed to this function's group.
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resources: ['*'],
      }),
    );
    this.function = new lambda.Function(this, 'Function', {
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture: lambda.Architecture.X86_64,
      handler: 'index.handler',
      code: props.code,
      role: this.role,
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [this.securityGroup],
      memorySize: props.memorySize,
      timeout: props.timeout,
      logGroup: this.logGroup,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      // Every bundle ships its source map: stack traces in the logs point at the sources.
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        "Lambda creates and deletes the function's VPC network interfaces with these EC2 actions, which have no resource-level permissions.",
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to nodejs22.x, the runtime the bundles are compiled for (esbuild target node22) and tested against; a newer runtime is a deliberate upgrade, not drift.',
    });
  }

  get grantPrincipal(): iam.IPrincipal {
    return this.role;
  }

  get connections(): ec2.Connections {
    return this.function.connections;
  }
}
