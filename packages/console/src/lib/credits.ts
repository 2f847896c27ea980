import type { LedgerEntry } from '../api/credits-queries.ts';
import { formatCredits } from './format.ts';
import { hrefWith } from './page-search.ts';

// The credits page: the ledger's kinds, its filter in the address, and signed amounts. Pure.

export type LedgerKind = LedgerEntry['kind'];

export const LEDGER_KINDS = [
  { kind: 'grant', label: 'Grant', plural: 'Grants', description: 'added by the operator or a payment' },
  { kind: 'reserve', label: 'Reserve', plural: 'Reserves', description: 'held by a job while it runs' },
  { kind: 'settle', label: 'Settle', plural: 'Settlements', description: 'the held credits spent' },
  { kind: 'refund', label: 'Refund', plural: 'Refunds', description: 'given back' },
] as const satisfies readonly { kind: LedgerKind; label: string; plural: string; description: string }[];

type Listed = (typeof LEDGER_KINDS)[number]['kind'];
const everyKindListed: Exclude<LedgerKind, Listed> extends never ? true : false = true;
void everyKindListed;

/** The ledger's kind filter from the address (`?kind=grant`); an unknown kind is no filter. */
export function ledgerKindOf(value: string | undefined): LedgerKind | undefined {
  return LEDGER_KINDS.find((entry) => entry.kind === value)?.kind;
}

/** The page's address with this kind filter (none: every kind). */
export function creditsHref(kind: LedgerKind | undefined): string {
  return hrefWith('/credits', { kind });
}

export function ledgerKindLabel(kind: LedgerKind): string {
  return LEDGER_KINDS.find((entry) => entry.kind === kind)?.label ?? kind;
}

/** An amount with its sign: `+1,000`, `−25` (a true minus), `0`. */
export function signedCredits(amount: number): string {
  if (amount > 0) return `+${formatCredits(amount)}`;
  if (amount < 0) return `−${formatCredits(-amount)}`;
  return formatCredits(0);
}
