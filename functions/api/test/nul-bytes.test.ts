import { describe, expect } from 'vitest';
import type { ApiClient, ApiResponse } from '../../../test/harness/api-client.ts';
import { test } from '../../../test/harness/fixtures.ts';
import { joinTenant } from '../../../test/harness/people.ts';
import type { TestPlatform } from '../../../test/harness/platform.ts';
import { expectProblem } from '../../../test/harness/problems.ts';

// Postgres text cannot hold U+0000. Every piece of text a client can send (each query and path
// parameter and each body field of every operation, read from the OpenAPI document itself, so a
// new one cannot be missed) refuses it with a 422 naming that field, never a 500; and the
// document says so, as a pattern no NUL can match.

interface Schema {
  type?: string | string[];
  enum?: unknown[];
  pattern?: string;
  properties?: Record<string, Schema>;
  $ref?: string;
  anyOf?: Schema[];
}
interface Operation {
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; schema: Schema }[];
  requestBody?: { content: { 'application/json'?: { schema: Schema } } };
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

/** A valid body for each request schema, into which one field at a time gets a NUL. */
const VALID_BODIES: Record<string, Record<string, unknown>> = {
  SubmitRequest: { prompt: 'a red bicycle' },
  EditRequest: { prompt: 'make it blue' },
  CreateWebhookEndpointRequest: { url: 'http://127.0.0.1:9/hook' },
  UpdateWebhookEndpointRequest: {},
  RotateWebhookSecretRequest: {},
  CreateApiKeyRequest: { name: 'ci' },
  RotateApiKeyRequest: {},
  CreateTenantRequest: { name: 'Acme' },
  UpdateTenantRequest: { limits: {} },
  CreditAdjustmentRequest: { amount: 5, reason: 'goodwill' },
  SignInRequest: { email: 'someone@example.com', password: 'a password' },
  SignInWithLinkRequest: { token: `sgn_${'a'.repeat(43)}` },
  SwitchTenantRequest: { tenant_id: 'ten_01JD3M5X0000000000000000' },
  ChangePasswordRequest: { current_password: 'a password', new_password: 'a new long password' },
  RequestPasswordReset: { email: 'someone@example.com' },
  CompletePasswordReset: { token: `pwr_${'a'.repeat(43)}`, password: 'a new long password' },
  UpdateMemberRequest: { role: 'viewer' },
  CreateInvitationRequest: { email: 'someone@example.com', role: 'viewer' },
  AcceptInvitationRequest: { token: `inv_${'a'.repeat(43)}`, password: 'a long enough password' },
};

test.override({ platformOptions: { workerLoops: 0 } });

/** The platform's OpenAPI document, read once for the file. */
const it = test.extend('doc', { scope: 'file' }, async ({ platform }) => (await (await platform.app.request('/openapi.json')).json()) as Document);

function resolve(doc: Document, schema: Schema): Schema {
  if (schema.$ref) return resolve(doc, doc.components.schemas[schema.$ref.split('/').at(-1)!]!);
  return schema;
}

function isText(doc: Document, schema: Schema): boolean {
  const resolved = resolve(doc, schema);
  const types = [resolved.type ?? resolved.anyOf?.map((s) => resolve(doc, s).type)].flat();
  return types.includes('string') && resolved.enum === undefined;
}

function componentName(schema: Schema): string {
  return schema.$ref!.split('/').at(-1)!.replace(/-.*$/, '');
}

/** Every place an operation takes text: [operation label, where, field]. */
function textInputs(doc: Document): { method: string; path: string; where: 'query' | 'path' | 'header' | 'body'; field: string; schema: Schema }[] {
  const inputs = [];
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      for (const parameter of operation.parameters ?? []) {
        if (isText(doc, parameter.schema)) inputs.push({ method, path, where: parameter.in as 'query' | 'path' | 'header', field: parameter.name, schema: parameter.schema });
      }
      const body = operation.requestBody?.content['application/json']?.schema;
      if (body) {
        for (const [field, schema] of Object.entries(resolve(doc, body).properties ?? {})) {
          if (isText(doc, schema)) inputs.push({ method, path, where: 'body' as const, field, schema });
        }
      }
    }
  }
  return inputs;
}

interface Requester {
  request(method: string, path: string, options: { json?: unknown; headers?: Record<string, string> }): Promise<ApiResponse>;
}

/** The operator's token, a signed-in session for the account routes (which refuse keys), or the dev key. */
async function clientFor(platform: TestPlatform, path: string, operation: Operation, session: () => Promise<Requester>): Promise<ApiClient | Requester> {
  if (path.startsWith('/admin/')) return platform.admin;
  const sessionOnly = JSON.stringify(operation.security) === JSON.stringify([{ sessionCookie: [] }]);
  return sessionOnly ? session() : platform.api;
}

/** Query values that are valid for each operation's other required parameters. */
function requiredQuery(operation: Operation, except: string): string {
  const values: Record<string, string> = { id: 'job_01JD3M5X0000000000000000', expires: '9999999999', signature: 'x' };
  return (operation.parameters ?? [])
    .filter((p) => p.in === 'query' && p.required && p.name !== except)
    .map((p) => `${p.name}=${encodeURIComponent(values[p.name] ?? 'x')}`)
    .join('&');
}

describe('a NUL character in any text a client sends', () => {
  it('is excluded by the pattern the document gives every text input', ({ doc }) => {
    const inputs = textInputs(doc);
    expect(inputs.length).toBeGreaterThan(40);
    const unguarded = inputs.filter(({ schema }) => {
      const pattern = resolve(doc, schema).pattern ?? resolve(doc, schema).anyOf?.map((s) => resolve(doc, s).pattern).find(Boolean);
      return pattern === undefined || new RegExp(pattern).test('a\u0000b');
    });
    expect(unguarded.map((input) => `${input.method} ${input.path} ${input.where}:${input.field}`)).toEqual([]);
  });

  it('every request body has a valid example here, so every body field is probed', ({ doc }) => {
    const bodies = Object.values(doc.paths).flatMap((operations) =>
      Object.values(operations).flatMap((operation) => {
        const schema = operation.requestBody?.content['application/json']?.schema;
        return schema ? [componentName(schema)] : [];
      }),
    );
    expect([...new Set(bodies)].filter((name) => !(name in VALID_BODIES))).toEqual([]);
  });

  it('is refused with a 422 naming the field, in every query, path, header and body', async ({ platform, doc }) => {
    const refusedWrongly: string[] = [];
    let signedIn: Promise<Requester> | undefined;
    const session = () =>
      (signedIn ??= platform
        .createTenantWithKey({ name: 'NUL probes' })
        .then((tenant) => joinTenant(platform, tenant.tenantId, 'owner'))
        .then((member) => member.browser));
    for (const input of textInputs(doc)) {
      const operation = doc.paths[input.path]![input.method]!;
      const withNul = 'a\u0000b';
      let path = input.path.replace(/\{(\w+)\}/g, (_, name: string) => (name === input.field && input.where === 'path' ? encodeURIComponent(withNul) : 'x'));
      const query = [requiredQuery(operation, input.field), input.where === 'query' ? `${input.field}=${encodeURIComponent(withNul)}` : '']
        .filter(Boolean)
        .join('&');
      if (query) path += `?${query}`;
      const bodySchema = operation.requestBody?.content['application/json']?.schema;
      const body = bodySchema ? { ...VALID_BODIES[componentName(bodySchema)], ...(input.where === 'body' ? { [input.field]: withNul } : {}) } : undefined;
      // A header cannot carry NUL (or any control character) on the wire: a value outside its pattern stands in.
      const headers = input.where === 'header' ? { [input.field]: 'a b' } : undefined;
      const client = await clientFor(platform, input.path, operation, session);
      const response = await client.request(input.method.toUpperCase(), path, {
        ...(body ? { json: body } : {}),
        ...(headers ? { headers } : {}),
      });
      const label = `${input.method.toUpperCase()} ${input.path} ${input.where}:${input.field} -> ${response.status} ${response.text.slice(0, 200)}`;
      if (response.status !== 422) {
        refusedWrongly.push(label);
        continue;
      }
      const problem = expectProblem(response, 422);
      if (!problem.errors?.some((error) => error.field === input.field || error.field.toLowerCase() === input.field)) refusedWrongly.push(label);
    }
    expect(refusedWrongly).toEqual([]);
  });
});
