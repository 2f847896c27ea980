import type { CallOptions } from '../call-options.ts';
import type { Transport } from '../transport.ts';
import type { Credits, LedgerPage, LedgerQuery } from '../types.ts';

/** `credits` available now (BFL's field) and `reserved` by unfinished jobs. */
export function getCredits(transport: Transport, options: CallOptions = {}): Promise<Credits> {
  return transport.json<Credits>({ method: 'GET', path: '/v1/credits', signal: options.signal });
}

/** The credit ledger, newest first, each entry with the balance it left; pass `next_cursor` as `cursor` for the next page. */
export function getLedger(transport: Transport, query: LedgerQuery = {}, options: CallOptions = {}): Promise<LedgerPage> {
  return transport.json<LedgerPage>({ method: 'GET', path: '/v1/credits/ledger', query, signal: options.signal });
}
