export { ConfigurationError, checkEnvironment, parseEnvironment } from './check-environment.ts';
export { Setting, declareSetting, type Presence, type SettingsOf, type ValueOf } from './setting.ts';
export { defineProcess, settingsSchema, readSettings, checkSettings, type EnvironmentOf, type ProcessSettings, type SettingsOfProcess, type SettingsComposition, type SettingsRule } from './composition.ts';
export * from './variables/index.ts';
export * from './processes.ts';
