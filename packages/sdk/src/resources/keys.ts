import type { CallOptions, WriteOptions } from '../call-options.ts';
import type { Transport } from '../transport.ts';
import type { ApiKey, ApiKeyList, CreateApiKeyRequest, CreatedApiKey, RotateApiKeyRequest, RotatedApiKey } from '../types.ts';

/** The tenant's own API keys (the calling key needs `keys:write`). The plaintext of a new key is in the answer once. */
export class KeysResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  list(options: CallOptions = {}): Promise<ApiKeyList> {
    return this.#transport.json<ApiKeyList>({ method: 'GET', path: '/v1/keys', signal: options.signal });
  }

  create(request: CreateApiKeyRequest, options: WriteOptions = {}): Promise<CreatedApiKey> {
    return this.#transport.json<CreatedApiKey>({ method: 'POST', path: '/v1/keys', json: request, signal: options.signal, idempotencyKey: options.idempotencyKey });
  }

  /** A replacement with the same name, scopes and mode; the old key works for `grace_seconds` (default 24 hours). */
  rotate(id: string, request: RotateApiKeyRequest = {}, options: WriteOptions = {}): Promise<RotatedApiKey> {
    return this.#transport.json<RotatedApiKey>({
      method: 'POST',
      path: `/v1/keys/${encodeURIComponent(id)}/rotate`,
      json: request,
      signal: options.signal,
      idempotencyKey: options.idempotencyKey,
    });
  }

  revoke(id: string, options: CallOptions = {}): Promise<ApiKey> {
    return this.#transport.json<ApiKey>({ method: 'DELETE', path: `/v1/keys/${encodeURIComponent(id)}`, signal: options.signal });
  }
}
