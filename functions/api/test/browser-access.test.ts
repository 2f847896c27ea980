import { describe, expect } from 'vitest';
import { test } from '../../../test/harness/fixtures.ts';

// What a person or a browser app meets first: the page at /, the docs' server URL, CORS for the
// origins the operator lists (and only for the API routes), problem bodies BFL's clients can
// print, and a live-status stream whose last event needs no extra poll.

const APP_ORIGIN = 'https://app.example.com';
test.override({ platformOptions: { corsOrigins: [APP_ORIGIN, 'http://localhost:5173'] } });

describe('the landing page', () => {
  test('GET / names the platform and links to the docs, the document and the health check, under a strict policy', async ({ platform }) => {
    const response = await platform.app.request('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = await response.text();
    expect(page).toContain('FLUX.1 Kontext API');
    for (const link of ['/docs', '/openapi.json', '/health']) expect(page).toContain(`href="${link}"`);
    expect(page).not.toMatch(/<script|<style|style=/);
  });
});

describe('the OpenAPI document', () => {
  test('names first the address it was read from, so "Try it out" calls the page\'s own origin', async ({ platform }) => {
    const atOtherHost = await platform.app.request('http://127.0.0.2:9999/openapi.json');
    const document = (await atOtherHost.json()) as { servers: { url: string }[] };
    expect(document.servers.map((server) => server.url)).toEqual(['http://127.0.0.2:9999', platform.publicBaseUrl]);
    const atPublicHost = await platform.app.request(new URL('/openapi.json', platform.publicBaseUrl));
    expect(((await atPublicHost.json()) as { servers: { url: string }[] }).servers).toEqual([{ url: platform.publicBaseUrl }]);
  });
});

describe('CORS', () => {
  test('a listed origin may call the API routes and read the headers it needs', async ({ platform, tenant }) => {
    const response = await platform.app.request('/v1/models', { headers: { origin: APP_ORIGIN, 'x-key': tenant.key } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(response.headers.get('access-control-expose-headers')).toContain('x-request-id');
    expect(response.headers.get('vary')).toContain('Origin');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  test('a preflight from a listed origin is answered with the methods and headers the API takes', async ({ platform }) => {
    const response = await platform.app.request('/v1/flux-kontext-dev', {
      method: 'OPTIONS',
      headers: { origin: APP_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-key, content-type' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')).toContain('x-key');
    expect(response.headers.get('access-control-allow-headers')).toContain('idempotency-key');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  test('an origin not listed gets no CORS headers, and a preflight from it is an ordinary OPTIONS', async ({ platform }) => {
    const simple = await platform.app.request('/v1/models', { headers: { origin: 'https://evil.example' } });
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await platform.app.request('/v1/flux-kontext-dev', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('allow')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('never the operator API, even for a listed origin', async ({ platform }) => {
    const response = await platform.app.request('/admin/v1/tenants', {
      headers: { origin: APP_ORIGIN, authorization: `Bearer ${platform.adminToken}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await platform.app.request('/admin/v1/tenants', {
      method: 'OPTIONS',
      headers: { origin: APP_ORIGIN, 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('is off where no origin is listed', async ({ startApiProcess }) => {
    const api = await startApiProcess();
    const response = await api.app.request('/v1/models', { headers: { origin: APP_ORIGIN } });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('problem bodies', () => {
  test('carry `message`, the same text as `detail`, for clients that print only that', async ({ platform, tenant }) => {
    const refused = await platform.client(tenant.key).submit({ prompt: '' });
    expect(refused.status).toBe(422);
    const problem = refused.body as unknown as { detail: string; message: string };
    expect(problem.message).toBe(problem.detail);
    expect(problem.message.length).toBeGreaterThan(0);
  });
});

describe('prompt_upsampling', () => {
  test("true is accepted, the job runs with the prompt as given, and its details say upsampling was unavailable", async ({ platform, tenant }) => {
    const api = platform.client(tenant.key);
    const finished = await api.submitAndWait({ prompt: 'a lighthouse at dusk', steps: 2, prompt_upsampling: true });
    expect(finished.status).toBe('Ready');
    expect(finished.details).toMatchObject({ prompt_upsampling: 'unavailable' });
    expect(finished.details).not.toHaveProperty('upsampled_prompt');
    expect(finished.result?.prompt).toBe('a lighthouse at dusk');
    const job = await api.request<{ prompt: string }>('GET', `/v1/jobs/${finished.id}`);
    expect(job.body.prompt).toBe('a lighthouse at dusk');
    // A submit that did not ask says nothing about it.
    const plain = await api.submitAndWait({ prompt: 'a lighthouse', steps: 2, prompt_upsampling: false });
    expect(plain.details).not.toHaveProperty('prompt_upsampling');
  });
});

describe('an unknown model', () => {
  test('is a 404 that names the models this server serves', async ({ platform, tenant }) => {
    const refused = await platform.client(tenant.key).submit({ prompt: 'x' }, { model: 'flux-kontext-nope' });
    expect(refused.status).toBe(404);
    const problem = refused.body as unknown as { detail: string };
    expect(problem.detail).toContain('flux-kontext-nope');
    for (const model of platform.ctx.catalog) expect(problem.detail).toContain(model.id);
  });
});

describe('live status', () => {
  test("the terminal event of a stream carries get_result's result", async ({ platform, tenant }) => {
    const api = platform.client(tenant.key);
    const finished = await api.submitAndWait({ prompt: 'a lighthouse', steps: 2 });
    expect(finished.status).toBe('Ready');
    const stream = await platform.app.request(`/v1/jobs/${finished.id}/events`, { headers: { 'x-key': tenant.key } });
    expect(stream.status).toBe(200);
    const text = await stream.text();
    const statusEvents = text
      .split('\n\n')
      .map((block) => Object.fromEntries(block.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)])))
      .filter((fields) => fields.event === 'status')
      .map((fields) => JSON.parse(fields.data ?? '{}') as Record<string, unknown>);
    const last = statusEvents.at(-1);
    expect(last).toMatchObject({ status: 'succeeded', bfl_status: 'Ready' });
    const result = last?.result as { sample: string } | undefined;
    expect(result?.sample).toMatch(/^http/);
    // The same image get_result links to (the URLs are signed fresh each time).
    const polled = await api.getResult(finished.id);
    expect(new URL(result!.sample).pathname).toBe(new URL(polled.body.result!.sample!).pathname);
    // Earlier status events (queued, running) carry no result.
    expect(statusEvents.slice(0, -1).every((event) => !('result' in event))).toBe(true);
  });
});
