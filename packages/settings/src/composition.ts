import { z } from 'zod';
import { checkEnvironment, parseEnvironment } from './check-environment.ts';
import type { Setting, SettingsOf } from './setting.ts';

// A process's settings: the variables it reads, and any rule that spans several of them.

/** A condition over several variables; when it fails, the problem is reported under `variable`. */
export interface SettingsRule<Values> {
  readonly variable: string;
  readonly message: string;
  holds(values: Values): boolean;
}

export interface SettingsComposition<S extends readonly Setting[] = readonly Setting[]> {
  readonly settings: S;
  readonly rules?: readonly SettingsRule<SettingsOf<S>>[];
}

export interface ProcessSettings<S extends readonly Setting[] = readonly Setting[]> extends SettingsComposition<S> {
  /** Short name, as the README's configuration table lists readers. */
  readonly id: string;
  /** What the process is and how it starts, for the README. */
  readonly title: string;
}

/** A process's composition; a variable listed twice is a mistake, caught when the module loads. */
export function defineProcess<const S extends readonly Setting[]>(process: ProcessSettings<S>): ProcessSettings<S> {
  const seen = new Set<string>();
  for (const setting of process.settings) {
    if (seen.has(setting.name)) throw new Error(`${process.id} lists ${setting.name} twice`);
    seen.add(setting.name);
  }
  return process;
}

/** The zod schema of a composition: one field per variable, then the rules. */
export function settingsSchema<const S extends readonly Setting[]>(composition: SettingsComposition<S>): z.ZodType<SettingsOf<S>> {
  const shape = Object.fromEntries(composition.settings.map((setting) => [setting.name, setting.field()]));
  const rules = composition.rules ?? [];
  const schema = z.object(shape).superRefine((values, issues) => {
    for (const rule of rules) {
      if (!rule.holds(values as SettingsOf<S>)) issues.addIssue({ code: 'custom', path: [rule.variable], message: rule.message });
    }
  });
  // The shape is built from the list at run time; SettingsOf states the same fields as types.
  return schema as unknown as z.ZodType<SettingsOf<S>>;
}

/** Reads a composition's variables from an environment; a ConfigurationError names each one at fault. */
export function readSettings<const S extends readonly Setting[]>(
  composition: SettingsComposition<S>,
  env: Readonly<Record<string, string | undefined>>,
  what?: string,
): SettingsOf<S> {
  return parseEnvironment(settingsSchema(composition), env, what);
}

/** readSettings without throwing: the values, or the message naming each variable at fault. */
export function checkSettings<const S extends readonly Setting[]>(
  composition: SettingsComposition<S>,
  env: Readonly<Record<string, string | undefined>>,
  what?: string,
): { ok: true; config: SettingsOf<S> } | { ok: false; message: string } {
  return checkEnvironment(settingsSchema(composition), env, what);
}

/** The typed values a composition reads. */
export type SettingsOfProcess<C extends SettingsComposition> = SettingsOf<C['settings']>;

/** The variables a composition reads, by name, as text: the environment a deployment writes. */
export type EnvironmentOf<C extends SettingsComposition> = { readonly [Name in C['settings'][number]['name']]?: string };
