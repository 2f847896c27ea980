export { startEmbeddedPostgres, quoteIdentifier, type RunningPostgres, type EmbeddedPostgresOptions } from './embedded-postgres.ts';
export { SECRET_KEYS_DIRECTORY, startLocalPlatform, type LocalPlatform, type LocalPlatformOptions } from './platform.ts';
export { PLATFORM_VERSION } from '@kontext/api';
export { loadLocalConfig, type LocalConfig } from './config.ts';
export { ensureAdminToken, ensureDevCredentials, ADMIN_TOKEN_FILE, DEV_API_KEY_FILE, DEV_TENANT_CREDITS } from './dev-credentials.ts';
export { findFreePort } from './free-port.ts';
