import { z } from 'zod';

// One environment variable, declared once: its name, the schema that reads its text, its default
// and what it means. A process that reads the variable differently (a tighter bound, another
// default) uses a variant declared beside it, so every difference is visible in one place.

/**
 * How a process treats the variable when it is unset (or blank): `defaulted` takes the default,
 * `optional` reads it as undefined, `required` refuses to start.
 */
export type Presence = 'defaulted' | 'optional' | 'required';

interface SettingFields<Name extends string, Value, P extends Presence> {
  readonly name: Name;
  /** One or two sentences for the README's configuration table. */
  readonly description: string;
  /** Reads the variable's text (coercing numbers and switches). */
  readonly schema: z.ZodType<Value>;
  readonly presence: P;
  readonly defaultValue: Value | undefined;
  /** What an unset optional variable means, for the README ("generated", "Standard Webhooks"). */
  readonly whenUnset: string | undefined;
}

export class Setting<Name extends string = string, Value = unknown, P extends Presence = Presence> implements SettingFields<Name, Value, P> {
  readonly name: Name;
  readonly description: string;
  readonly schema: z.ZodType<Value>;
  readonly presence: P;
  readonly defaultValue: Value | undefined;
  readonly whenUnset: string | undefined;

  constructor(fields: SettingFields<Name, Value, P>) {
    this.name = fields.name;
    this.description = fields.description;
    this.schema = fields.schema;
    this.presence = fields.presence;
    this.defaultValue = fields.defaultValue;
    this.whenUnset = fields.whenUnset;
  }

  /** The variable as a field of a process's environment object. */
  field(): z.ZodType {
    if (this.presence === 'required') return this.schema;
    if (this.presence === 'optional') return this.schema.optional();
    // Zod returns a default as given, without parsing it: the declared default must be a value.
    return this.schema.default(this.defaultValue as z.util.NoUndefined<Value>);
  }

  /** The same variable for a process that cannot run without it. */
  required(): Setting<Name, Value, 'required'> {
    return new Setting({ ...this.#fields(), presence: 'required', defaultValue: undefined, whenUnset: undefined });
  }

  /** The same variable as one process reads it: its own bounds, default or meaning of unset. */
  variant(changes: { schema?: z.ZodType<Value>; default: Value }): Setting<Name, Value, 'defaulted'>;
  variant(changes: { schema?: z.ZodType<Value>; whenUnset?: string }): Setting<Name, Value, P>;
  variant(changes: { schema?: z.ZodType<Value>; default?: Value; whenUnset?: string }): Setting<Name, Value, Presence> {
    const fields = { ...this.#fields(), ...(changes.schema ? { schema: changes.schema } : {}) };
    if (changes.default !== undefined) return new Setting({ ...fields, presence: 'defaulted', defaultValue: changes.default, whenUnset: undefined });
    return new Setting({ ...fields, whenUnset: changes.whenUnset ?? this.whenUnset });
  }

  #fields(): SettingFields<Name, Value, P> {
    return {
      name: this.name,
      description: this.description,
      schema: this.schema,
      presence: this.presence,
      defaultValue: this.defaultValue,
      whenUnset: this.whenUnset,
    };
  }
}

interface Declaration<Name extends string, Value> {
  name: Name;
  description: string;
  schema: z.ZodType<Value>;
}

/** Declares a variable: with a default, required everywhere it is read, or optional. */
export function declareSetting<const Name extends string, Value>(declaration: Declaration<Name, Value> & { default: NoInfer<Value> }): Setting<Name, Value, 'defaulted'>;
export function declareSetting<const Name extends string, Value>(declaration: Declaration<Name, Value> & { required: true }): Setting<Name, Value, 'required'>;
export function declareSetting<const Name extends string, Value>(declaration: Declaration<Name, Value> & { whenUnset?: string }): Setting<Name, Value, 'optional'>;
export function declareSetting<const Name extends string, Value>(
  declaration: Declaration<Name, Value> & { default?: Value; required?: true; whenUnset?: string },
): Setting<Name, Value, Presence> {
  const { name, description, schema } = declaration;
  if (declaration.default !== undefined) return new Setting({ name, description, schema, presence: 'defaulted', defaultValue: declaration.default, whenUnset: undefined });
  if (declaration.required) return new Setting({ name, description, schema, presence: 'required', defaultValue: undefined, whenUnset: undefined });
  return new Setting({ name, description, schema, presence: 'optional', defaultValue: undefined, whenUnset: declaration.whenUnset });
}

/** What a process reads a setting as: its value, or undefined where it is optional and unset. */
export type ValueOf<S> = S extends Setting<string, infer Value, infer P> ? (P extends 'optional' ? Value | undefined : Value) : never;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The typed environment of a list of settings, keyed by variable name. */
export type SettingsOf<List extends readonly Setting[]> = Simplify<
  { [S in List[number] as S extends Setting<infer Name, unknown, 'defaulted' | 'required'> ? Name : never]: ValueOf<S> } & {
    [S in List[number] as S extends Setting<infer Name, unknown, 'optional'> ? Name : never]?: ValueOf<S>;
  }
>;
