import type { Secret } from 'aws-cdk-lib/aws-ecs';
import type { EnvironmentOf, SettingsComposition } from '@kontext/settings';

/**
 * The environment a function or container is deployed with, checked against the composition of
 * the process it runs (packages/settings): a variable that process does not read, or a misspelt
 * one, fails to compile. The import is of types only: the CDK app loads nothing of ours.
 */
export function processEnvironment<Composition extends SettingsComposition>(values: EnvironmentOf<Composition>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** A container's ECS secrets, their names checked the same way as processEnvironment's. */
export function processSecrets<Composition extends SettingsComposition>(values: {
  readonly [Name in keyof EnvironmentOf<Composition>]?: Secret;
}): Record<string, Secret> {
  return Object.fromEntries(Object.entries(values).filter((entry): entry is [string, Secret] => entry[1] !== undefined));
}
