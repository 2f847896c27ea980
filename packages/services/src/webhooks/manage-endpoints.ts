import { newId, ProblemError, WEBHOOK_EVENTS, type WebhookEvent } from '@kontext/core';
import {
  deleteWebhookEndpoint as deleteEndpointRow,
  disableWebhookEndpoint,
  findWebhookEndpoint,
  insertWebhookEndpoint,
  listWebhookEndpoints as listEndpointRows,
  rotateWebhookSecret as rotateSecretRow,
  updateWebhookEndpoint as updateEndpointRow,
} from '@kontext/db';
import { requireScope, type AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';
import { checkWebhookTarget } from './check-webhook-target.ts';
import { presentEndpoint, type PublicWebhookEndpoint } from './present-webhooks.ts';
import { generateWebhookSecret } from './signing.ts';
import { sealEndpointSecret } from './webhook-secrets.ts';

// A tenant's webhook endpoints: each verb checks the scope first, then works only inside the
// key's tenant (another tenant's endpoint is not found).

const DEFAULT_ROTATION_OVERLAP_SECONDS = 24 * 3600;

export async function createWebhookEndpoint({
  ctx,
  input,
}: VerbArgs<{ auth: AuthenticatedPrincipal; url: string; events?: WebhookEvent[] | undefined; description?: string | undefined }>): Promise<
  PublicWebhookEndpoint & { secret: string }
> {
  requireScope(input.auth, 'webhooks:write');
  await checkWebhookTarget(ctx, input.url, 'url');
  const secret = generateWebhookSecret();
  const id = newId('webhookEndpoint');
  const row = await insertWebhookEndpoint(ctx.db, {
    id,
    tenantId: input.auth.tenantId,
    url: input.url,
    events: [...new Set(input.events ?? WEBHOOK_EVENTS)],
    description: input.description ?? '',
    secret: await sealEndpointSecret(ctx, id, secret),
  });
  return { ...presentEndpoint(row), secret };
}

export async function listWebhookEndpoints({ ctx, input }: VerbArgs<{ auth: AuthenticatedPrincipal }>): Promise<{ data: PublicWebhookEndpoint[] }> {
  requireScope(input.auth, 'webhooks:read');
  const rows = await listEndpointRows(ctx.db, input.auth.tenantId);
  return { data: rows.map((row) => presentEndpoint(row)) };
}

export async function updateWebhookEndpoint({
  ctx,
  input,
}: VerbArgs<{
  auth: AuthenticatedPrincipal;
  id: string;
  url?: string | undefined;
  events?: WebhookEvent[] | undefined;
  description?: string | undefined;
  enabled?: boolean | undefined;
}>): Promise<PublicWebhookEndpoint> {
  requireScope(input.auth, 'webhooks:write');
  if (input.url) await checkWebhookTarget(ctx, input.url, 'url');
  const row = await updateEndpointRow(ctx.db, input.auth.tenantId, input.id, {
    ...(input.url !== undefined ? { url: input.url } : {}),
    ...(input.events !== undefined ? { events: [...new Set(input.events)] } : {}),
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(input.enabled === true ? { enable: true } : {}),
  });
  if (!row) throw new ProblemError('not_found', `no webhook endpoint ${input.id}`);
  if (input.enabled === false && row.disabledAt === null) {
    const who = input.auth.member ? input.auth.member.email : `API key ${input.auth.id}`;
    await disableWebhookEndpoint(ctx.db, row.id, `disabled by ${who}`);
    const disabled = await findWebhookEndpoint(ctx.db, input.auth.tenantId, row.id);
    if (disabled) return presentEndpoint(disabled);
  }
  return presentEndpoint(row);
}

export async function deleteWebhookEndpoint({ ctx, input }: VerbArgs<{ auth: AuthenticatedPrincipal; id: string }>): Promise<void> {
  requireScope(input.auth, 'webhooks:write');
  if (!(await deleteEndpointRow(ctx.db, input.auth.tenantId, input.id))) throw new ProblemError('not_found', `no webhook endpoint ${input.id}`);
}

/** A new secret; during the overlap every delivery carries signatures of both, so receivers can switch at leisure. */
export async function rotateWebhookSecret({
  ctx,
  input,
}: VerbArgs<{ auth: AuthenticatedPrincipal; id: string; overlapSeconds?: number | undefined }>): Promise<PublicWebhookEndpoint & { secret: string }> {
  requireScope(input.auth, 'webhooks:write');
  const secret = generateWebhookSecret();
  const row = await rotateSecretRow(ctx.db, {
    tenantId: input.auth.tenantId,
    id: input.id,
    secret: await sealEndpointSecret(ctx, input.id, secret),
    overlapSeconds: input.overlapSeconds ?? DEFAULT_ROTATION_OVERLAP_SECONDS,
  });
  if (!row) throw new ProblemError('not_found', `no webhook endpoint ${input.id}`);
  return { ...presentEndpoint(row), secret };
}
