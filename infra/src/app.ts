import { type App, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { LambdaName } from './lambda-bundles.ts';
import { KontextStack } from './kontext-stack.ts';
import { readKontextParameters } from './parameters.ts';
import type { WorkerImages } from './worker-images.ts';

export interface KontextAppInputs {
  readonly lambdaCode: Readonly<Record<LambdaName, lambda.Code>>;
  readonly workerImages: WorkerImages;
  /** The built console: `Source.asset(CONSOLE_DIST)` after assertConsoleBuilt. */
  readonly consoleAssets: s3deploy.ISource;
  /** Default: packages/db/migrations. */
  readonly migrationsDirectory?: string;
}

/**
 * Adds the Kontext stack to an app, with its parameters read from the app's context, and the AWS
 * Solutions checks (cdk-nag) as a validation plugin: any unacknowledged finding fails the synth.
 */
export function addKontextStack(app: App, inputs: KontextAppInputs): KontextStack {
  const parameters = readKontextParameters(app.node);
  const stack = new KontextStack(app, parameters.stackName, { parameters, ...inputs });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return stack;
}
