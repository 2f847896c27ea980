import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { GENERATE_COMMAND, GENERATED_FILE, generateTypes } from '../scripts/generate-types.ts';

// The SDK's types are generated from the API's OpenAPI document; a route or schema that changed
// without regenerating them fails here, before a client is built on stale types.

describe('the generated API types', () => {
  it('match the OpenAPI document of the routes as they are now', async () => {
    const fresh = await generateTypes();
    const checkedIn = await readFile(GENERATED_FILE, 'utf8').catch(() => '');
    expect(checkedIn === fresh, `packages/sdk/src/generated/openapi.ts is out of date with the API: run \`${GENERATE_COMMAND}\``).toBe(true);
  }, 60_000);

  it('say how they were made', async () => {
    const checkedIn = await readFile(GENERATED_FILE, 'utf8');
    expect(checkedIn.split('\n').slice(0, 4).join('\n')).toContain(GENERATE_COMMAND);
  });
});
