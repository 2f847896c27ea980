import { CfnElement, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The id cdk-nag gives an IAM wildcard finding on a resource ARN built from another resource's
 * Arn attribute (`<LogicalId.Arn>` + suffix), so an acknowledgment names that one finding and
 * nothing broader.
 */
export function arnWildcardFinding(target: IConstruct, suffix: string): string {
  const element = target instanceof CfnElement ? target : target.node.defaultChild;
  if (!(element instanceof CfnElement)) throw new Error(`${target.node.path} has no CloudFormation resource`);
  const logicalId: unknown = Stack.of(element).resolve(element.logicalId);
  return `AwsSolutions-IAM5[Resource::<${String(logicalId)}.Arn>${suffix}]`;
}
