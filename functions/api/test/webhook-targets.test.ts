import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countFiles, countRows } from '../../../test/harness/counts.ts';
import { startTestPlatform, type TestPlatform } from '../../../test/harness/platform.ts';
import { expectProblem } from '../../../test/harness/problems.ts';

// With private webhook targets not allowed (the production setting), a request's own webhook_url
// is checked by the SSRF guard at submit, as a registered endpoint is at registration: a target
// the dispatcher would refuse at every attempt is refused at once, and nothing is written.

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform({ workerLoops: 0, allowPrivateWebhookTargets: false });
});

afterAll(async () => {
  await platform?.stop();
});

async function snapshot() {
  return { rows: await countRows(platform.database.url), files: await countFiles(platform.blobDir) };
}

describe('webhook targets on private networks', () => {
  it.each(['http://127.0.0.1:8080/hook', 'http://10.0.0.7/hook', 'http://169.254.169.254/latest/meta-data', 'http://[::1]/hook', 'http://localhost/hook'])(
    'a submit with webhook_url %s -> 422 naming webhook_url, nothing written',
    async (url) => {
      const before = await snapshot();
      expectProblem(await platform.api.submit({ prompt: 'x', webhook_url: url }), 422, ['webhook_url']);
      expect(await snapshot()).toEqual(before);
    },
  );

  it('registering an endpoint on a private address -> 422 naming url', async () => {
    expectProblem(await platform.api.request('POST', '/v1/webhooks/endpoints', { json: { url: 'http://192.168.1.10/hook' } }), 422, ['url']);
  });
});
