// The CDK app's public face, for tools (the bundle-size benchmark) and tests. Nothing imports this
// package at run time.
export { addKontextStack, type KontextAppInputs } from './app.ts';
export { KontextStack, type KontextStackProps, GPU_SCALING, PREVIEW_SCALING } from './kontext-stack.ts';
export { buildLambdaBundles, LAMBDA_BUNDLES, LAMBDA_NAMES, type LambdaBundle, type LambdaName, REPO_ROOT } from './lambda-bundles.ts';
export { DEFAULT_PARAMETERS, type KontextParameters, ParameterError, readKontextParameters } from './parameters.ts';
export { type WorkerImages, workerImagesFromRepository } from './worker-images.ts';
