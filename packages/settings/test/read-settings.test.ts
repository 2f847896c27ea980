import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { ConfigurationError } from '../src/check-environment.ts';
import { checkSettings, defineProcess, readSettings } from '../src/composition.ts';
import { declareSetting } from '../src/setting.ts';
import { switchSchema, wholeNumber } from '../src/value-schemas.ts';

// A composition reads exactly its variables: defaults, required ones, variants and rules, with
// messages that name the variable at fault and never its value.

const RETRIES = declareSetting({ name: 'RETRIES', description: 'retries', schema: wholeNumber(0, 10), default: 3 });
const FEWER_RETRIES = RETRIES.variant({ schema: wholeNumber(0, 2), default: 1 });
const SECRET = declareSetting({ name: 'SECRET', description: 'a secret', schema: z.string().min(16), required: true });
const ENDPOINT = declareSetting({ name: 'ENDPOINT', description: 'an endpoint', schema: z.url() });
const VERBOSE = declareSetting({ name: 'VERBOSE', description: 'a switch', schema: switchSchema, default: false });

const SERVER = defineProcess({ id: 'server', title: 'a server', settings: [RETRIES, SECRET, ENDPOINT, VERBOSE] });

describe('readSettings', () => {
  it('coerces text, applies defaults and leaves an unset optional variable undefined', () => {
    const values = readSettings(SERVER, { RETRIES: '5', SECRET: 's'.repeat(16), UNRELATED: 'x' });
    expect(values).toEqual({ RETRIES: 5, SECRET: 's'.repeat(16), VERBOSE: false });
    expectTypeOf(values).toEqualTypeOf<{ RETRIES: number; SECRET: string; VERBOSE: boolean; ENDPOINT?: string | undefined }>();
  });

  it('treats a blank variable as unset', () => {
    expect(readSettings(SERVER, { RETRIES: '', SECRET: 's'.repeat(16), ENDPOINT: '' })).toEqual({ RETRIES: 3, SECRET: 's'.repeat(16), VERBOSE: false });
  });

  it.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['no', false],
  ])('reads the switch %s as %s', (text, value) => {
    expect(readSettings(SERVER, { SECRET: 's'.repeat(16), VERBOSE: text }).VERBOSE).toBe(value);
  });

  it('names every variable at fault and echoes none of their values', () => {
    const leaked = 'short-secret';
    const checked = checkSettings(SERVER, { RETRIES: '11', SECRET: leaked, ENDPOINT: 'not a url', VERBOSE: 'maybe' }, 'server configuration');
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.message).toMatch(/^invalid server configuration:/);
    for (const name of ['RETRIES', 'SECRET', 'ENDPOINT', 'VERBOSE']) expect(checked.message).toContain(`${name}:`);
    expect(checked.message).not.toContain(leaked);
    expect(checked.message).not.toContain('not a url');
  });

  it('refuses to start without a required variable, with a ConfigurationError', () => {
    expect(() => readSettings(SERVER, {})).toThrow(ConfigurationError);
    expect(() => readSettings(SERVER, {})).toThrow(/SECRET/);
  });

  it('makes an optional variable required where a process cannot do without it', () => {
    const client = defineProcess({ id: 'client', title: 'a client', settings: [ENDPOINT.required()] });
    expect(() => readSettings(client, {})).toThrow(/ENDPOINT/);
    const values = readSettings(client, { ENDPOINT: 'https://api.example' });
    expectTypeOf(values.ENDPOINT).toEqualTypeOf<string>();
  });

  it('reads a variant with its own bounds and default, under the same name', () => {
    const worker = defineProcess({ id: 'worker', title: 'a worker', settings: [FEWER_RETRIES] });
    expect(FEWER_RETRIES.name).toBe('RETRIES');
    expect(readSettings(worker, {})).toEqual({ RETRIES: 1 });
    expect(() => readSettings(worker, { RETRIES: '3' })).toThrow(/RETRIES/);
    expect(readSettings(SERVER, { RETRIES: '3', SECRET: 's'.repeat(16) }).RETRIES).toBe(3);
  });

  it('checks rules over several variables, reported under the variable named', () => {
    const process = defineProcess({
      id: 'ruled',
      title: 'a process with a rule',
      settings: [ENDPOINT, VERBOSE],
      rules: [{ variable: 'ENDPOINT', message: 'set ENDPOINT when VERBOSE', holds: (values) => !values.VERBOSE || values.ENDPOINT !== undefined }],
    });
    expect(readSettings(process, { VERBOSE: 'false' })).toEqual({ VERBOSE: false });
    expect(() => readSettings(process, { VERBOSE: 'true' })).toThrow(/ENDPOINT: set ENDPOINT when VERBOSE/);
  });

  it('refuses a composition that lists a variable twice', () => {
    expect(() => defineProcess({ id: 'twice', title: 'twice', settings: [RETRIES, FEWER_RETRIES] })).toThrow(/RETRIES twice/);
  });
});
