import { useMutation, useQueryClient } from '@tanstack/react-query';
import { getRouteApi, Link, useRouter } from '@tanstack/react-router';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { isApiError } from '../api/client.ts';
import { useApi } from '../api/context.tsx';
import { adoptSession, signIn, signInWithLink } from '../api/session.ts';
import { Banner, Button, ErrorMessage, Field, Loading, Problem } from '../components/ui.tsx';
import { HOME, routerHref, safeNext } from '../lib/redirect.ts';
import { SignedOutFrame, useFragmentToken } from './signed-out.tsx';

const route = getRouteApi('/sign-in');


export function SignInPage() {
  const api = useApi();
  const queryClient = useQueryClient();
  const router = useRouter();
  const { next } = route.useSearch();
  const destination = safeNext(next);
  const linkToken = useFragmentToken('sgn');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');

  const done = (session: Parameters<typeof adoptSession>[2]) => {
    adoptSession(api, queryClient, session);
    void router.navigate({ href: routerHref(destination), replace: true });
  };
  const withPassword = useMutation({ mutationFn: () => signIn(api, { email, password }), onSuccess: done });
  const withLink = useMutation({ mutationFn: (token: string) => signInWithLink(api, token), onSuccess: done });

  // The link's token is single use: sent once, even when React runs effects twice in development.
  const sent = useRef(false);
  useEffect(() => {
    if (linkToken && !sent.current) {
      sent.current = true;
      withLink.mutate(linkToken);
    }
  }, [linkToken, withLink]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    withPassword.mutate();
  };

  return (
    <SignedOutFrame title="Sign in">
      {destination !== HOME ? <p className="muted">Sign in to continue to {destination}.</p> : null}
      {withLink.isPending ? <Loading label="Signing you in with your link…" /> : null}
      {withLink.isError ? (
        <Banner tone="danger" title="That sign-in link did not work">
          {isApiError(withLink.error, 401) || isApiError(withLink.error, 422)
            ? 'It may have been used already or expired. Sign in with your password, or ask for a new link.'
            : <ErrorMessage error={withLink.error} />}
        </Banner>
      ) : null}
      <form onSubmit={submit} className="form" noValidate={false}>
        <Field label="Email">
          {(props) => <input {...props} type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
        <Field label="Password">
          {(props) => (
            <input {...props} type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
          )}
        </Field>
        {withPassword.isError ? <SignInError error={withPassword.error} /> : null}
        <Button tone="primary" type="submit" disabled={withPassword.isPending || withLink.isPending}>
          {withPassword.isPending ? 'Signing in…' : 'Sign in'}
        </Button>
      </form>
      <p>
        <Link to="/reset-password">Forgot your password?</Link>
      </p>
    </SignedOutFrame>
  );
}

function SignInError({ error }: { error: unknown }) {
  if (isApiError(error, 401)) return <Problem>The email or the password is wrong.</Problem>;
  if (isApiError(error, 429)) return <Problem>Too many attempts. Try again {error.retryAfterSeconds ? `in ${error.retryAfterSeconds} seconds` : 'later'}.</Problem>;
  if (isApiError(error, 404)) return <Problem>This server has no console sign-in yet.</Problem>;
  return <ErrorMessage error={error} context="Could not sign in" />;
}
