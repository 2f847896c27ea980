import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { arnWildcardFinding } from './nag-findings.ts';

/** Where tenants' images live (see packages/storage/src/keys.ts). */
export const TENANT_PREFIX = 'tenants/';
/** Where the operator uploads the Kontext weights the GPU workers sync at start. */
export const MODEL_WEIGHTS_PREFIX = 'models/flux-kontext-dev/';

export interface StorageProps {
  /** Backstop expiry of `tenants/` objects, in days since they were written. */
  readonly tenantObjectsExpireDays: number;
  /** How long the access logs are kept. */
  readonly accessLogDays: number;
}

/** One object permission on one key prefix, granted without wildcard actions. */
export interface ObjectAccess {
  readonly prefix: string;
  readonly actions: readonly ('s3:GetObject' | 's3:PutObject' | 's3:DeleteObject')[];
  /**
   * Also allow listing the bucket. S3 answers a read of a missing key with 404 only to a caller
   * that may list the bucket (otherwise 403, which the adapter cannot tell from a denial), and an
   * s3:prefix condition never matches such a read, so this is the whole bucket: key names only.
   */
  readonly list?: boolean;
}

/**
 * The image bucket. SSE-S3 rather than KMS: every image read and write (and every presigned URL a
 * client follows) would otherwise be a billed KMS request and need a key grant on each role, for no
 * protection a private, TLS-only bucket lacks. Versioning stays off: retention and deletion requests
 * must actually remove the bytes, not keep them as noncurrent versions.
 */
export class Storage extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(props.accessLogDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = new s3.Bucket(this, 'Images', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: false,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'images/',
      lifecycleRules: [
        {
          // Tenant retention (30 days from last use by default) is enforced by the maintenance
          // function, which also writes the tombstones; this rule only catches what it could miss
          // (a bug, an outage), so it must stay longer than any tenant's retention_days.
          id: 'tenant-objects-backstop',
          prefix: TENANT_PREFIX,
          expiration: Duration.days(props.tenantObjectsExpireDays),
        },
        // Parts of an upload that never completed are invisible and billed; models/ has no
        // expiry rule at all, so the weights stay until the operator removes them.
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** The S3 URI the GPU workers sync the Kontext weights from. */
  get modelWeightsUri(): string {
    return `s3://${this.bucket.bucketName}/${MODEL_WEIGHTS_PREFIX}`;
  }

  /** Grants exactly the listed object actions under each prefix (no s3:* or Get* wildcards). */
  grantObjects(grantee: iam.IGrantable & Construct, accesses: readonly ObjectAccess[]): void {
    for (const access of accesses) {
      Validations.of(grantee).acknowledge({
        id: arnWildcardFinding(this.bucket, `/${access.prefix}*`),
        reason: `The wildcard is the object key: access is limited to the listed actions on keys under ${access.prefix}.`,
      });
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: [...access.actions],
          resources: [this.bucket.arnForObjects(`${access.prefix}*`)],
        }),
      );
      if (access.list) {
        grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }));
      }
    }
  }
}
