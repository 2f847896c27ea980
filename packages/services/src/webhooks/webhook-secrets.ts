import type { ServiceContext } from '../context.ts';

// Webhook signing secrets are stored sealed (encrypted, see @kontext/secrets), each bound to the
// row it belongs to: an endpoint's current and previous secret to the endpoint, a per-request
// secret to its job. These are the only places that seal or open them.

export function endpointSecretContext(endpointId: string): string {
  return `webhook-endpoint:${endpointId}`;
}

export function jobSecretContext(jobId: string): string {
  return `job-webhook:${jobId}`;
}

export function sealEndpointSecret(ctx: ServiceContext, endpointId: string, secret: string): Promise<string> {
  return ctx.secrets.seal(secret, endpointSecretContext(endpointId));
}

export function openEndpointSecret(ctx: ServiceContext, endpointId: string, stored: string): Promise<string> {
  return ctx.secrets.open(stored, endpointSecretContext(endpointId));
}

export function sealJobSecret(ctx: ServiceContext, jobId: string, secret: string | null | undefined): Promise<string | null> {
  return secret ? ctx.secrets.seal(secret, jobSecretContext(jobId)) : Promise.resolve(null);
}

export function openJobSecret(ctx: ServiceContext, jobId: string, stored: string | null): Promise<string | null> {
  return stored ? ctx.secrets.open(stored, jobSecretContext(jobId)) : Promise.resolve(null);
}
