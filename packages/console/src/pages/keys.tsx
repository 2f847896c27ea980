import { useMutation, useQuery, useQueryClient, useSuspenseQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useApi } from '../api/context.tsx';
import { createKey, KEYS_KEY, keysQuery, revokeKey, rotateKey } from '../api/queries.ts';
import { sessionQuery } from '../api/session.ts';
import type { ApiKey, CreatedApiKey, CreateApiKeyRequest, Scope } from '../api/types.ts';
import { CheckboxChoices, RadioChoices } from '../components/choices.tsx';
import { ACTIONS_COLUMN, ConfirmAction, FormDialog, ScrollTable, ShownOnceDialog } from '../components/manage.tsx';
import { Banner, Button, CodeBlock, EmptyState, ErrorMessage, Field, Loading, PageHeader, Problem } from '../components/ui.tsx';
import { firstCurlCommand } from '../lib/curl.ts';
import { formatGrace, formatRelative, formatTime, maskedKey } from '../lib/format.ts';
import { defaultKeyScopes, SCOPES } from '../lib/scopes.ts';

// API keys: the list, a new key (its secret shown once), rotation with a chosen grace period and
// revocation after a confirmation that names the key.

const GRACE_CHOICES = [0, 3_600, 86_400, 7 * 86_400] as const;
const DEFAULT_GRACE = 86_400;

export function KeysPage() {
  const api = useApi();
  const { data: session } = useSuspenseQuery(sessionQuery(api));
  const mayManage = session.scopes.includes('keys:write');
  const keys = useQuery({ ...keysQuery(api), enabled: mayManage });
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ key: CreatedApiKey; note?: string } | null>(null);
  const [rotating, setRotating] = useState<ApiKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);

  if (!mayManage)
    return (
      <>
        <PageHeader title="API keys" />
        <Banner tone="info" title={`Your role (${session.tenant.role}) cannot manage API keys`}>
          Ask an owner, admin or developer of {session.tenant.name} for a key.
        </Banner>
      </>
    );

  const list = keys.data?.data ?? [];
  const current = list.filter((key) => key.status !== 'revoked');
  const revoked = list.filter((key) => key.status === 'revoked');
  return (
    <>
      <PageHeader
        title="API keys"
        description="Keys let programs call the API as this team. Test keys run on the preview engine and cost nothing."
        actions={
          <Button tone="primary" onClick={() => setCreating(true)}>
            Create a key
          </Button>
        }
      />
      {keys.isPending ? <Loading label="Loading keys…" /> : null}
      <ErrorMessage error={keys.error} context="Could not load the keys" />
      {keys.data && current.length === 0 ? (
        <EmptyState title="No API keys yet">
          <p>Create a key to call the API from your code. Start with a test key: it runs on the preview engine and costs nothing.</p>
          <Button tone="primary" onClick={() => setCreating(true)}>
            Create a key
          </Button>
        </EmptyState>
      ) : null}
      {current.length > 0 ? <KeyTable keys={current} caption="Keys in use" onRotate={setRotating} onRevoke={setRevoking} /> : null}
      {revoked.length > 0 ? (
        <details className="revoked">
          <summary>{revoked.length === 1 ? '1 revoked key' : `${revoked.length} revoked keys`}</summary>
          <KeyTable keys={revoked} caption="Revoked keys" />
        </details>
      ) : null}

      <CreateKeyDialog
        open={creating}
        granted={session.scopes}
        onClose={() => setCreating(false)}
        onCreated={(key) => {
          setCreating(false);
          setSecret({ key });
        }}
      />
      <RotateKeyDialog
        apiKey={rotating}
        onClose={() => setRotating(null)}
        onRotated={(key, oldExpiresAt) => {
          setRotating(null);
          setSecret({ key, note: `The old key keeps working until ${formatTime(oldExpiresAt)}.` });
        }}
      />
      <ConfirmAction
        target={revoking}
        run={(api, key) => revokeKey(api, key.id)}
        invalidates={[KEYS_KEY]}
        onClose={() => setRevoking(null)}
        title={(key) => `Revoke “${key.name}”?`}
        confirmLabel={(key) => `Revoke “${key.name}”`}
        pendingLabel="Revoking…"
        cancelLabel="Keep it"
        errorContext="Could not revoke the key"
      >
        {(key) => (
          <p>
            Requests with <code>{maskedKey(key)}</code> ({key.mode}) are refused within seconds, on every server. This cannot be undone.
          </p>
        )}
      </ConfirmAction>
      <ShownOnceDialog
        secret={secret ? secret.key.key : null}
        title={secret ? `Your new key “${secret.key.name}”` : 'Your new key'}
        description="Copy it now and store it somewhere safe: this is the only time it is shown."
        warning="The platform keeps only a hash of it. If you lose it, rotate the key to get a new one."
        testId="new-key-secret"
        copyLabel="Copy the key"
        before={secret?.note ? <p>{secret.note}</p> : null}
        onClose={() => setSecret(null)}
      >
        <p>Try it:</p>
        {secret ? <CodeBlock label="the first request with this key" code={firstCurlCommand(window.location.origin, secret.key.key)} /> : null}
      </ShownOnceDialog>
    </>
  );
}

function KeyTable({ keys, caption, onRotate, onRevoke }: { keys: ApiKey[]; caption: string; onRotate?: (key: ApiKey) => void; onRevoke?: (key: ApiKey) => void }) {
  const [now] = useState(() => new Date());
  const actions = Boolean(onRotate || onRevoke);
  return (
    <ScrollTable label={caption} columns={['Name', 'Key', 'Mode', 'Scopes', 'Last used', 'Status', actions && ACTIONS_COLUMN]}>
      <tbody>
        {keys.map((key) => (
          <tr key={key.id}>
            <th scope="row" className="key-name">
              {key.name}
            </th>
            <td>
              <code>{maskedKey(key)}</code>
            </td>
            <td>{key.mode === 'test' ? <span className="badge badge-test">Test</span> : <span className="badge badge-live">Live</span>}</td>
            <td className="scopes">{key.scopes.join(', ')}</td>
            <td title={formatTime(key.last_used_at)}>{formatRelative(key.last_used_at, now)}</td>
            <td>
              {key.status === 'retiring' ? (
                <span title={formatTime(key.expires_at)}>retiring, stops {formatRelative(key.expires_at, now)}</span>
              ) : key.status === 'revoked' ? (
                <span>revoked {formatRelative(key.expires_at, now)}</span>
              ) : (
                'active'
              )}
            </td>
            {actions ? (
              <td className="row-actions">
                {onRotate && key.status === 'active' ? (
                  <Button onClick={() => onRotate(key)} aria-label={`Rotate ${key.name}`}>
                    Rotate
                  </Button>
                ) : null}
                {onRevoke ? (
                  <Button tone="danger" onClick={() => onRevoke(key)} aria-label={`Revoke ${key.name}`}>
                    Revoke
                  </Button>
                ) : null}
              </td>
            ) : null}
          </tr>
        ))}
      </tbody>
    </ScrollTable>
  );
}

function CreateKeyDialog({ open, granted, onClose, onCreated }: { open: boolean; granted: readonly Scope[]; onClose: () => void; onCreated: (key: CreatedApiKey) => void }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [mode, setMode] = useState<'live' | 'test'>('test');
  const [scopes, setScopes] = useState<Scope[]>(() => defaultKeyScopes(granted));
  const creating = useMutation({
    mutationFn: (body: CreateApiKeyRequest) => createKey(api, body),
    onSuccess: (key) => {
      void queryClient.invalidateQueries({ queryKey: KEYS_KEY });
      setName('');
      creating.reset();
      onCreated(key);
    },
  });
  const toggle = (scope: Scope, on: boolean) => setScopes((list) => (on ? [...list, scope] : list.filter((s) => s !== scope)));
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title="Create an API key"
      description="The key's secret is shown once, right after this."
      action={creating}
      errorContext="Could not create the key"
      submitLabel="Create the key"
      pendingLabel="Creating…"
      canSubmit={scopes.length > 0 && name.trim() !== ''}
      // The SDK's generated types predate the people scopes; the API takes every scope the session holds.
      onSubmit={() => creating.mutate({ name: name.trim(), mode, scopes: scopes as CreateApiKeyRequest['scopes'] })}
    >
      <Field label="Name" hint="For recognising it in this list, e.g. the program or machine that uses it.">
        {(props) => <input {...props} name="name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <RadioChoices
        legend="Mode"
        label="Mode"
        value={mode}
        choices={[
          {
            value: 'test',
            label: (
              <>
                <strong>Test</strong>: the preview engine, free; for development and CI
              </>
            ),
          },
          {
            value: 'live',
            label: (
              <>
                <strong>Live</strong>: the real models; jobs cost credits
              </>
            ),
          },
        ]}
        onChange={setMode}
      />
      <CheckboxChoices
        legend="What it may do"
        choices={SCOPES.filter((entry) => granted.includes(entry.scope)).map((entry) => ({ value: entry.scope, label: entry.label }))}
        checked={scopes}
        onToggle={toggle}
      />
      <Problem>{scopes.length === 0 ? 'Choose at least one thing the key may do.' : null}</Problem>
    </FormDialog>
  );
}

function RotateKeyDialog({ apiKey, onClose, onRotated }: { apiKey: ApiKey | null; onClose: () => void; onRotated: (key: CreatedApiKey, oldExpiresAt: string) => void }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [grace, setGrace] = useState<number>(DEFAULT_GRACE);
  const rotating = useMutation({
    mutationFn: ({ id, graceSeconds }: { id: string; graceSeconds: number }) => rotateKey(api, id, graceSeconds),
    onSuccess: (rotated) => {
      void queryClient.invalidateQueries({ queryKey: KEYS_KEY });
      rotating.reset();
      setGrace(DEFAULT_GRACE);
      onRotated(rotated.key, rotated.old_key_expires_at);
    },
  });
  return (
    <FormDialog
      open={apiKey !== null}
      onClose={() => {
        setGrace(DEFAULT_GRACE);
        onClose();
      }}
      title={apiKey ? `Rotate “${apiKey.name}”` : 'Rotate'}
      description="A new key with the same name, scopes and mode replaces this one. The old one keeps working for a while, so you can deploy the new one."
      action={rotating}
      errorContext="Could not rotate the key"
      submitLabel="Rotate"
      pendingLabel="Rotating…"
      onSubmit={() => apiKey && rotating.mutate({ id: apiKey.id, graceSeconds: grace })}
    >
      {apiKey ? (
        <RadioChoices
          legend={
            <>
              The old key <code>{maskedKey(apiKey)}</code> stops working
            </>
          }
          label="When the old key stops working"
          value={String(grace)}
          choices={GRACE_CHOICES.map((seconds) => ({ value: String(seconds), label: seconds === 0 ? 'at once' : `after ${formatGrace(seconds)}` }))}
          onChange={(value) => setGrace(Number(value))}
        />
      ) : null}
    </FormDialog>
  );
}
