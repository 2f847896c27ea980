import type { ApiApp, ApiDependencies } from '../../env.ts';
import { registerGetAsset } from './get-asset.ts';
import { registerGetAssetContent } from './get-asset-content.ts';

/** /v1/assets: the images a tenant's jobs used and made. */
export function registerAssetRoutes(app: ApiApp, deps: ApiDependencies): void {
  registerGetAsset(app, deps);
  registerGetAssetContent(app, deps);
}
