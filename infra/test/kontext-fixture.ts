import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import type { IConstruct } from 'constructs';
import { afterAll } from 'vitest';
import { addKontextStack } from '../src/app.ts';
import type { KontextStack } from '../src/kontext-stack.ts';
import { REPO_ROOT } from '../src/lambda-bundles.ts';

/** The context a real synth gets: our parameters and the feature flags, from cdk.json. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  return cdkJson.context;
}

const FIXTURES = join(REPO_ROOT, 'infra', 'test', 'fixtures');

/** Every test app's cloud assembly goes under one directory, removed after the importing test file. */
const ASSEMBLIES = mkdtempSync(join(tmpdir(), 'kontext-infra-test-'));
afterAll(() => rmSync(ASSEMBLIES, { recursive: true, force: true }));

/** A new app with the stack as the real app builds it, with stand-in code and images (nothing is bundled or built). */
export function buildTestStack(context: Record<string, unknown> = {}): { app: App; stack: KontextStack } {
  const app = new App({ context: { ...cdkJsonContext(), ...context }, outdir: mkdtempSync(join(ASSEMBLIES, 'app-')) });
  const code = lambda.Code.fromAsset(join(FIXTURES, 'lambda'));
  const image = (target: string) => ecs.ContainerImage.fromAsset(join(FIXTURES, 'worker-image'), { target });
  const stack = addKontextStack(app, {
    lambdaCode: { api: code, dispatcher: code, maintenance: code, migrate: code },
    workerImages: { gpu: image('gpu'), preview: image('preview') },
    consoleAssets: s3deploy.Source.asset(join(FIXTURES, 'console')),
  });
  return { app, stack };
}

/** The stack and its template, synthesized once per test file (read-only: share it across tests). */
export function synthesizeTestStack(context: Record<string, unknown> = {}): { app: App; stack: KontextStack; template: Template } {
  const { app, stack } = buildTestStack(context);
  return { app, stack, template: Template.fromStack(stack) };
}

/** The logical id a construct's CloudFormation resource has in the template. */
export function logicalIdOf(construct: IConstruct): string {
  const element = construct instanceof CfnElement ? construct : construct.node.defaultChild;
  if (!(element instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return String(Stack.of(element).resolve(element.logicalId));
}

interface PolicyStatement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** Every Allow statement of the inline policies attached to a role. */
export function allowStatementsOf(template: Template, role: IConstruct): PolicyStatement[] {
  const roleId = logicalIdOf(role);
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) => JSON.stringify(policy.Properties.Roles ?? []).includes(`"${roleId}"`))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as PolicyStatement[])
    .filter((statement) => statement.Effect === 'Allow');
}

/** Every action a role's inline policies allow. */
export function allowedActionsOf(template: Template, role: IConstruct): Set<string> {
  return new Set(allowStatementsOf(template, role).flatMap((statement) => [statement.Action].flat()));
}
