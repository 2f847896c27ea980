import type { ApiApp, ApiDependencies } from '../../env.ts';
import { registerCreateKey } from './create-key.ts';
import { registerListKeys } from './list-keys.ts';
import { registerRevokeKey } from './revoke-key.ts';
import { registerRotateKey } from './rotate-key.ts';

/** /v1/keys: the tenant's own API keys (create, list, rotate, revoke). */
export function registerKeyRoutes(app: ApiApp, deps: ApiDependencies): void {
  registerCreateKey(app, deps);
  registerListKeys(app, deps);
  registerRotateKey(app, deps);
  registerRevokeKey(app, deps);
}
