import { createHmac, randomBytes } from 'node:crypto';

// Standard Webhooks signing: HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`, sent as
// `v1,<base64>`; several space-separated signatures while a secret rotates.

const WHSEC_PREFIX = 'whsec_';

/** A new endpoint secret: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return `${WHSEC_PREFIX}${randomBytes(32).toString('base64')}`;
}

/**
 * The HMAC key of a secret. A `whsec_` secret is used as Standard Webhooks specifies (the base64
 * after the prefix is the key); any other string (a per-request webhook_secret in another form)
 * is used as its raw UTF-8 bytes.
 */
export function signingKeyOf(secret: string): Buffer {
  if (secret.startsWith(WHSEC_PREFIX)) return Buffer.from(secret.slice(WHSEC_PREFIX.length), 'base64');
  return Buffer.from(secret, 'utf8');
}

export function signatureHeader(messageId: string, timestampSeconds: number, body: string, secrets: string[]): string {
  return secrets
    .map((secret) => {
      const mac = createHmac('sha256', signingKeyOf(secret)).update(`${messageId}.${timestampSeconds}.${body}`).digest('base64');
      return `v1,${mac}`;
    })
    .join(' ');
}
