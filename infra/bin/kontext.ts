import { App } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { addKontextStack } from '../src/app.ts';
import {
  assertConsoleBuilt,
  assertEntryPointsExist,
  buildLambdaBundles,
  CONSOLE_DIST,
  type LambdaName,
  REPO_ROOT,
} from '../src/lambda-bundles.ts';
import { readKontextParameters } from '../src/parameters.ts';
import { workerImagesFromRepository } from '../src/worker-images.ts';

// The CDK app (cdk.json: node --import tsx infra/bin/kontext.ts): bundles the Lambda code, then
// synthesizes the stack. Environment-agnostic: no lookups, so synth needs no AWS credentials.

/** A wrong input (context value, missing file) ends the synth with its message alone, no stack trace. */
function orExit<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}

const app = new App();
// Checked before a minute of bundling.
orExit(() => readKontextParameters(app.node));
const workerImages = orExit(() => workerImagesFromRepository(REPO_ROOT));
orExit(() => assertEntryPointsExist(REPO_ROOT));
// The console is built by its own package (Vite): deployed as built, never built here (its page in
// the API function's bundle, its hashed assets in the console bucket).
orExit(() => assertConsoleBuilt(CONSOLE_DIST));

const bundles = new Map((await buildLambdaBundles()).map((bundle) => [bundle.name, bundle.directory]));
const codeOf = (name: LambdaName) => {
  const directory = bundles.get(name);
  if (!directory) throw new Error(`No bundle was built for the ${name} function`);
  return lambda.Code.fromAsset(directory);
};
const lambdaCode: Record<LambdaName, lambda.Code> = {
  api: codeOf('api'),
  dispatcher: codeOf('dispatcher'),
  maintenance: codeOf('maintenance'),
  migrate: codeOf('migrate'),
};
// The console bucket gets assets/ alone (ConsoleSite); hidden files (the build stamp) are no part of it anyway.
const consoleAssets = s3deploy.Source.asset(CONSOLE_DIST, { exclude: ['.*'] });
addKontextStack(app, { lambdaCode, workerImages, consoleAssets });
app.synth();
