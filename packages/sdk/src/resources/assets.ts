import type { CallOptions } from '../call-options.ts';
import type { Transport } from '../transport.ts';
import type { Asset } from '../types.ts';

/** Images the tenant's jobs used and made: their records (with fresh signed URLs) and bytes. */
export class AssetsResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  get(id: string, options: CallOptions = {}): Promise<Asset> {
    return this.#transport.json<Asset>({ method: 'GET', path: `/v1/assets/${encodeURIComponent(id)}`, signal: options.signal });
  }

  /** The image itself, fetched with the key (410 once retention deleted it). */
  content(id: string, options: CallOptions = {}): Promise<Uint8Array> {
    return this.#transport.bytes({
      method: 'GET',
      path: `/v1/assets/${encodeURIComponent(id)}/content`,
      headers: { accept: 'image/png, image/jpeg, image/webp, application/problem+json' },
      signal: options.signal,
    });
  }
}
