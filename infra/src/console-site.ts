import { Aws, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { arnWildcardFinding } from './nag-findings.ts';
import { stackSlug } from './naming.ts';

/** The path the console is served under; its assets are stored under the same key prefix. */
export const CONSOLE_PATH = '/console';
const CONSOLE_KEY_PREFIX = 'console/';
/** The hashed files of the build: the one path served from the bucket. */
export const CONSOLE_ASSETS_PATH_PATTERN = `${CONSOLE_PATH}/assets/*`;

/** Vite's hashed file names (packages/console/vite.config.ts): their content never changes. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/**
 * The policy on the console's asset responses: the API process's nonce-less CONSOLE_CSP
 * (functions/api, serve-console.ts), which it sends on asset responses too. The page itself is the
 * API's, with the API's own policy: that one allows the style nonce it puts into each response.
 */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/** The header CloudFront adds to every origin request to the API, with the generated secret. */
export const ORIGIN_VERIFY_HEADER = 'X-Origin-Verify';

/**
 * Viewer request on the API behavior (cloudfront-js-2.0): sets CloudFront-Viewer-Address from
 * the connection CloudFront accepted, overwriting whatever the client sent under that name. An
 * origin request policy cannot both leave out Host (API Gateway answers 403 to a Host that is not
 * its own) and add CloudFront's own headers: "all viewer headers except" takes no CloudFront
 * headers, and without this function a client could send the header itself and have it arrive
 * beside the genuine X-Origin-Verify. A function sees the viewer's IP but not its port, so the
 * value is CloudFront's `<ip>:<port>` with port 0 (IPv6 in brackets).
 */
export const VIEWER_ADDRESS_FUNCTION_CODE = `function handler(event) {
  var request = event.request;
  var ip = event.viewer.ip;
  request.headers['cloudfront-viewer-address'] = { value: (ip.indexOf(':') === -1 ? ip : '[' + ip + ']') + ':0' };
  return request;
}`;

export interface ConsoleSiteProps {
  /**
   * The built console (packages/console/dist): `Source.asset` of it in the app, a fixture in
   * template tests. Only its assets/ go to the bucket; the API function ships the rest.
   */
  readonly assets: s3deploy.ISource;
  /** The HTTP API's execute-api domain name, the origin of every path but the console's. */
  readonly apiDomainName: string;
  /** Where the console bucket's and the log bucket's S3 server access logs go (the stack's access-log bucket). */
  readonly serverAccessLogsBucket: s3.IBucket;
  /** How long the distribution's access logs are kept. */
  readonly accessLogDays: number;
  /** Retention of the asset deployment function's log group. */
  readonly logRetention: logs.RetentionDays;
  /**
   * A custom domain (the certificate in us-east-1, covering every name): viewers then need TLS 1.2
   * or later. Unset, the distribution answers on its cloudfront.net name, whose certificate
   * CloudFront pins to its TLSv1 policy.
   */
  readonly domain?: { readonly names: readonly string[]; readonly certificate: acm.ICertificate };
}

/**
 * The console and the API on one origin: a CloudFront distribution whose default behavior passes
 * everything to the HTTP API uncached, the console's page included (/console, /console/ and
 * every client-side route: the API answers index.html with a fresh style nonce in the page and
 * in its CSP, which no static file can carry), and whose one other behavior serves the console's
 * hashed, immutable files (/console/assets/*) from a private bucket (Origin Access Control),
 * cached. One origin makes the console's session cookie first-party and its API calls
 * same-origin (no CORS).
 */
export class ConsoleSite extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogBucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  /** CloudFront sends its value to the API as X-Origin-Verify; the API reads it by ARN. */
  readonly originVerifySecret: secretsmanager.Secret;
  readonly viewerAddressFunction: cloudfront.Function;
  /** On the asset behavior only: the API sets its own headers (and the page's nonce CSP) on everything else. */
  readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  /** The hashed files, to console/assets/ in the bucket (the page names them: the API waits for them). */
  readonly assetDeployment: s3deploy.BucketDeployment;
  /** https://<distribution domain>: the public base URL of the API and the console. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ConsoleSiteProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // CloudFront names are global: the region keeps two stacks of one name in one account apart.
    const globalName = (suffix: string) => Fn.join('-', [stackSlug(stack.stackName), Aws.REGION, suffix]);

    this.bucket = new s3.Bucket(this, 'Assets', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: 'console-assets/',
      // Rebuilt from the sources on every deploy; kept, like every bucket here, if the stack goes.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudFront's standard logs are written with ACLs, which BUCKET_OWNER_ENFORCED turns off.
    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: 'cloudfront-logs/',
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(props.accessLogDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.originVerifySecret = new secretsmanager.Secret(this, 'OriginVerify', {
      description: `Kontext: the ${ORIGIN_VERIFY_HEADER} value CloudFront sends to the API (trust CloudFront-Viewer-Address only with it)`,
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
    });

    this.viewerAddressFunction = new cloudfront.Function(this, 'ViewerAddress', {
      comment: "Kontext API: CloudFront-Viewer-Address from the viewer's connection, never from the client",
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(VIEWER_ADDRESS_FUNCTION_CODE),
    });

    // Attached to the asset behavior alone. On a behavior the API answers, this policy's CSP would
    // replace the page's nonce policy (override: true) or be added where the API sent none
    // (override: false): the API's responses carry its own headers, untouched.
    this.responseHeadersPolicy = new cloudfront.ResponseHeadersPolicy(this, 'ConsoleHeaders', {
      responseHeadersPolicyName: globalName('console-headers'),
      comment: 'Kontext console assets: CSP without inline script, HSTS, nosniff, no referrer, no framing',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: CONSOLE_CSP, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
      },
    });

    const apiOrigin = new origins.HttpOrigin(props.apiDomainName, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
      customHeaders: {
        // Origin custom headers are plain strings in the distribution's configuration: CloudFront
        // cannot read a secret at request time. CloudFormation resolves this dynamic reference at
        // deploy time, so the value is in the distribution config (readable with
        // cloudfront:GetDistributionConfig) but never in the template or the cloud assembly. A
        // viewer's own X-Origin-Verify is replaced by this one.
        [ORIGIN_VERIFY_HEADER]: this.originVerifySecret.secretValue.unsafeUnwrap(),
      },
    });
    const assetsOrigin = origins.S3BucketOrigin.withOriginAccessControl(this.bucket, {
      originAccessControl: new cloudfront.S3OriginAccessControl(this, 'AssetsAccess', {
        originAccessControlName: globalName('console-assets'),
        description: 'Kontext console: CloudFront reads the console bucket',
        signing: cloudfront.Signing.SIGV4_ALWAYS,
      }),
      originAccessLevels: [cloudfront.AccessLevel.READ],
    });
    // Hashed names: cached at the edge and in browsers; a missing one is S3's 403, never a page.
    const assetsBehavior: cloudfront.BehaviorOptions = {
      origin: assetsOrigin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
      cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
      compress: true,
      responseHeadersPolicy: this.responseHeadersPolicy,
    };

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `${stack.stackName}: the Kontext API and its console on one origin`,
      defaultBehavior: {
        origin: apiOrigin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        // Every response is the application's (authenticated, per tenant; the console's page with a
        // nonce of its own): nothing is cached, and everything the viewer sent but Host (API
        // Gateway routes on its own name) goes through. No response headers policy: the API sets
        // its own, the console page's CSP among them.
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        // Uncached responses pass through as the API wrote them (job event streams included).
        compress: false,
        functionAssociations: [{ function: this.viewerAddressFunction, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
      },
      // /console, /console/ and the app's routes (and any other unhashed file of the build) match
      // no other behavior: they are the default's, the API's.
      additionalBehaviors: { [CONSOLE_ASSETS_PATH_PATTERN]: assetsBehavior },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      ...(props.domain
        ? {
            domainNames: [...props.domain.names],
            certificate: props.domain.certificate,
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
      enableLogging: true,
      logBucket: this.accessLogBucket,
      logFilePrefix: 'distribution/',
      // The session cookie is a credential: it stays out of the logs.
      logIncludesCookies: false,
    });
    this.url = `https://${this.distribution.distributionDomainName}`;

    // One function (a singleton of the stack) copies the files; it logs here.
    const deploymentLogs = new logs.LogGroup(this, 'DeploymentLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    // The hashed files alone: index.html (and every other file of the build) is in the API
    // function's bundle (lambda-bundles.ts, CONSOLE_PAGE_FILES).
    this.assetDeployment = new s3deploy.BucketDeployment(this, 'DeployAssets', {
      sources: [props.assets],
      destinationBucket: this.bucket,
      destinationKeyPrefix: CONSOLE_KEY_PREFIX,
      exclude: ['*'],
      include: ['assets/*'],
      cacheControl: [s3deploy.CacheControl.fromString(IMMUTABLE_CACHE_CONTROL)],
      // Files a deploy no longer has stay: a page loaded before it still finds its lazy chunks.
      prune: false,
      logGroup: deploymentLogs,
      memoryLimit: 512,
    });

    this.acknowledgeFindings(props);
  }

  private acknowledgeFindings(props: ConsoleSiteProps): void {
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'The API and console serve tenants wherever they are; access is authenticated per request (API keys, sessions), so no country is blocked at the edge.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'No WAF web ACL in the default stack: API Gateway throttles the stage, the application rate-limits per key and per sign-in address, and a web ACL (billed per rule and request) is an operator add-on.',
      },
    );
    if (!props.domain) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason:
          "Without a custom domain the distribution uses CloudFront's default *.cloudfront.net certificate, whose security policy CloudFront fixes at TLSv1; with the domain prop it requires TLSv1.2_2021.",
      });
    }
    Validations.of(this.originVerifySecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The value is copied into the distribution at deploy time and read by API instances when they start; a rotation function could update neither, so it is rotated by hand (put-secret-value, then a deploy).',
    });
    this.acknowledgeDeploymentFunction();
  }

  /** The deployment function is aws-s3-deployment's own (a stack singleton): its findings are the library's. */
  private acknowledgeDeploymentFunction(): void {
    const stack = Stack.of(this);
    const handler = stack.node.children.find((child) => child.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (!handler) throw new Error('aws-s3-deployment created no deployment function in the stack');
    Validations.of(handler).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "aws-s3-deployment's function role carries the basic execution policy (log writes only); the library offers no inline alternative for its singleton.",
      },
      {
        id: 'AwsSolutions-IAM5[Action::s3:GetBucket*]',
        reason: 'The deployment function reads the CDK asset bucket and the console bucket (grantRead); the wildcard is the read-only action family of those two buckets.',
      },
      {
        id: 'AwsSolutions-IAM5[Action::s3:GetObject*]',
        reason: 'The deployment function reads the asset zip and the console files it syncs (grantRead); the wildcard is the read-only object action family.',
      },
      {
        id: 'AwsSolutions-IAM5[Action::s3:List*]',
        reason: 'aws s3 sync lists the source and destination prefixes to compare them; the wildcard is the listing family of those two buckets.',
      },
      {
        id: 'AwsSolutions-IAM5[Action::s3:DeleteObject*]',
        reason: 'grantReadWrite on the console bucket (the library grants it even with prune off); it is limited to that bucket, whose objects are rebuilt on every deploy.',
      },
      {
        id: 'AwsSolutions-IAM5[Action::s3:Abort*]',
        reason: 'grantReadWrite on the console bucket: aborting its own multipart uploads of large files; limited to that bucket.',
      },
      {
        id: arnWildcardFinding(this.bucket, '/*'),
        reason: 'The wildcard is the object key: the deployment function writes the console files anywhere under the console bucket it alone fills.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
        reason: "The wildcard is the object key in the CDK bootstrap asset bucket, from which the function reads the console's zip.",
      },
      {
        id: 'AwsSolutions-L1',
        reason: "aws-s3-deployment pins its function's Python runtime to the one its bundled AWS CLI layer is built for; it is updated with aws-cdk-lib.",
      },
    );
  }
}
