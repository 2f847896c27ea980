import { useEffect, useState, type ReactNode } from 'react';
import { fragmentToken, type EmailedTokenKind } from '../lib/redirect.ts';

/** The frame of the pages for people without a session: one card, centred. */
export function SignedOutFrame({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="center-page" id="main">
      <div className="card narrow">
        <p className="brand">
          Kontext <span className="muted">console</span>
        </p>
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  );
}

/**
 * The token of the link that opened this page (`#token=…`), read once; the fragment is then taken
 * out of the address, so the token stays in no history entry, bookmark or screenshot.
 */
export function useFragmentToken(kind: EmailedTokenKind): string | null {
  const [token] = useState(() => fragmentToken(window.location.hash, kind));
  useEffect(() => {
    if (window.location.hash) window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
  }, []);
  return token;
}
