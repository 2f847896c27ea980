import { describe, expect } from 'vitest';
import { countFiles, countRows } from '../../../test/harness/counts.ts';
import { it, test } from '../../../test/harness/fixtures.ts';
import type { TestPlatform } from '../../../test/harness/platform.ts';
import { expectProblem } from '../../../test/harness/problems.ts';

// With private webhook targets not allowed (the production setting), a request's own webhook_url
// is checked by the SSRF guard at submit, as a registered endpoint is at registration: a target
// the dispatcher would refuse at every attempt is refused at once, and nothing is written.

test.override({ platformOptions: { workerLoops: 0, allowPrivateWebhookTargets: false } });

async function snapshot(platform: TestPlatform) {
  return { rows: await countRows(platform.database.url), files: await countFiles(platform.blobDir) };
}

describe('webhook targets on private networks', () => {
  it.for(['http://127.0.0.1:8080/hook', 'http://10.0.0.7/hook', 'http://169.254.169.254/latest/meta-data', 'http://[::1]/hook', 'http://localhost/hook'])(
    'a submit with webhook_url %s -> 422 naming webhook_url, nothing written',
    async (url, { platform }) => {
      const before = await snapshot(platform);
      expectProblem(await platform.api.submit({ prompt: 'x', webhook_url: url }), 422, ['webhook_url']);
      expect(await snapshot(platform)).toEqual(before);
    },
  );

  it('registering an endpoint on a private address -> 422 naming url', async ({ platform }) => {
    expectProblem(await platform.api.request('POST', '/v1/webhooks/endpoints', { json: { url: 'http://192.168.1.10/hook' } }), 422, ['url']);
  });
});
