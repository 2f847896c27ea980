export { CloudEnvironmentSchema, type CloudEnvironment } from './environment.ts';
export { readSecretString, resolveDatabaseUrl } from './database-url.ts';
export { openCloudRuntime, type CloudRuntime, type CloudRuntimeOptions } from './cloud-runtime.ts';
export { s3Client, secretsManagerClient, sqsClient } from './aws-clients.ts';
