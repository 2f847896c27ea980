import type { CallOptions } from '../call-options.ts';
import type { Transport } from '../transport.ts';
import type { ModelList } from '../types.ts';

/** The model catalog as this key sees it: endpoints, defaults, prices and weights. */
export class ModelsResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  list(options: CallOptions = {}): Promise<ModelList> {
    return this.#transport.json<ModelList>({ method: 'GET', path: '/v1/models', signal: options.signal });
  }
}
