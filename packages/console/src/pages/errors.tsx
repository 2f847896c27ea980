import { Link, type ErrorComponentProps } from '@tanstack/react-router';
import { isApiError } from '../api/client.ts';
import { ErrorMessage } from '../components/ui.tsx';

export function NotFoundPage() {
  return (
    <main className="center-page" id="main">
      <div className="card narrow">
        <h1>No such page</h1>
        <p>The console has no page at this address.</p>
        <Link to="/">Go to the overview</Link>
      </div>
    </main>
  );
}

/** A page that could not load: why, and a way to try again. */
export function RouteErrorPage({ error, reset }: ErrorComponentProps) {
  const noSessionApi = isApiError(error, 404) && error.problem?.instance === '/v1/session';
  return (
    <main className="center-page" id="main">
      <div className="card narrow">
        <h1>This page could not load</h1>
        {noSessionApi ? <p>This server has no console sign-in yet (GET /v1/session is not one of its routes).</p> : <ErrorMessage error={error} />}
        <button type="button" className="button button-primary" onClick={reset}>
          Try again
        </button>
      </div>
    </main>
  );
}
