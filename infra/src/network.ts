import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface NetworkProps {
  /**
   * One NAT gateway (about 33 USD a month plus 0.045 USD per GB) serves both AZs but is a single
   * point of failure for egress; two double the fixed cost and survive an AZ outage.
   */
  readonly natGateways: number;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The VPC: public subnets for the NAT gateways, private subnets with egress for everything that
 * calls out (Lambdas fetching URL inputs and posting webhooks, workers reaching SQS and ECR), and
 * isolated subnets for Aurora and its proxy.
 */
export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  readonly appSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
  readonly databaseSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: props.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: 'database', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      // S3 carries the heavy bytes (model weights, images, and ECR's image layers, which ECR serves
      // from S3), so a free gateway endpoint keeps them off the NAT's per-GB charge. Interface
      // endpoints for SQS and Secrets Manager would cost about 15 USD a month each across two AZs to
      // save NAT charges on kilobytes of control traffic; they do not pay, and the NAT stays anyway
      // for webhooks and URL inputs.
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });
    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Rejected flows are what an investigation needs (probes, a wrong security group); ALL would
    // also log every webhook and S3 flow at 0.50 USD per GB ingested.
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });
  }
}
