import { CLOUD_RULES, CLOUD_SETTINGS, settingsSchema, type CloudSettings } from '@kontext/settings';

// The environment every cloud process shares (API, dispatcher and maintenance Lambdas, the worker
// container): where the database, the bucket and the queues are. The variables are declared in
// packages/settings; each process reads them with its own, validated once at start.

export const CloudEnvironmentSchema = settingsSchema({ settings: CLOUD_SETTINGS, rules: CLOUD_RULES });

export type CloudEnvironment = CloudSettings;
