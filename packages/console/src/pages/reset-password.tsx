import { useMutation } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useState, type FormEvent } from 'react';
import { isApiError } from '../api/client.ts';
import { useApi } from '../api/context.tsx';
import { completePasswordReset, requestPasswordReset } from '../api/session.ts';
import { NewPasswordFields, useNewPassword } from '../components/new-password.tsx';
import { Banner, Button, ErrorMessage, Field, Problem } from '../components/ui.tsx';
import { SignedOutFrame, useFragmentToken } from './signed-out.tsx';

/** Without a token: ask for a link by email. With `#token=pwr_…` (the link): choose a new password. */
export function ResetPasswordPage() {
  const token = useFragmentToken('pwr');
  return token ? <SetNewPassword token={token} /> : <RequestReset />;
}

function RequestReset() {
  const api = useApi();
  const [email, setEmail] = useState('');
  const requesting = useMutation({ mutationFn: () => requestPasswordReset(api, email) });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    requesting.mutate();
  };
  if (requesting.isSuccess)
    return (
      <SignedOutFrame title="Check your email">
        <p>If an account has the address {email}, a link to choose a new password is on its way. It works once, for a short while.</p>
        <p>
          <Link to="/sign-in">Back to sign-in</Link>
        </p>
      </SignedOutFrame>
    );
  return (
    <SignedOutFrame title="Reset your password">
      <p>We will email you a link to choose a new password.</p>
      <form onSubmit={submit} className="form">
        <Field label="Email">
          {(props) => <input {...props} type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
        <ErrorMessage error={requesting.error} context="Could not send the link" />
        <Button tone="primary" type="submit" disabled={requesting.isPending}>
          {requesting.isPending ? 'Sending…' : 'Send the link'}
        </Button>
      </form>
      <p>
        <Link to="/sign-in">Back to sign-in</Link>
      </p>
    </SignedOutFrame>
  );
}

function SetNewPassword({ token }: { token: string }) {
  const api = useApi();
  const pair = useNewPassword();
  const completing = useMutation({ mutationFn: () => completePasswordReset(api, { token, password: pair.password }) });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (pair.check()) completing.mutate();
  };
  if (completing.isSuccess)
    return (
      <SignedOutFrame title="Password changed">
        <Banner tone="info" title="Your new password is set">
          Every session signed in with the old one has ended.
        </Banner>
        <p>
          <Link to="/sign-in">Sign in</Link>
        </p>
      </SignedOutFrame>
    );
  return (
    <SignedOutFrame title="Choose a new password">
      <form onSubmit={submit} className="form">
        <NewPasswordFields pair={pair} againLabel="The same password again" />
        {completing.isError ? (
          isApiError(completing.error, 404) || isApiError(completing.error, 410) || isApiError(completing.error, 401) ? (
            <Problem>
              This link has been used or has expired. <a href="/console/reset-password">Ask for a new one</a>.
            </Problem>
          ) : (
            <ErrorMessage error={completing.error} context="Could not change the password" />
          )
        ) : null}
        <Button tone="primary" type="submit" disabled={completing.isPending}>
          {completing.isPending ? 'Saving…' : 'Set the new password'}
        </Button>
      </form>
    </SignedOutFrame>
  );
}
