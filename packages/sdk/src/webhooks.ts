import { base64ToBytes, utf8 } from './encoding.ts';
import { KontextWebhookError } from './errors.ts';
import type { WebhookPayload } from './types.ts';

// Verifies a delivery as Standard Webhooks specifies: HMAC-SHA256 over `{id}.{timestamp}.{body}`
// with the endpoint's key, compared in constant time against each `v1,<base64>` signature in
// webhook-signature (two while a secret rotates), and a timestamp within the tolerance, so a
// captured delivery cannot be replayed later. Web Crypto only, so it runs in browsers and workers too.

export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface VerifyWebhookOptions {
  /** How far webhook-timestamp may be from now, either way. Default 300 seconds. */
  toleranceSeconds?: number;
  /** The time to check against (tests); default now. */
  now?: Date;
}

const WHSEC_PREFIX = 'whsec_';
const DEFAULT_TOLERANCE_SECONDS = 300;

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  // Node's IncomingHttpHeaders are lower-case already; other maps may not be.
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    return Array.isArray(value) ? value.join(' ') : value;
  }
  return undefined;
}

/**
 * The HMAC key of a secret, as the platform signs with it: a `whsec_` secret is base64 after the
 * prefix (Standard Webhooks); any other string (a per-request webhook_secret) is its UTF-8 bytes.
 */
function signingKey(secret: string): Uint8Array {
  if (!secret.startsWith(WHSEC_PREFIX)) return utf8(secret);
  const key = base64ToBytes(secret.slice(WHSEC_PREFIX.length));
  if (key === undefined) throw new KontextWebhookError('the secret is not valid: whsec_ must be followed by base64');
  return key;
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  // Lengths are public (every v1 signature is 32 bytes); the contents are compared without early exit.
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const joined = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

/** Verifies a delivery and returns its parsed body; throws KontextWebhookError on any mismatch. */
export async function verifyWebhook(
  body: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string,
  options: VerifyWebhookOptions = {},
): Promise<WebhookPayload> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id) throw new KontextWebhookError('the webhook-id header is missing');
  if (!timestamp) throw new KontextWebhookError('the webhook-timestamp header is missing');
  if (!signatures) throw new KontextWebhookError('the webhook-signature header is missing (was the delivery signed?)');
  if (!/^\d+$/.test(timestamp)) throw new KontextWebhookError('the webhook-timestamp header is not a Unix time in seconds');

  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const sentAt = Number(timestamp);
  if (nowSeconds - sentAt > tolerance) throw new KontextWebhookError(`the webhook-timestamp is more than ${tolerance} s old`);
  if (sentAt - nowSeconds > tolerance) throw new KontextWebhookError(`the webhook-timestamp is more than ${tolerance} s in the future`);

  const bodyBytes = typeof body === 'string' ? utf8(body) : body;
  const key = signingKey(secret);
  if (key.length === 0) throw new KontextWebhookError('the secret is empty');
  const hmac = await crypto.subtle.importKey('raw', concat(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const expected = new Uint8Array(await crypto.subtle.sign('HMAC', hmac, concat(utf8(`${id}.${timestamp}.`), bodyBytes)));

  let matched = false;
  for (const candidate of signatures.split(' ')) {
    const [version, encoded] = candidate.split(',', 2);
    if (version !== 'v1' || encoded === undefined) continue;
    const signature = base64ToBytes(encoded);
    // Every candidate is compared, so the time taken does not say which one matched.
    if (signature !== undefined && constantTimeEqual(signature, expected)) matched = true;
  }
  if (!matched) throw new KontextWebhookError('no signature matches: wrong secret, or the body or headers were changed');

  const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
  try {
    return JSON.parse(text) as WebhookPayload;
  } catch (error) {
    throw new KontextWebhookError('the body is not JSON', { cause: error });
  }
}
