import { describe, expect } from 'vitest';
import { it } from '../../../test/harness/fixtures.ts';

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
}

it.override({ platformOptions: { workerLoops: 0 } });

describe('the contract is generated from the route definitions', () => {
  it('/openapi.json lists every operation with its schemas and security', async ({ platform }) => {
    const response = await platform.api.request<OpenApiDocument>('GET', '/openapi.json', { key: null });
    expect(response.status).toBe(200);
    const doc = response.body;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/health',
        '/v1/blobs/{token}',
        '/v1/flux-kontext-dev',
        '/v1/flux-kontext-dev-fast',
        '/v1/flux-kontext-max',
        '/v1/flux-kontext-pro',
        '/v1/get_result',
        '/v1/models',
        '/v1/credits',
        '/v1/usage',
        '/v1/keys',
        '/v1/keys/{id}',
        '/v1/keys/{id}/rotate',
        '/v1/jobs',
        '/v1/jobs/{id}',
        '/v1/jobs/{id}/cancel',
        '/v1/jobs/{id}/edits',
        '/v1/jobs/{id}/events',
        '/v1/jobs/{id}/lineage',
        '/v1/assets/{id}',
        '/v1/assets/{id}/content',
        '/v1/webhooks/endpoints',
        '/v1/webhooks/endpoints/{id}',
        '/v1/webhooks/endpoints/{id}/rotate-secret',
        '/v1/webhooks/endpoints/{id}/test',
        '/v1/webhooks/deliveries',
        '/v1/webhooks/deliveries/{id}/redeliver',
        '/v1/credits/ledger',
        '/v1/session',
        '/v1/session/link',
        '/v1/session/tenant',
        '/v1/me/password',
        '/v1/me/sessions',
        '/v1/me/sessions/{id}',
        '/v1/password-reset',
        '/v1/password-reset/complete',
        '/v1/members',
        '/v1/members/{user_id}',
        '/v1/invitations',
        '/v1/invitations/accept',
        '/v1/invitations/{id}',
        '/v1/audit-log',
        '/admin/v1/tenants',
        '/admin/v1/tenants/{id}',
        '/admin/v1/tenants/{id}/credits',
        '/admin/v1/tenants/{id}/keys',
        '/admin/v1/tenants/{id}/invitations',
        '/admin/v1/usage',
      ].sort(),
    );
    for (const model of ['dev', 'pro', 'max']) {
      const submit = doc.paths[`/v1/flux-kontext-${model}`]?.post;
      expect(submit?.security).toEqual([{ apiKey: [] }, { bearer: [] }, { sessionCookie: [] }]);
      expect(Object.keys(submit?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '401', '402', '403', '413', '415', '422', '429']));
    }
    // Each model's submit body states that model's own step and image limits.
    for (const model of ['dev', 'dev-fast', 'pro', 'max']) expect(doc.components.schemas).toHaveProperty(`SubmitRequest-flux-kontext-${model}`);
    expect(doc.components.schemas).toHaveProperty('GetResultResponse');
    expect(doc.components.schemas).toHaveProperty('Problem');
    expect(doc.components.securitySchemes).toMatchObject({
      apiKey: { type: 'apiKey', in: 'header', name: 'x-key' },
      bearer: { type: 'http', scheme: 'bearer' },
      adminToken: { type: 'http', scheme: 'bearer' },
      sessionCookie: { type: 'apiKey', in: 'cookie', name: '__Host-kontext_session' },
    });
    // Every POST made with a key or the admin token takes an Idempotency-Key; the sign-in and
    // account routes do not, since replaying their answer would hand out a session.
    for (const [path, operations] of Object.entries(doc.paths)) {
      const post = operations.post as { parameters?: { name: string; in: string }[]; security?: Record<string, string[]>[] } | undefined;
      if (!post) continue;
      const signInOrAccount = post.security?.length === 0 || JSON.stringify(post.security) === JSON.stringify([{ sessionCookie: [] }]);
      if (signInOrAccount) expect(post.parameters ?? [], path).not.toContainEqual(expect.objectContaining({ name: 'idempotency-key' }));
      else expect(post.parameters, path).toContainEqual(expect.objectContaining({ name: 'idempotency-key', in: 'header' }));
    }
    for (const [path, operations] of Object.entries(doc.paths)) {
      if (!path.startsWith('/admin/')) continue;
      for (const operation of Object.values(operations)) expect(operation.security).toEqual([{ adminToken: [] }]);
    }
  });

  it('the submit schema documents every BFL field', async ({ platform }) => {
    const doc = (await platform.api.request<OpenApiDocument>('GET', '/openapi.json', { key: null })).body;
    const schema = doc.components.schemas['SubmitRequest-flux-kontext-dev'] as {
      properties: Record<string, { maximum?: number }>;
      required: string[];
      additionalProperties: boolean;
    };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining([
        'prompt', 'input_image', 'input_image_2', 'input_image_3', 'input_image_4', 'seed', 'aspect_ratio',
        'output_format', 'webhook_url', 'webhook_secret', 'prompt_upsampling', 'safety_tolerance',
      ]),
    );
    expect(schema.required).toEqual(['prompt']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.steps?.maximum).toBe(50);
  });

  it('/docs serves Swagger UI from this server, no CDN', async ({ platform }) => {
    const page = await platform.app.request(`${platform.url}/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//);
    for (const asset of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
      const response = await platform.app.request(`${platform.url}${asset[1]}`);
      expect(response.status, asset[1]).toBe(200);
    }
  });
});

describe('catalog and health', () => {
  it('GET /v1/models lists the four profiles with their endpoints and prices', async ({ platform }) => {
    const response = await platform.api.request<{ data: { id: string; submit_path: string; price_credits: number; weights: string }[] }>('GET', '/v1/models');
    expect(response.status).toBe(200);
    expect(response.body.data.map((m) => [m.id, m.submit_path, m.price_credits])).toEqual([
      ['flux-kontext-dev', '/v1/flux-kontext-dev', 2],
      ['flux-kontext-dev-fast', '/v1/flux-kontext-dev-fast', 2],
      ['flux-kontext-pro', '/v1/flux-kontext-pro', 4],
      ['flux-kontext-max', '/v1/flux-kontext-max', 8],
    ]);
    expect(new Set(response.body.data.map((m) => m.weights))).toEqual(new Set(['FLUX.1-Kontext-dev']));
  });

  it('GET /health reports the database', async ({ platform }) => {
    const response = await platform.api.request('GET', '/health', { key: null });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok', database: 'ok', version: expect.any(String) });
  });

  it('an unknown path is a problem+json 404 with a request id', async ({ platform }) => {
    const response = await platform.api.request('GET', '/v2/nothing');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
  });
});
