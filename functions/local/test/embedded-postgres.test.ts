import { describe, expect, it } from 'vitest';
import { spawnNode } from '../../../test/harness/processes.ts';

describe('startEmbeddedPostgres', () => {
  it('leaves the process exit code alone (a failed test run must not exit 0)', async () => {
    const child = spawnNode('functions/local/test/fixtures/exit-code.ts', { EXPECTED_EXIT_CODE: '3' });
    const exited = await child.exited;
    expect({ ...exited, output: exited.code === 3 ? '' : child.output() }).toEqual({ code: 3, signal: null, output: '' });
  }, 60_000);
});
