import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useRouter } from '@tanstack/react-router';
import { useState, type FormEvent } from 'react';
import { isApiError } from '../api/client.ts';
import { useApi } from '../api/context.tsx';
import { acceptInvitation, adoptSession } from '../api/session.ts';
import { Banner, Button, ErrorMessage, Field, Problem } from '../components/ui.tsx';
import { PASSWORD_MIN_LENGTH } from '../lib/passwords.ts';
import { SignedOutFrame, useFragmentToken } from './signed-out.tsx';

export function AcceptInvitationPage() {
  const api = useApi();
  const queryClient = useQueryClient();
  const router = useRouter();
  const token = useFragmentToken('inv');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const accepting = useMutation({
    mutationFn: (invitation: string) => acceptInvitation(api, { token: invitation, password, ...(name.trim() ? { name: name.trim() } : {}) }),
    onSuccess: (session) => {
      adoptSession(api, queryClient, session);
      void router.navigate({ to: '/', replace: true });
    },
  });

  if (!token)
    return (
      <SignedOutFrame title="Join a team">
        <Banner tone="warning" title="This link is incomplete">
          Open the link from your invitation email again: the part after # is what lets you in. If it has expired, ask whoever invited you
          for a new one.
        </Banner>
        <p>
          <Link to="/sign-in">Sign in instead</Link>
        </p>
      </SignedOutFrame>
    );

  const submit = (event: FormEvent) => {
    event.preventDefault();
    accepting.mutate(token);
  };
  return (
    <SignedOutFrame title="Join a team">
      <p>Set up your account to accept the invitation. Already have an account with this email? Enter its password.</p>
      <form onSubmit={submit} className="form">
        <Field label="Your name" hint="Optional; shown to your team.">
          {(props) => <input {...props} name="name" autoComplete="name" maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Password" hint={`At least ${PASSWORD_MIN_LENGTH} characters for a new account.`}>
          {(props) => (
            <input {...props} type="password" name="password" autoComplete="new-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
          )}
        </Field>
        {accepting.isError ? (
          isApiError(accepting.error, 404) || isApiError(accepting.error, 410) ? (
            <Problem>This invitation has been used, revoked or has expired. Ask for a new one.</Problem>
          ) : (
            <ErrorMessage error={accepting.error} context="Could not accept the invitation" />
          )
        ) : null}
        <Button tone="primary" type="submit" disabled={accepting.isPending}>
          {accepting.isPending ? 'Joining…' : 'Accept and sign in'}
        </Button>
      </form>
    </SignedOutFrame>
  );
}
