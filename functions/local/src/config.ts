import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ModelCatalogSchema, type ModelCatalog } from '@kontext/core';
import { LOCAL_PLATFORM_SETTINGS, readSettings, type SettingsOfProcess } from '@kontext/settings';

// Configuration of the one-machine platform (`npm start`), from the environment
// (LOCAL_PLATFORM_SETTINGS), validated once.

export type LocalEnvConfig = SettingsOfProcess<typeof LOCAL_PLATFORM_SETTINGS>;

export interface LocalConfig extends LocalEnvConfig {
  dataDir: string;
  publicBaseUrl: string;
  catalog?: ModelCatalog;
}

export function loadLocalConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): LocalConfig {
  const config = readSettings(LOCAL_PLATFORM_SETTINGS, env);
  let catalog: ModelCatalog | undefined;
  if (config.MODEL_CATALOG_FILE) {
    const file = resolve(cwd, config.MODEL_CATALOG_FILE);
    const result = ModelCatalogSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!result.success) throw new Error(`invalid model catalog in ${file}: ${result.error.message}`);
    catalog = result.data;
  }
  return {
    ...config,
    dataDir: resolve(cwd, config.DATA_DIR),
    publicBaseUrl: (config.PUBLIC_BASE_URL ?? `http://localhost:${config.PORT}`).replace(/\/+$/, ''),
    ...(catalog ? { catalog } : {}),
  };
}
