import type { LedgerPage } from '@kontext/sdk';
import type { ApiClient } from './client.ts';
import { cursorPagesQuery } from './cursor-pages.ts';

// GET /v1/credits/ledger: every change to the available credits, newest first, a page at a time.
// The balance itself is creditsQuery (queries.ts), shared with the overview.

export type { LedgerEntry, LedgerPage } from '@kontext/sdk';

export const LEDGER_PAGE_SIZE = 50;

export interface LedgerQuery {
  kind?: 'grant' | 'reserve' | 'settle' | 'refund';
}

export const ledgerQuery = (api: ApiClient, query: LedgerQuery) =>
  cursorPagesQuery<LedgerPage>(api, ['credits', 'ledger', query], '/v1/credits/ledger', query, LEDGER_PAGE_SIZE);
