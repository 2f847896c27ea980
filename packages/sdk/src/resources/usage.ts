import type { CallOptions } from '../call-options.ts';
import type { Transport } from '../transport.ts';
import type { Usage, UsageQuery } from '../types.ts';

/** Jobs, credits, megapixels and latency per UTC hour or day, optionally grouped, with totals. */
export function getUsage(transport: Transport, query: UsageQuery = {}, options: CallOptions = {}): Promise<Usage> {
  return transport.json<Usage>({ method: 'GET', path: '/v1/usage', query, signal: options.signal });
}
