export { createApp } from './app.ts';
export { nodeConnectionInfo, startServer, type RunningServer } from './server.ts';
export type { ApiApp, ApiDependencies } from './env.ts';
export { PROBLEM_CONTENT_TYPE } from './problem-response.ts';
export { PLATFORM_VERSION } from './version.ts';
