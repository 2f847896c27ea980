import type { CallOptions } from '../call-options.ts';
import type { Transport } from '../transport.ts';
import type { Credits } from '../types.ts';

/** `credits` available now (BFL's field) and `reserved` by unfinished jobs. */
export function getCredits(transport: Transport, options: CallOptions = {}): Promise<Credits> {
  return transport.json<Credits>({ method: 'GET', path: '/v1/credits', signal: options.signal });
}
