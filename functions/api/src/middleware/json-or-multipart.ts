import type { RouteConfig } from '@hono/zod-openapi';
import { INPUT_IMAGE_FIELDS, ProblemError } from '@kontext/core';
import type { MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import type { ApiEnv } from '../env.ts';
import { formFieldsOf } from '../multipart/form-fields.ts';
import { readMultipartForm, type MultipartLimits } from '../multipart/read-multipart-form.ts';

/**
 * A submit's body as JSON (BFL's form) or as multipart/form-data (a file from curl -F or a browser
 * form). A form is read into the JSON text of the same request, which then takes the JSON path:
 * the same validation and messages, the same Idempotency-Key fingerprint (a retried upload with a
 * new boundary is still the same request), the same submit. Anything else is a 415.
 */
export function jsonOrMultipart(schema: z.ZodObject, limits: MultipartLimits): MiddlewareHandler<ApiEnv> {
  const fields = formFieldsOf(schema, INPUT_IMAGE_FIELDS);
  return async (c, next) => {
    const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (type === 'application/json') return next();
    if (type !== 'multipart/form-data') {
      throw new ProblemError('unsupported_media_type', 'send the request body as JSON (Content-Type: application/json) or as multipart/form-data');
    }
    const json = await readMultipartForm(c.req.raw, fields, limits);
    const form = c.req.raw;
    const headers = new Headers(form.headers);
    headers.set('content-type', 'application/json');
    headers.delete('content-length');
    c.req.raw = new Request(form.url, { method: form.method, headers, signal: form.signal });
    // Hono caches each body reading as a promise (its type says the value): the JSON text is
    // handed over without encoding it into a second body, which would hold the upload twice.
    c.req.bodyCache.text = Promise.resolve(json) as unknown as string;
    await next();
  };
}

/**
 * The route with multipart/form-data added to its documented body. Added after the route's type is
 * fixed: the handler reads the body as JSON (`c.req.valid('json')`), which is what the form became,
 * and the form's schema is plain JSON Schema, which no validator of the route runs.
 */
export function withMultipartForm<R extends RouteConfig>(route: R, schema: z.ZodObject): R {
  const body = route.request?.body;
  if (!body) throw new Error('a multipart form needs a route with a body');
  const form = { 'multipart/form-data': { schema: formFieldsOf(schema, INPUT_IMAGE_FIELDS).documentSchema } };
  return { ...route, request: { ...route.request, body: { ...body, content: { ...body.content, ...form } } } };
}
