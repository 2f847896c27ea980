export * from './server.ts';
export * from './data.ts';
export * from './operator.ts';
export * from './jobs.ts';
export * from './webhooks.ts';
export * from './worker.ts';
export * from './cloud.ts';
export * from './prompt-upsampler.ts';
