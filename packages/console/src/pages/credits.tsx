import { useInfiniteQuery, useQuery, useSuspenseQuery } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import { useApi } from '../api/context.tsx';
import { ledgerQuery, type LedgerEntry } from '../api/credits-queries.ts';
import { creditsQuery } from '../api/queries.ts';
import { sessionQuery } from '../api/session.ts';
import { ConsoleLink, FilterSelect, MorePages, ScrollTable, useNow, useSearchString } from '../components/manage.tsx';
import { Banner, EmptyState, ErrorMessage, Loading, PageHeader } from '../components/ui.tsx';
import { creditsHref, ledgerKindLabel, ledgerKindOf, LEDGER_KINDS, signedCredits } from '../lib/credits.ts';
import { searchParam } from '../lib/page-search.ts';
import { formatCredits, formatDollars, formatRelative, formatTime } from '../lib/format.ts';

// Credits: the balance and what is held by unfinished jobs, then the ledger, every change to the
// available credits with the balance it left, newest first, filtered by kind in the address.

export function CreditsPage() {
  const api = useApi();
  const { data: session } = useSuspenseQuery(sessionQuery(api));
  const mayRead = session.scopes.includes('credits:read');
  const kind = ledgerKindOf(searchParam(useSearchString(), 'kind'));
  const navigate = useNavigate();
  const credits = useQuery({ ...creditsQuery(api), enabled: mayRead });
  const ledger = useInfiniteQuery({ ...ledgerQuery(api, kind ? { kind } : {}), enabled: mayRead });
  const now = useNow();

  if (!mayRead)
    return (
      <>
        <PageHeader title="Credits" />
        <Banner tone="info" title={`Your role (${session.tenant.role}) cannot see credits`}>
          Ask an owner, admin or billing member of {session.tenant.name}.
        </Banner>
      </>
    );

  const entries = ledger.data?.pages.flatMap((page) => page.data) ?? [];
  return (
    <>
      <PageHeader title="Credits" description="The balance and every change to it. One credit is one US cent; test keys cost nothing." />
      <section aria-labelledby="balance-heading">
        <h2 id="balance-heading" className="visually-hidden">
          Balance
        </h2>
        <div className="cards">
          <div className="card figure">
            <h3 className="figure-label">Credits available</h3>
            {credits.data ? (
              <>
                <p className="figure-value" data-testid="credits-available">
                  {formatCredits(credits.data.credits)}
                </p>
                <div className="figure-note muted">{formatDollars(credits.data.credits)}</div>
              </>
            ) : credits.error ? (
              <ErrorMessage error={credits.error} />
            ) : (
              <Loading />
            )}
          </div>
          <div className="card figure">
            <h3 className="figure-label">Reserved by unfinished jobs</h3>
            {credits.data ? (
              <>
                <p className="figure-value" data-testid="credits-reserved">
                  {formatCredits(credits.data.reserved)}
                </p>
                <div className="figure-note muted">spent when a job succeeds, returned if it fails</div>
              </>
            ) : credits.error ? (
              <ErrorMessage error={credits.error} />
            ) : (
              <Loading />
            )}
          </div>
        </div>
      </section>

      <section aria-labelledby="ledger-heading">
        <h2 id="ledger-heading">Ledger</h2>
        <div className="filters">
          <FilterSelect
            label="Kind"
            hint={kind ? LEDGER_KINDS.find((entry) => entry.kind === kind)?.description : undefined}
            value={kind}
            any="Every kind"
            choices={LEDGER_KINDS.map((entry) => ({ value: entry.kind, label: entry.plural }))}
            onChange={(value) => void navigate({ href: creditsHref(ledgerKindOf(value)), replace: true })}
          />
        </div>
        {ledger.isPending ? <Loading label="Loading the ledger…" /> : null}
        <ErrorMessage error={ledger.data ? null : ledger.error} context="Could not load the ledger" />
        {ledger.data && entries.length === 0 ? (
          kind ? (
            <EmptyState title={`No ${ledgerKindLabel(kind).toLowerCase()} entries`}>
              <p>
                None of the ledger's entries is of this kind. <Link to="/credits">Show every kind</Link>.
              </p>
            </EmptyState>
          ) : (
            <EmptyState title="No entries yet">
              <p>The ledger records every grant, and every job's hold, charge and refund. Ask your platform operator for credits to start.</p>
            </EmptyState>
          )
        ) : null}
        {entries.length > 0 ? (
          <>
            <LedgerTable entries={entries} now={now} />
            <MorePages pages={ledger} what="entries" />
          </>
        ) : null}
      </section>
    </>
  );
}

function LedgerTable({ entries, now }: { entries: LedgerEntry[]; now: Date }) {
  return (
    <ScrollTable
      label="Ledger entries"
      caption="Ledger entries, newest first, each with the balance it left"
      className="ledger"
      columns={['Time', 'Kind', { name: 'Amount', number: true }, { name: 'Balance after', number: true }, 'Job', 'Reason']}
    >
      <tbody>
        {entries.map((entry) => (
          <tr key={entry.id}>
            <th scope="row" className="time" title={formatRelative(entry.at, now)}>
              {formatTime(entry.at)}
            </th>
            <td>
              <span className={`badge badge-kind-${entry.kind}`}>{ledgerKindLabel(entry.kind)}</span>
            </td>
            <td className={`cell-number ${entry.amount < 0 ? 'amount-negative' : 'amount-positive'}`}>{signedCredits(entry.amount)}</td>
            <td className="cell-number" data-testid="balance-after">
              {formatCredits(entry.balance_after)}
            </td>
            <td>
              {entry.job_id ? (
                // The jobs page's address: a link, so this page does not depend on how that page is built.
                <ConsoleLink href={`/jobs/${encodeURIComponent(entry.job_id)}`}>
                  <code>{entry.job_id}</code>
                </ConsoleLink>
              ) : (
                <span className="muted">—</span>
              )}
            </td>
            <td className="wrap">{entry.reason}</td>
          </tr>
        ))}
      </tbody>
    </ScrollTable>
  );
}
