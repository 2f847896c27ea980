import { RemovalPolicy } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { EnvironmentOf, MIGRATE_LAMBDA_SETTINGS } from '@kontext/settings';
import { Construct } from 'constructs';

/**
 * The KMS key webhook signing secrets are sealed under (packages/secrets: envelope encryption,
 * one data key per process from GenerateDataKey). Automatic yearly rotation keeps every older key
 * version able to decrypt, so nothing is re-encrypted. Retained when the stack goes: without it no
 * stored webhook secret opens again.
 */
export class SecretKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'Kontext: seals webhook signing secrets at rest',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** What a process that seals or opens secrets reads (packages/cloud SECRETS_KMS_KEY_ID). */
  get environment(): Required<Pick<EnvironmentOf<typeof MIGRATE_LAMBDA_SETTINGS>, 'SECRETS_KMS_KEY_ID'>> {
    return { SECRETS_KMS_KEY_ID: this.key.keyArn };
  }

  /** New data keys (to seal) and unwrapping them (to open). */
  grantSealAndOpen(grantee: iam.IGrantable): void {
    this.key.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt');
  }

  /** Unwrapping data keys only: a process that signs with secrets but never stores one. */
  grantOpen(grantee: iam.IGrantable): void {
    this.key.grant(grantee, 'kms:Decrypt');
  }
}
