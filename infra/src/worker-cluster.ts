import { Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** Where synced model weights live on each GPU instance, shared by the tasks it runs. */
export const MODELS_HOST_PATH = '/opt/kontext/models';

export interface WorkerClusterProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly gpuInstanceType: string;
  readonly gpuMaxInstances: number;
  /**
   * Root volume of a GPU instance. 200 GiB holds the CUDA image (about 15 GB compressed, twice that
   * unpacked), a second image version during a deploy, and the Kontext weights synced to the host
   * (about 35 GB, more with extra formats), with room to spare; gp3 is billed per GiB, not per IOPS.
   */
  readonly gpuRootVolumeGiB: number;
  /** Where instance launches, terminations and their failures (no GPU capacity, say) are announced. */
  readonly scalingNotifications: sns.ITopic;
}

/**
 * The ECS cluster the workers run in, with a GPU Auto Scaling group as a capacity provider: ECS
 * starts instances when GPU tasks are pending and returns the group to zero when none run.
 */
export class WorkerCluster extends Construct {
  readonly cluster: ecs.Cluster;
  readonly gpuCapacityProvider: ecs.AsgCapacityProvider;
  readonly gpuInstances: autoscaling.AutoScalingGroup;

  constructor(scope: Construct, id: string, props: WorkerClusterProps) {
    super(scope, id);
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });

    const userData = ec2.UserData.forLinux();
    userData.addCommands(
      // The GPU AMI already enables this; stating it keeps a custom AMI from silently losing GPUs.
      'echo ECS_ENABLE_GPU_SUPPORT=true >> /etc/ecs/ecs.config',
      // awsvpc tasks must use their task role, never the instance's credentials.
      'echo ECS_AWSVPC_BLOCK_IMDS=true >> /etc/ecs/ecs.config',
      // The weights cache the GPU tasks mount; the worker image runs as uid 1000, not root.
      `mkdir -p ${MODELS_HOST_PATH} && chown 1000:1000 ${MODELS_HOST_PATH}`,
    );
    const instanceRole = new iam.Role(this, 'GpuInstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'ECS container agent on the GPU worker instances',
    });
    const launchTemplate = new ec2.LaunchTemplate(this, 'GpuLaunchTemplate', {
      machineImage: ecs.EcsOptimizedImage.amazonLinux2023(ecs.AmiHardwareType.GPU),
      instanceType: new ec2.InstanceType(props.gpuInstanceType),
      userData,
      requireImdsv2: true,
      // One hop: the ECS agent on the host reaches the metadata service, containers behind a bridge cannot.
      httpPutResponseHopLimit: 1,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(props.gpuRootVolumeGiB, {
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            encrypted: true,
            deleteOnTermination: true,
          }),
        },
      ],
      role: instanceRole,
    });
    this.gpuInstances = new autoscaling.AutoScalingGroup(this, 'GpuInstances', {
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      launchTemplate,
      minCapacity: 0,
      maxCapacity: props.gpuMaxInstances,
      notifications: [{ topic: props.scalingNotifications, scalingEvents: autoscaling.ScalingEvents.ALL }],
    });
    this.gpuCapacityProvider = new ecs.AsgCapacityProvider(this, 'GpuCapacityProvider', {
      autoScalingGroup: this.gpuInstances,
      enableManagedScaling: true,
      // Instances running tasks are never terminated by a scale-in; ECS releases them once empty.
      enableManagedTerminationProtection: true,
      targetCapacityPercent: 100,
    });
    this.cluster.addAsgCapacityProvider(this.gpuCapacityProvider);

    // The ECS container agent's instance policy, as aws-cdk-lib writes it for a capacity provider.
    Validations.of(instanceRole).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'Polling for work, opening telemetry sessions and ecr:GetAuthorizationToken have no resource-level permissions.',
      },
      {
        id: 'AwsSolutions-IAM5[Action::ecs:Submit*]',
        reason: 'The agent reports container, task and attachment state changes (ecs:Submit*) for this cluster only.',
      },
    );
  }
}
