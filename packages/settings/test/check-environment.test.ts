import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkEnvironment, ConfigurationError, parseEnvironment } from '../src/check-environment.ts';

const Schema = z.object({
  DATABASE_URL: z.url(),
  SIGNING_SECRET: z.string().min(32),
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
});

describe('environment parsing', () => {
  it('applies defaults and coerces numbers', () => {
    const config = parseEnvironment(Schema, { DATABASE_URL: 'postgres://db/x', SIGNING_SECRET: 's'.repeat(32), PORT: '9000' });
    expect(config).toEqual({ DATABASE_URL: 'postgres://db/x', SIGNING_SECRET: 's'.repeat(32), PORT: 9000 });
  });

  it('treats a blank variable as unset, so its default applies', () => {
    const config = parseEnvironment(Schema, { DATABASE_URL: 'postgres://db/x', SIGNING_SECRET: 's'.repeat(32), PORT: '' });
    expect(config.PORT).toBe(8787);
  });

  it('names every variable at fault and never echoes a value', () => {
    const leaked = 'short-secret-value';
    const checked = checkEnvironment(Schema, { DATABASE_URL: 'not a url', SIGNING_SECRET: leaked, PORT: '70000' }, 'worker configuration');
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.message).toMatch(/^invalid worker configuration:/);
    for (const name of ['DATABASE_URL', 'SIGNING_SECRET', 'PORT']) expect(checked.message).toContain(`${name}:`);
    expect(checked.message).not.toContain(leaked);
    expect(checked.message).not.toContain('not a url');
  });

  it('throws a ConfigurationError from the throwing form', () => {
    expect(() => parseEnvironment(Schema, {})).toThrow(ConfigurationError);
    expect(() => parseEnvironment(Schema, {})).toThrow(/DATABASE_URL/);
  });
});
