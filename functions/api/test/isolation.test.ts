import { PreviewEngine, WorkerAgent } from '@kontext/gpu-worker';
import { describe, expect } from 'vitest';
import type { ApiClient, ApiResponse } from '../../../test/harness/api-client.ts';
import { it } from '../../../test/harness/fixtures.ts';
import { pngImage } from '../../../test/harness/images.ts';
import { withSql } from '../../../test/harness/sql.ts';
import type { TestPlatform } from '../../../test/harness/platform.ts';

// Tenant isolation, proven over the whole tenant API rather than route by route: walk the
// OpenAPI document and call EVERY /v1/ operation with tenant B's key (all scopes), aimed at
// tenant A's resources. Where the operation names a resource (a path parameter, or get_result's
// id) the answer must be 404, exactly as for a resource that does not exist: never 403, never
// 409 ("exists but finished"), never data. Where it names none, any status will do, but nothing
// of A may appear in the answer. The walker refuses operations it does not know how to aim, so
// a new route cannot slip past this test untargeted.

interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
}

interface OpenApiSchema {
  $ref?: string;
  type?: string;
  required?: string[];
  properties?: Record<string, unknown>;
}

interface OpenApiOperation {
  security?: Record<string, string[]>[];
  parameters?: OpenApiParameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: OpenApiSchema }> };
  responses: Record<string, unknown>;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, OpenApiSchema> };
}

type ResourceKind = 'job' | 'apiKey' | 'asset' | 'webhookEndpoint' | 'webhookDelivery' | 'member' | 'invitation';

/** Tenant A's resources of each kind a tenant route can name. */
type Resources = Record<ResourceKind, string[]>;

interface Probe {
  /** `METHOD /path/template`, as in the document. */
  operation: string;
  method: string;
  url: string;
  json?: Record<string, unknown>;
  /** The A resource this probe names, or null when the operation names none. */
  target: { kind: ResourceKind; id: string; via: 'path' | 'get_result' } | null;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']);

/** The collection a path parameter sits under decides which kind of resource it names. */
const PATH_PARAMETER_KINDS: Record<string, ResourceKind> = {
  jobs: 'job',
  keys: 'apiKey',
  assets: 'asset',
  endpoints: 'webhookEndpoint',
  deliveries: 'webhookDelivery',
  members: 'member',
  invitations: 'invitation',
};

/** Required query parameters that name a resource, per path. */
const QUERY_RESOURCE_PARAMETERS: Record<string, Record<string, ResourceKind>> = { '/v1/get_result': { id: 'job' } };

/** Optional query parameters worth setting because they make an answer reveal more (per-key usage). */
const REVEALING_QUERY_VALUES: Record<string, string> = { group_by: 'key' };

/** Values for the required fields of a request body: the minimal valid body. */
const MINIMAL_FIELD_VALUES: Record<string, unknown> = { prompt: 'isolation probe', name: 'isolation probe', url: 'http://127.0.0.1:9/probe', email: 'probe@example.com', role: 'viewer' };

/**
 * Operations not walked, each with why. /v1/blobs/{token} takes no API key: it is authorized by
 * the signature in its URL (an HMAC over the storage key and expiry), so "another tenant's key"
 * means nothing there; security.test.ts covers forged and expired signatures.
 */
const SKIPPED_OPERATIONS = new Set(['GET /v1/blobs/{token}']);

/**
 * Operations an API key cannot use at all, so "another tenant's key" has nothing to aim: the
 * sign-in routes take no credential (security []) and name nothing of a tenant's but a mailed
 * token, and the account routes take only a session (a key gets 403 before anything is read).
 * people-team.test.ts aims another tenant's session at every tenant route that names a resource,
 * and at the account route that names one (DELETE /v1/me/sessions/{id}).
 */
function isKeylessOperation(operation: OpenApiOperation): boolean {
  const schemes = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
  return operation.security !== undefined && !schemes.includes('apiKey');
}

class UntargetableOperation extends Error {}

function minimalBody(document: OpenApiDocument, operation: string, schema: OpenApiSchema): Record<string, unknown> {
  const resolved = schema.$ref ? document.components.schemas[schema.$ref.replace('#/components/schemas/', '')] : schema;
  if (!resolved || resolved.type !== 'object') throw new UntargetableOperation(`${operation}: request body schema ${JSON.stringify(schema)} is not an object`);
  const body: Record<string, unknown> = {};
  for (const field of resolved.required ?? []) {
    if (!(field in MINIMAL_FIELD_VALUES)) throw new UntargetableOperation(`${operation}: no minimal value for required body field "${field}"`);
    body[field] = MINIMAL_FIELD_VALUES[field];
  }
  return body;
}

/** Every probe for every tenant operation in the document; throws on an operation it cannot aim. */
function planProbes(document: OpenApiDocument, resources: Resources): { probes: Probe[]; operations: string[]; skipped: string[] } {
  const probes: Probe[] = [];
  const operations: string[] = [];
  const skipped: string[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    if (!path.startsWith('/v1/')) continue;
    for (const [method, operation] of Object.entries(item)) {
      if (!HTTP_METHODS.has(method)) continue;
      const name = `${method.toUpperCase()} ${path}`;
      if (SKIPPED_OPERATIONS.has(name) || isKeylessOperation(operation)) {
        skipped.push(name);
        continue;
      }
      operations.push(name);
      const parameters = operation.parameters ?? [];

      // Path parameters: each names the resource of the collection it follows.
      const segments = path.split('/');
      const pathParameters: { name: string; kind: ResourceKind }[] = [];
      segments.forEach((segment, index) => {
        const match = /^\{(.+)\}$/.exec(segment);
        if (!match?.[1]) return;
        const collection = segments[index - 1] ?? '';
        const kind = PATH_PARAMETER_KINDS[collection];
        if (!kind) throw new UntargetableOperation(`${name}: no resource kind for path parameter {${match[1]}} under /${collection}/`);
        pathParameters.push({ name: match[1], kind });
      });
      if (pathParameters.length > 1) throw new UntargetableOperation(`${name}: more than one path parameter`);

      // Query parameters: required ones must be known resource parameters.
      const query = new URLSearchParams();
      let queryResource: { name: string; kind: ResourceKind } | undefined;
      for (const parameter of parameters) {
        if (parameter.in === 'path') {
          if (!pathParameters.some((known) => known.name === parameter.name)) throw new UntargetableOperation(`${name}: path parameter ${parameter.name} not in the path`);
          continue;
        }
        if (parameter.in !== 'query') {
          if (parameter.required) throw new UntargetableOperation(`${name}: required ${parameter.in} parameter ${parameter.name}`);
          continue;
        }
        const kind = QUERY_RESOURCE_PARAMETERS[path]?.[parameter.name];
        if (kind) queryResource = { name: parameter.name, kind };
        else if (parameter.required) throw new UntargetableOperation(`${name}: no value for required query parameter ${parameter.name}`);
        else if (parameter.name in REVEALING_QUERY_VALUES) query.set(parameter.name, REVEALING_QUERY_VALUES[parameter.name] ?? '');
      }
      if (queryResource && pathParameters.length > 0) throw new UntargetableOperation(`${name}: names resources in both path and query`);

      // Request body: the minimal valid JSON body, whether required or optional. A multipart form
      // beside it holds the same fields as parts and is read into that same JSON body.
      let json: Record<string, unknown> | undefined;
      if (operation.requestBody) {
        const contentTypes = Object.keys(operation.requestBody.content);
        const schema = operation.requestBody.content['application/json']?.schema;
        const others = contentTypes.filter((type) => type !== 'application/json' && type !== 'multipart/form-data');
        if (!schema || others.length > 0) throw new UntargetableOperation(`${name}: request body is not JSON: ${contentTypes.join(', ')}`);
        json = minimalBody(document, name, schema);
      }
      // An operation that declares no body (POST /v1/jobs/{id}/cancel) gets none.

      const base = { operation: name, method: method.toUpperCase(), ...(json ? { json } : {}) };
      const pathParameter = pathParameters[0];
      if (pathParameter) {
        for (const id of resources[pathParameter.kind]) {
          const url = path.replace(`{${pathParameter.name}}`, encodeURIComponent(id)) + (query.size ? `?${query}` : '');
          probes.push({ ...base, url, target: { kind: pathParameter.kind, id, via: 'path' } });
        }
      } else if (queryResource) {
        for (const id of resources[queryResource.kind]) {
          const withId = new URLSearchParams(query);
          withId.set(queryResource.name, id);
          probes.push({ ...base, url: `${path}?${withId}`, target: { kind: queryResource.kind, id, via: 'get_result' } });
        }
      } else {
        probes.push({ ...base, url: path + (query.size ? `?${query}` : ''), target: null });
      }
    }
  }
  return { probes, operations, skipped };
}

/** The tenant operations in the document today; the walk must cover at least these. */
const CURRENT_TENANT_OPERATIONS = [
  'GET /v1/models',
  'POST /v1/flux-kontext-dev',
  'POST /v1/flux-kontext-pro',
  'POST /v1/flux-kontext-max',
  'GET /v1/get_result',
  'POST /v1/jobs/{id}/cancel',
  'GET /v1/credits',
  'GET /v1/usage',
  'POST /v1/keys',
  'GET /v1/keys',
  'POST /v1/keys/{id}/rotate',
  'DELETE /v1/keys/{id}',
  'GET /v1/jobs',
  'GET /v1/jobs/{id}',
  'GET /v1/jobs/{id}/lineage',
  'GET /v1/jobs/{id}/events',
  'POST /v1/jobs/{id}/edits',
  'GET /v1/assets/{id}',
  'GET /v1/assets/{id}/content',
  'POST /v1/webhooks/endpoints',
  'GET /v1/webhooks/endpoints',
  'PATCH /v1/webhooks/endpoints/{id}',
  'DELETE /v1/webhooks/endpoints/{id}',
  'POST /v1/webhooks/endpoints/{id}/rotate-secret',
  'POST /v1/webhooks/endpoints/{id}/test',
  'GET /v1/webhooks/deliveries',
  'POST /v1/webhooks/deliveries/{id}/redeliver',
  'GET /v1/credits/ledger',
  'GET /v1/members',
  'PATCH /v1/members/{user_id}',
  'DELETE /v1/members/{user_id}',
  'GET /v1/invitations',
  'POST /v1/invitations',
  'DELETE /v1/invitations/{id}',
  'GET /v1/audit-log',
];

/** The operations an API key cannot use, skipped by this walk (see isKeylessOperation). */
const KEYLESS_OPERATIONS = [
  'POST /v1/session',
  'GET /v1/session',
  'DELETE /v1/session',
  'POST /v1/session/link',
  'PUT /v1/session/tenant',
  'POST /v1/me/password',
  'GET /v1/me/sessions',
  'DELETE /v1/me/sessions/{id}',
  'POST /v1/password-reset',
  'POST /v1/password-reset/complete',
  'POST /v1/invitations/accept',
];

interface PublicKey {
  id: string;
  prefix: string;
  status: string;
  expires_at: string | null;
  replaced_by: string | null;
}

interface TenantA {
  tenantId: string;
  api: ApiClient;
  secondKey: { id: string; key: string };
  revokedKeyId: string;
  /** Succeeded (with input and output assets), still queued, canceled. */
  jobs: { succeeded: string; queued: string; canceled: string };
  assetIds: string[];
  endpointId: string;
  deliveryIds: string[];
  memberIds: string[];
  invitationId: string;
  memberEmails: string[];
  keyPrefixes: string[];
  plaintextKeys: string[];
}

// No built-in workers, so A's queued job stays queued (and cancelable) through the walk.
it.override({ platformOptions: { workerLoops: 0 } });


/** Tenant A with one resource of every kind and state a tenant route can name. */
async function createTenantA(platform: TestPlatform): Promise<TenantA> {
  const a = await platform.createTenantWithKey({ name: 'Tenant A', credits: 1000 });
  const second = await a.api.request<{ id: string; key: string }>('POST', '/v1/keys', { json: { name: 'second' } });
  expect(second.status, second.text).toBe(201);
  const third = await a.api.request<{ id: string }>('POST', '/v1/keys', { json: { name: 'revoked' } });
  expect(third.status, third.text).toBe(201);
  expect((await a.api.request('DELETE', `/v1/keys/${third.body.id}`)).status).toBe(200);

  // A webhook endpoint (on a closed port: its deliveries stay pending) that hears A's jobs.
  const endpoint = await a.api.request<{ id: string }>('POST', '/v1/webhooks/endpoints', { json: { url: 'http://127.0.0.1:9/a' } });
  expect(endpoint.status, endpoint.text).toBe(201);

  // A finished job with an input image: an input asset and an output asset.
  const agent = new WorkerAgent({ ctx: platform.ctx, engine: new PreviewEngine(), enginePool: 'kontext-dev', receiveWaitSeconds: 1 });
  agent.start();
  let succeeded: string;
  try {
    const input = await pngImage({ width: 256, height: 256, seed: 5 });
    const submitted = await a.api.submit({ prompt: 'a finished job', input_image: input.toString('base64') });
    expect(submitted.status, submitted.text).toBe(200);
    expect((await a.api.waitForResult(submitted.body.id)).status).toBe('Ready');
    succeeded = submitted.body.id;
  } finally {
    await agent.stop(1000);
  }
  const queued = await a.api.submit({ prompt: 'a queued job' }, { model: 'flux-kontext-pro' });
  expect(queued.status, queued.text).toBe(200);
  const toCancel = await a.api.submit({ prompt: 'a canceled job' });
  expect((await a.api.request('POST', `/v1/jobs/${toCancel.body.id}/cancel`)).status).toBe(200);

  const assets = await withSql(platform.database.url, (sql) => sql<{ id: string }[]>`SELECT id FROM assets WHERE tenant_id = ${a.tenantId} ORDER BY id`);
  expect(assets.length).toBeGreaterThanOrEqual(2);
  const keys = await a.api.request<{ data: PublicKey[] }>('GET', '/v1/keys');
  expect(keys.body.data).toHaveLength(3);
  const deliveries = await withSql(platform.database.url, (sql) => sql<{ id: string }[]>`SELECT id FROM webhook_deliveries WHERE tenant_id = ${a.tenantId}`);
  expect(deliveries.length).toBeGreaterThanOrEqual(1);

  // Two people (an owner and a viewer, joined by the operator's invitations) and a pending invitation.
  const memberEmails = ['owner-a@example.com', 'viewer-a@example.com'];
  for (const [index, email] of memberEmails.entries()) {
    const invited = await platform.admin.request<{ accept_url: string }>('POST', `/admin/v1/tenants/${a.tenantId}/invitations`, { json: { email, role: index === 0 ? 'owner' : 'viewer' } });
    expect(invited.status, invited.text).toBe(201);
    const token = new URL(invited.body.accept_url).hash.replace('#token=', '');
    const accepted = await platform.api.request('POST', '/v1/invitations/accept', { key: null, json: { token, password: 'a long enough password' } });
    expect(accepted.status, accepted.text).toBe(200);
  }
  const pending = await a.api.request<{ id: string }>('POST', '/v1/invitations', { json: { email: 'pending-a@example.com', role: 'developer' } });
  expect(pending.status, pending.text).toBe(201);
  const members = await a.api.request<{ data: { user_id: string }[] }>('GET', '/v1/members');
  expect(members.body.data).toHaveLength(2);
  return {
    tenantId: a.tenantId,
    api: a.api,
    secondKey: second.body,
    revokedKeyId: third.body.id,
    jobs: { succeeded, queued: queued.body.id, canceled: toCancel.body.id },
    assetIds: assets.map((asset) => asset.id),
    endpointId: endpoint.body.id,
    deliveryIds: deliveries.map((delivery) => delivery.id),
    memberIds: members.body.data.map((member) => member.user_id),
    invitationId: pending.body.id,
    memberEmails: [...memberEmails, 'pending-a@example.com'],
    keyPrefixes: keys.body.data.map((key) => key.prefix),
    plaintextKeys: [a.key, second.body.key],
  };
}

function identifiersOf(a: TenantA, keyIds: string[]): string[] {
  return [a.tenantId, ...Object.values(a.jobs), ...keyIds, ...a.assetIds, a.endpointId, ...a.deliveryIds, ...a.memberIds, a.invitationId, ...a.memberEmails, ...a.keyPrefixes, ...a.plaintextKeys];
}

async function snapshot(platform: TestPlatform, a: TenantA) {
  const keys = await a.api.request<{ data: PublicKey[] }>('GET', '/v1/keys');
  const credits = await a.api.request<{ credits: number; reserved: number }>('GET', '/v1/credits');
  const jobs = await withSql(platform.database.url, (sql) =>
    sql<{ id: string; status: string; finished_at: Date | null }[]>`SELECT id, status::text AS status, finished_at FROM jobs WHERE tenant_id = ${a.tenantId} ORDER BY id`,
  );
  const keyRows = await withSql(platform.database.url, (sql) =>
    sql<{ id: string; revoked_at: Date | null; replaced_by_key_id: string | null }[]>`
      SELECT id, revoked_at, replaced_by_key_id FROM api_keys WHERE tenant_id = ${a.tenantId} ORDER BY id`,
  );
  const endpoints = await a.api.request<{ data: { id: string; url: string; status: string; secret_rotation_ends_at: string | null }[] }>('GET', '/v1/webhooks/endpoints');
  const members = await a.api.request<{ data: unknown[] }>('GET', '/v1/members');
  const invitations = await a.api.request<{ data: unknown[] }>('GET', '/v1/invitations');
  return {
    members: members.body.data,
    invitations: invitations.body.data,
    endpoints: endpoints.body.data,
    keys: keys.body.data.map(({ id, status, expires_at, replaced_by }) => ({ id, status, expires_at, replaced_by })),
    credits: credits.body,
    jobs,
    keyRows,
  };
}

function describeResponse(probe: Probe, response: ApiResponse): string {
  return `${probe.method} ${probe.url} -> ${response.status} ${response.text.slice(0, 300)}`;
}

describe('the walker', () => {
  const resources: Resources = { job: ['job_A'], apiKey: ['key_A'], asset: ['ast_A'], webhookEndpoint: ['whe_A'], webhookDelivery: ['msg_A'], member: ['usr_A'], invitation: ['inv_A'] };
  const documentWith = (paths: OpenApiDocument['paths']): OpenApiDocument => ({ paths, components: { schemas: {} } });

  it('refuses an operation it does not know how to aim, so a new route cannot go unchecked', () => {
    expect(() => planProbes(documentWith({ '/v1/widgets/{id}': { get: { responses: {} } } }), resources)).toThrow(UntargetableOperation);
    expect(() =>
      planProbes(documentWith({ '/v1/search': { get: { parameters: [{ name: 'tenant', in: 'query', required: true }], responses: {} } } }), resources),
    ).toThrow(/required query parameter tenant/);
    expect(() =>
      planProbes(
        documentWith({
          '/v1/things': { post: { requestBody: { content: { 'application/json': { schema: { type: 'object', required: ['colour'] } } } }, responses: {} } },
        }),
        resources,
      ),
    ).toThrow(/required body field "colour"/);
    expect(() =>
      planProbes(documentWith({ '/v1/uploads': { post: { requestBody: { content: { 'image/png': { schema: {} } } }, responses: {} } } }), resources),
    ).toThrow(/request body is not JSON/);
  });

  it('aims a known operation at every resource of its kind', () => {
    const { probes } = planProbes(documentWith({ '/v1/jobs/{id}/cancel': { post: { responses: {} } } }), { job: ['job_1', 'job_2'], apiKey: [], asset: [], webhookEndpoint: [], webhookDelivery: [], member: [], invitation: [] });
    expect(probes.map((probe) => probe.url)).toEqual(['/v1/jobs/job_1/cancel', '/v1/jobs/job_2/cancel']);
  });
});

describe("another tenant's key against this tenant's resources", () => {
  it('every tenant operation in the OpenAPI document answers 404 for a named resource and leaks nothing otherwise', async ({ platform }) => {
    const a = await createTenantA(platform);
    const b = await platform.createTenantWithKey({ name: 'Tenant B' });
    const aKeyIds = (await a.api.request<{ data: PublicKey[] }>('GET', '/v1/keys')).body.data.map((key) => key.id);
    const resources: Resources = {
      job: [a.jobs.succeeded, a.jobs.queued, a.jobs.canceled],
      // The revoked key first: rotating it would answer 409 to its owner.
      apiKey: [a.revokedKeyId, a.secondKey.id, ...aKeyIds.filter((id) => id !== a.revokedKeyId && id !== a.secondKey.id)],
      asset: a.assetIds,
      webhookEndpoint: [a.endpointId],
      webhookDelivery: a.deliveryIds,
      member: a.memberIds,
      invitation: [a.invitationId],
    };
    expect(resources.apiKey).toHaveLength(3);
    const identifiers = identifiersOf(a, aKeyIds);
    const before = await snapshot(platform, a);

    const document = (await platform.api.request<OpenApiDocument>('GET', '/openapi.json', { key: null })).body;
    const { probes, operations, skipped } = planProbes(document, resources);
    expect(skipped.sort()).toEqual(['GET /v1/blobs/{token}', ...KEYLESS_OPERATIONS].sort());

    const walked = new Set<string>();
    for (const probe of probes) {
      const response = await b.api.request(probe.method, probe.url, probe.json ? { json: probe.json } : {});
      walked.add(probe.operation);
      const context = describeResponse(probe, response);
      const exposed = `${response.text}\n${[...response.headers.entries()].map(([name, value]) => `${name}: ${value}`).join('\n')}`;
      // An answer may echo the id it was asked about, and nothing else of A's.
      for (const identifier of identifiers) {
        if (identifier === probe.target?.id) continue;
        expect(exposed.includes(identifier), `${context}\nleaks ${identifier}`).toBe(false);
      }
      if (!probe.target) continue;

      expect(response.status, context).toBe(404);
      const operation = document.paths[probe.operation.slice(probe.operation.indexOf(' ') + 1)]?.[probe.method.toLowerCase()];
      expect(Object.keys(operation?.responses ?? {}), `${context}: 404 is documented`).toContain('404');
      if (probe.target.via === 'get_result') {
        // BFL's body, because BFL clients branch on the status string.
        expect(response.headers.get('content-type'), context).toMatch(/^application\/json/);
        expect(response.body, context).toEqual({ id: probe.target.id, status: 'Task not found', result: null, progress: null, details: null });
      } else {
        expect(response.headers.get('content-type'), context).toBe('application/problem+json');
        expect(response.body, context).toMatchObject({ status: 404, title: 'Not found', type: 'urn:kontext:problem:not-found' });
      }
    }

    // Coverage: every operation in the document was walked, at least those there today.
    expect([...walked].sort()).toEqual([...operations].sort());
    expect(walked.size).toBeGreaterThanOrEqual(CURRENT_TENANT_OPERATIONS.length);
    expect([...walked]).toEqual(expect.arrayContaining(CURRENT_TENANT_OPERATIONS));
    // And every A resource was aimed at by every operation of its kind.
    expect(probes.filter((probe) => probe.target?.via === 'get_result')).toHaveLength(3);
    expect(probes.filter((probe) => probe.target?.kind === 'apiKey')).toHaveLength(6);

    // A's resources are untouched: jobs, keys, balance.
    const after = await snapshot(platform, a);
    expect(after).toEqual(before);
    expect(after.jobs.find((job) => job.id === a.jobs.queued)?.status).toBe('queued');
    const queued = await a.api.getResult(a.jobs.queued);
    expect(queued.body).toMatchObject({ status: 'Pending', details: { status: 'queued' } });
    for (const key of after.keys) if (key.id !== a.revokedKeyId) expect(key).toMatchObject({ status: 'active', replaced_by: null, expires_at: null });
    // 1000, less the succeeded dev job (2) and the queued pro job's reservation (4); the canceled job was refunded.
    expect(after.credits).toEqual({ credits: 1000 - 2 - 4, reserved: 4 });
    for (const key of a.plaintextKeys) {
      platform.ctx.apiKeyCache.clear();
      expect((await a.api.request('GET', '/v1/models', { key })).status).toBe(200);
    }
  });
});
