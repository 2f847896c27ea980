export * from './client.ts';
export * from './migrate.ts';
export * as schema from './schema.ts';
export * from './tenants.ts';
export * from './api-keys.ts';
export * from './assets.ts';
export * from './jobs.ts';
export * from './rate-limits.ts';
export * from './usage.ts';
