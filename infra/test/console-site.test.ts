import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONSOLE_ASSETS_PATH_PATTERN,
  CONSOLE_CSP,
  ConsoleSite,
  IMMUTABLE_CACHE_CONTROL,
  VIEWER_ADDRESS_FUNCTION_CODE,
} from '../src/console-site.ts';
import type { KontextStack } from '../src/kontext-stack.ts';
import { assertConsoleBuilt, REPO_ROOT } from '../src/lambda-bundles.ts';
import { allowStatementsOf, logicalIdOf, synthesizeTestStack } from './kontext-fixture.ts';

// The console and the API on one CloudFront origin: the private console bucket behind Origin
// Access Control, the distribution's behaviors, its edge function (its code run here), the
// console's response headers, the origin-verify secret, and the API function pointed at the
// distribution. One synthesized stack (read-only), plus one small stack for the custom domain.
//
// What is served from where: the console's page (/console, /console/, every client-side route,
// and any other unhashed file of the build) is the API's, like every path but the assets: the API
// answers index.html with a fresh nonce in the page and in its Content-Security-Policy
// (style-src 'self' 'nonce-…', for the one <style> tag Radix inserts), which a static file in S3
// cannot carry. The hashed, immutable files under /console/assets/ are the bucket's, cached.

const CONSOLE_FIXTURE = join(REPO_ROOT, 'infra', 'test', 'fixtures', 'console');

let stack: KontextStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthesizeTestStack());
});

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };
type Behavior = Record<string, unknown> & { PathPattern?: string; TargetOriginId: string };
type Origin = Record<string, unknown> & { Id: string; DomainName: unknown };

function resources(): Record<string, Resource> {
  return template.toJSON().Resources as Record<string, Resource>;
}

function distributionConfig(): {
  DefaultCacheBehavior: Behavior;
  CacheBehaviors: Behavior[];
  Origins: Origin[];
} & Record<string, unknown> {
  const distribution = template.findResources('AWS::CloudFront::Distribution')[logicalIdOf(stack.consoleSite.distribution)];
  if (!distribution) throw new Error('No distribution');
  return distribution.Properties.DistributionConfig;
}

function originOf(behavior: Behavior): Origin {
  const origin = distributionConfig().Origins.find((candidate) => candidate.Id === behavior.TargetOriginId);
  if (!origin) throw new Error(`No origin ${behavior.TargetOriginId}`);
  return origin;
}

function behavior(pathPattern: string): Behavior {
  const found = distributionConfig().CacheBehaviors.find((candidate) => candidate.PathPattern === pathPattern);
  if (!found) throw new Error(`No behavior for ${pathPattern}`);
  return found;
}

/**
 * The behavior CloudFront picks for a path: the first cache behavior, in the distribution's
 * order, whose pattern matches (case-sensitive; `*` any characters, `/` included; `?` one), else
 * the default behavior.
 */
function behaviorFor(path: string): Behavior {
  const config = distributionConfig();
  const matches = (pattern: string) =>
    new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(path);
  return config.CacheBehaviors.find((candidate) => candidate.PathPattern !== undefined && matches(candidate.PathPattern)) ?? config.DefaultCacheBehavior;
}

const distributionUrl = () => ({
  'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalIdOf(stack.consoleSite.distribution), 'DomainName'] }]],
});

interface FunctionEvent {
  viewer: { ip: string };
  request: { uri: string; headers: Record<string, { value: string }> };
}

/** A CloudFront Function's source, run as CloudFront runs it: `handler(event)` returns the request. */
function edgeFunction(code: string): (event: FunctionEvent) => FunctionEvent['request'] {
  return new Function(`${code}\nreturn handler;`)() as (event: FunctionEvent) => FunctionEvent['request'];
}

function viewerRequest(uri: string, headers: Record<string, { value: string }> = {}, ip = '198.51.100.10'): FunctionEvent {
  return { viewer: { ip }, request: { uri, headers } };
}

describe('console bucket', () => {
  it('is private, encrypted, TLS-only, logged, and no website', () => {
    const bucket = template.findResources('AWS::S3::Bucket')[logicalIdOf(stack.consoleSite.bucket)];
    expect(bucket?.Properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LoggingConfiguration: { DestinationBucketName: { Ref: logicalIdOf(stack.storage.accessLogBucket) } },
    });
    expect(bucket?.Properties.WebsiteConfiguration).toBeUndefined();
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalIdOf(stack.consoleSite.bucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('is read by this distribution alone, through Origin Access Control (object reads, nothing else)', () => {
    const policy = Object.values(template.findResources('AWS::S3::BucketPolicy')).find(
      (candidate) => JSON.stringify(candidate.Properties.Bucket) === JSON.stringify({ Ref: logicalIdOf(stack.consoleSite.bucket) }),
    );
    const allows = (policy?.Properties.PolicyDocument.Statement as Record<string, unknown>[]).filter((statement) => statement.Effect === 'Allow');
    expect(allows).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalIdOf(stack.consoleSite.bucket), 'Arn'] }, '/*']] },
        Condition: {
          StringEquals: {
            'AWS:SourceArn': {
              'Fn::Join': [
                '',
                ['arn:', { Ref: 'AWS::Partition' }, ':cloudfront::', { Ref: 'AWS::AccountId' }, ':distribution/', { Ref: logicalIdOf(stack.consoleSite.distribution) }],
              ],
            },
          },
        },
      },
    ]);
    const [oacId, oac] = Object.entries(template.findResources('AWS::CloudFront::OriginAccessControl'))[0] ?? [];
    expect(oac?.Properties.OriginAccessControlConfig).toMatchObject({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' });
    expect(originOf(behavior(CONSOLE_ASSETS_PATH_PATTERN))).toMatchObject({
      DomainName: { 'Fn::GetAtt': [logicalIdOf(stack.consoleSite.bucket), 'RegionalDomainName'] },
      OriginAccessControlId: { 'Fn::GetAtt': [oacId, 'Id'] },
      S3OriginConfig: { OriginAccessIdentity: '' },
    });
  });
});

describe('distribution', () => {
  it('redirects HTTP to HTTPS and speaks HTTP/2 and HTTP/3', () => {
    const config = distributionConfig();
    expect(config).toMatchObject({ Enabled: true, HttpVersion: 'http2and3', IPV6Enabled: true });
    for (const candidate of [config.DefaultCacheBehavior, ...config.CacheBehaviors]) {
      expect(candidate.ViewerProtocolPolicy).toBe('redirect-to-https');
    }
  });

  it('sends everything but the console to the HTTP API, uncached, with every viewer header but Host', () => {
    const api = distributionConfig().DefaultCacheBehavior;
    expect(api).toMatchObject({
      AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
      CachePolicyId: cloudfront.CachePolicy.CACHING_DISABLED.cachePolicyId,
      OriginRequestPolicyId: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER.originRequestPolicyId,
      FunctionAssociations: [{ EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [logicalIdOf(stack.consoleSite.viewerAddressFunction), 'FunctionARN'] } }],
    });
    expect(api.ResponseHeadersPolicyId).toBeUndefined();
  });

  it("reaches the API on its execute-api name over TLS 1.2, with the origin-verify secret's value", () => {
    expect(originOf(distributionConfig().DefaultCacheBehavior)).toEqual({
      Id: expect.any(String),
      DomainName: {
        'Fn::Join': ['', [{ Ref: logicalIdOf(stack.api.httpApi) }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]],
      },
      CustomOriginConfig: { OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] },
      OriginCustomHeaders: [
        {
          HeaderName: 'X-Origin-Verify',
          // A dynamic reference CloudFormation resolves at deploy time: the value is not in the template.
          HeaderValue: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: logicalIdOf(stack.consoleSite.originVerifySecret) }, ':SecretString:::}}']] },
        },
      ],
    });
  });

  it('serves /console/assets/* from the bucket: GET and HEAD, cached, compressed, with the console headers', () => {
    const assets = behavior('/console/assets/*');
    expect(assets).toMatchObject({
      AllowedMethods: ['GET', 'HEAD'],
      CachedMethods: ['GET', 'HEAD'],
      CachePolicyId: cloudfront.CachePolicy.CACHING_OPTIMIZED.cachePolicyId,
      Compress: true,
      ResponseHeadersPolicyId: { Ref: logicalIdOf(stack.consoleSite.responseHeadersPolicy) },
    });
    // Asked as they are: no edge function, no viewer header or cookie for S3.
    expect(assets.FunctionAssociations).toBeUndefined();
    expect(assets.OriginRequestPolicyId).toBeUndefined();
    expect(originOf(assets).DomainName).toEqual({ 'Fn::GetAtt': [logicalIdOf(stack.consoleSite.bucket), 'RegionalDomainName'] });
  });

  it('has exactly the asset behavior besides the default', () => {
    expect(distributionConfig().CacheBehaviors.map((candidate) => candidate.PathPattern)).toEqual(['/console/assets/*']);
  });

  it.each(['/console/assets/index-Bi_ko9U0.js', '/console/assets/index-BtmC-Gz6.css', '/console/assets/missing.js'])(
    'asks the bucket for the hashed file %s',
    (path) => {
      expect(behaviorFor(path)).toEqual(behavior(CONSOLE_ASSETS_PATH_PATTERN));
    },
  );

  it.each([
    '/console',
    '/console/',
    '/console/keys',
    '/console/keys/key_123',
    '/console/keys/key_123/',
    '/console/jobs/job_1/lineage',
    '/console/index.html',
    '/console/favicon.svg',
    '/console/assets',
    '/console/Assets/index-abc.js',
  ])("asks the API for %s: the console's page (with its per-response nonce) or the API's 404", (path) => {
    const page = behaviorFor(path);
    expect(page).toEqual(distributionConfig().DefaultCacheBehavior);
    expect(originOf(page)).toEqual(originOf(distributionConfig().DefaultCacheBehavior));
    expect(page).toMatchObject({
      CachePolicyId: cloudfront.CachePolicy.CACHING_DISABLED.cachePolicyId,
      OriginRequestPolicyId: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER.originRequestPolicyId,
      FunctionAssociations: [{ EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [logicalIdOf(stack.consoleSite.viewerAddressFunction), 'FunctionARN'] } }],
    });
    // The API's own CSP (with the nonce) is the page's only one: no policy adds or replaces one.
    expect(page.ResponseHeadersPolicyId).toBeUndefined();
  });

  it('logs to a bucket of its own that accepts ACL writes, without cookies, for 90 days', () => {
    const logBucketId = logicalIdOf(stack.consoleSite.accessLogBucket);
    expect(distributionConfig().Logging).toEqual({
      Bucket: { 'Fn::GetAtt': [logBucketId, 'RegionalDomainName'] },
      IncludeCookies: false,
      Prefix: 'distribution/',
    });
    const logBucket = template.findResources('AWS::S3::Bucket')[logBucketId];
    expect(logBucket?.Properties).toMatchObject({
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: [expect.objectContaining({ ExpirationInDays: 90, Status: 'Enabled' })] },
      LoggingConfiguration: { DestinationBucketName: { Ref: logicalIdOf(stack.storage.accessLogBucket) } },
    });
  });

  it('uses the default cloudfront.net certificate in the default stack', () => {
    expect(distributionConfig().ViewerCertificate).toBeUndefined();
    expect(distributionConfig().Aliases).toBeUndefined();
  });
});

describe('edge functions', () => {
  it('are the viewer address function alone: the API answers every console route itself, so no rewrite to index.html', () => {
    expect(Object.keys(template.findResources('AWS::CloudFront::Function'))).toEqual([logicalIdOf(stack.consoleSite.viewerAddressFunction)]);
  });
});

describe('the viewer address function', () => {
  const setAddress = edgeFunction(VIEWER_ADDRESS_FUNCTION_CODE);

  it('is the tested code, on the cloudfront-js-2.0 runtime', () => {
    template.hasResourceProperties('AWS::CloudFront::Function', {
      FunctionCode: VIEWER_ADDRESS_FUNCTION_CODE,
      FunctionConfig: { Runtime: 'cloudfront-js-2.0', Comment: Match.anyValue() },
    });
  });

  it("sets CloudFront-Viewer-Address from the viewer's connection, replacing one the client sent", () => {
    const request = setAddress(viewerRequest('/v1/jobs', { 'cloudfront-viewer-address': { value: '203.0.113.9:1' }, 'x-key': { value: 'k' } }));
    expect(request.headers).toEqual({ 'cloudfront-viewer-address': { value: '198.51.100.10:0' }, 'x-key': { value: 'k' } });
    expect(request.uri).toBe('/v1/jobs');
  });

  it('brackets an IPv6 address, so the port stays after the last colon', () => {
    expect(setAddress(viewerRequest('/', {}, '2001:db8::1')).headers['cloudfront-viewer-address']).toEqual({ value: '[2001:db8::1]:0' });
  });
});

describe('console response headers', () => {
  function securityHeaders(): Record<string, Record<string, unknown>> {
    const policy = template.findResources('AWS::CloudFront::ResponseHeadersPolicy')[logicalIdOf(stack.consoleSite.responseHeadersPolicy)];
    return policy?.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
  }

  it('is on the asset behavior alone (the API sets the headers of its responses, the page among them)', () => {
    const policyRef = JSON.stringify({ Ref: logicalIdOf(stack.consoleSite.responseHeadersPolicy) });
    const config = distributionConfig();
    const withPolicy = [config.DefaultCacheBehavior, ...config.CacheBehaviors].filter((candidate) => JSON.stringify(candidate.ResponseHeadersPolicyId) === policyRef);
    expect(withPolicy.map((candidate) => candidate.PathPattern)).toEqual([CONSOLE_ASSETS_PATH_PATTERN]);
    expect(Object.keys(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))).toEqual([logicalIdOf(stack.consoleSite.responseHeadersPolicy)]);
  });

  it('sends the console CSP on assets, with no inline script or style allowed', () => {
    const csp = securityHeaders().ContentSecurityPolicy;
    expect(csp).toEqual({ ContentSecurityPolicy: CONSOLE_CSP, Override: true });
    const directives = new Map(
      String(csp?.ContentSecurityPolicy)
        .split(';')
        .map((directive) => directive.trim().split(/\s+/))
        .map(([name, ...sources]) => [name, sources]),
    );
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(String(csp?.ContentSecurityPolicy)).not.toContain('unsafe-inline');
    expect(String(csp?.ContentSecurityPolicy)).not.toContain('unsafe-eval');
  });

  it('sends HSTS for a year with subdomains, nosniff, no referrer, and no framing', () => {
    expect(securityHeaders()).toMatchObject({
      StrictTransportSecurity: { AccessControlMaxAgeSec: 31_536_000, IncludeSubdomains: true, Override: true },
      ContentTypeOptions: { Override: true },
      ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
      FrameOptions: { FrameOption: 'DENY', Override: true },
    });
  });
});

describe('the origin-verify secret', () => {
  it('is generated: 48 letters and digits', () => {
    const secret = template.findResources('AWS::SecretsManager::Secret')[logicalIdOf(stack.consoleSite.originVerifySecret)];
    expect(secret?.Properties.GenerateSecretString).toEqual({ PasswordLength: 48, ExcludePunctuation: true, IncludeSpace: false });
  });

  it('is handed to the API function by ARN, and only the API function may read it', () => {
    const secretId = logicalIdOf(stack.consoleSite.originVerifySecret);
    const readers = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.PolicyDocument).includes(`{"Ref":"${secretId}"}`))
      .flatMap((policy) => (policy.Properties.Roles as { Ref: string }[]).map((role) => role.Ref));
    expect(readers).toEqual([logicalIdOf(stack.api.handler.role)]);
    const reads = allowStatementsOf(template, stack.api.handler.role).filter((statement) =>
      [statement.Resource].flat().some((resource) => JSON.stringify(resource) === JSON.stringify({ Ref: secretId })),
    );
    expect(reads.flatMap((statement) => [statement.Action].flat())).toContain('secretsmanager:GetSecretValue');
  });
});

describe('the API behind the distribution', () => {
  function apiEnvironment(): Record<string, unknown> {
    const fn = template.findResources('AWS::Lambda::Function')[logicalIdOf(stack.api.handler.function)];
    return fn?.Properties.Environment.Variables;
  }

  it("gives the API function the distribution's URL as PUBLIC_BASE_URL and the secret's ARN", () => {
    expect(apiEnvironment()).toMatchObject({
      PUBLIC_BASE_URL: distributionUrl(),
      ORIGIN_VERIFY_SECRET_ARN: { Ref: logicalIdOf(stack.consoleSite.originVerifySecret) },
    });
  });

  it('outputs the public URL, the console URL and the execute-api URL', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.ApiUrl?.Value).toEqual(distributionUrl());
    expect(outputs.ConsoleUrl?.Value).toEqual({
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalIdOf(stack.consoleSite.distribution), 'DomainName'] }, '/console/']],
    });
    expect(outputs.ExecuteApiUrl?.Value).toEqual({
      'Fn::Join': ['', ['https://', { Ref: logicalIdOf(stack.api.httpApi) }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]],
    });
  });

  it('has no dependency cycle: the distribution needs the HTTP API, the API function the distribution', () => {
    const all = resources();
    const dependencies = (id: string): Set<string> => {
      const found = new Set<string>(all[id]?.DependsOn ?? []);
      const visit = (value: unknown): void => {
        if (Array.isArray(value)) value.forEach(visit);
        else if (value && typeof value === 'object') {
          for (const [key, inner] of Object.entries(value)) {
            if (key === 'Ref' && typeof inner === 'string' && inner in all) found.add(inner);
            else if (key === 'Fn::GetAtt' && Array.isArray(inner) && typeof inner[0] === 'string') found.add(inner[0]);
            else visit(inner);
          }
        }
      };
      visit(all[id]?.Properties);
      return found;
    };
    const graph = new Map(Object.keys(all).map((id) => [id, dependencies(id)]));
    const state = new Map<string, 'visiting' | 'done'>();
    const cycles: string[] = [];
    const walk = (id: string, path: string[]): void => {
      state.set(id, 'visiting');
      for (const next of graph.get(id) ?? []) {
        if (state.get(next) === 'visiting') cycles.push([...path, id, next].join(' -> '));
        else if (!state.has(next)) walk(next, [...path, id]);
      }
      state.set(id, 'done');
    };
    for (const id of graph.keys()) if (!state.has(id)) walk(id, []);
    expect(cycles).toEqual([]);
    const distributionId = logicalIdOf(stack.consoleSite.distribution);
    expect(graph.get(distributionId)).toContain(logicalIdOf(stack.api.httpApi));
    expect(graph.get(logicalIdOf(stack.api.handler.function))).toContain(distributionId);
    expect(graph.get(logicalIdOf(stack.api.httpApi))?.size).toBe(0);
  });
});

describe('console deployment', () => {
  /** The deployment's custom resource: its logical id and template entry. */
  function deployment(construct: s3deploy.BucketDeployment): Resource & { id: string } {
    const custom = construct.node.findAll().find((child) => child instanceof CfnResource && child.cfnResourceType === 'Custom::CDKBucketDeployment');
    if (!custom) throw new Error(`No deployment ${construct.node.path}`);
    const id = logicalIdOf(custom);
    const found = resources()[id];
    if (!found) throw new Error(`No resource ${id}`);
    return { ...found, id };
  }

  it('uploads the hashed files alone, under console/assets/, as immutable for a year, never removing old ones', () => {
    expect(deployment(stack.consoleSite.assetDeployment).Properties).toMatchObject({
      DestinationBucketName: { Ref: logicalIdOf(stack.consoleSite.bucket) },
      DestinationBucketKeyPrefix: 'console/',
      Exclude: ['*'],
      Include: ['assets/*'],
      Prune: false,
      SystemMetadata: { 'cache-control': IMMUTABLE_CACHE_CONTROL },
    });
    expect(IMMUTABLE_CACHE_CONTROL).toBe('public, max-age=31536000, immutable');
  });

  it("is the stack's only deployment to the bucket: index.html is in the API function's bundle", () => {
    const deployments = Object.entries(resources()).filter(([, resource]) => resource.Type === 'Custom::CDKBucketDeployment');
    expect(deployments.map(([id]) => id)).toEqual([deployment(stack.consoleSite.assetDeployment).id]);
    expect(deployments[0]?.[1].Properties.SourceObjectKeys).toHaveLength(1);
  });

  it('is in place before the API function serves a page that names the new assets', () => {
    expect(resources()[logicalIdOf(stack.api.handler.function)]?.DependsOn).toContain(deployment(stack.consoleSite.assetDeployment).id);
  });
});

describe('the built console', () => {
  let empty: string;
  beforeAll(() => {
    empty = mkdtempSync(join(tmpdir(), 'kontext-console-unbuilt-'));
  });
  afterAll(() => rmSync(empty, { recursive: true, force: true }));

  it('is required before synthesis, with the command that builds it', () => {
    expect(() => assertConsoleBuilt(empty)).toThrow(/npm run build -w packages\/console/);
    expect(() => assertConsoleBuilt(empty)).toThrow(join(empty, 'index.html'));
    expect(() => assertConsoleBuilt(CONSOLE_FIXTURE)).not.toThrow();
  });
});

describe('with a custom domain', () => {
  it('answers on the domain with its certificate and requires TLS 1.2', () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'kontext-console-domain-')) });
    const domainStack = new Stack(app, 'Domain', { env: { account: '123456789012', region: 'eu-west-1' } });
    const certificateArn = 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';
    new ConsoleSite(domainStack, 'Console', {
      assets: s3deploy.Source.asset(CONSOLE_FIXTURE),
      apiDomainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      serverAccessLogsBucket: new s3.Bucket(domainStack, 'Logs'),
      accessLogDays: 90,
      logRetention: RetentionDays.ONE_MONTH,
      domain: { names: ['kontext.example.com'], certificate: acm.Certificate.fromCertificateArn(domainStack, 'Certificate', certificateArn) },
    });
    Template.fromStack(domainStack).hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['kontext.example.com'],
        ViewerCertificate: { AcmCertificateArn: certificateArn, MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' },
      }),
    });
    rmSync(app.outdir, { recursive: true, force: true });
  });
});
