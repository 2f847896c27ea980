import { useMutation, useQueryClient, useSuspenseQuery } from '@tanstack/react-query';
import { Link, Outlet, useNavigate } from '@tanstack/react-router';
import { getNonce } from 'get-nonce';
import { DropdownMenu, Select } from 'radix-ui';
import { useApi } from '../api/context.tsx';
import { adoptSession, forgetSession, sessionQuery, signOut, switchTenant } from '../api/session.ts';
import type { Session } from '../api/types.ts';
import { ErrorMessage } from '../components/ui.tsx';

// The signed-in frame: the navigation, the tenant switcher and the user's menu around the page.

const NAV = [
  { to: '/', label: 'Overview' },
  { to: '/usage', label: 'Usage' },
  { to: '/jobs', label: 'Jobs' },
  { to: '/keys', label: 'API keys' },
  { to: '/webhooks', label: 'Webhooks' },
  { to: '/credits', label: 'Credits' },
  { to: '/team', label: 'Team' },
  { to: '/account', label: 'Account' },
] as const;

export function Shell() {
  const api = useApi();
  const { data: session } = useSuspenseQuery(sessionQuery(api));
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to the page
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          Kontext <span className="muted">console</span>
        </Link>
        <div className="topbar-end">
          <TenantSwitcher session={session} />
          <UserMenu session={session} />
        </div>
      </header>
      <nav className="nav" aria-label="Console">
        <ul>
          {NAV.map((item) => (
            <li key={item.to}>
              <Link to={item.to} activeOptions={{ exact: item.to === '/' }} className="nav-link">
                {item.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" className="main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}

function TenantSwitcher({ session }: { session: Session }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const switching = useMutation({
    mutationFn: (tenantId: string) => switchTenant(api, tenantId),
    onSuccess: (next) => {
      adoptSession(api, queryClient, next);
      void navigate({ to: '/' });
    },
  });
  if (session.tenants.length < 2) {
    return (
      <span className="tenant-name" title="Your team">
        {session.tenant.name} <span className="badge">{session.tenant.role}</span>
      </span>
    );
  }
  return (
    <div className="tenant-switcher">
      <Select.Root value={session.tenant.id} onValueChange={(id) => switching.mutate(id)} disabled={switching.isPending}>
        <Select.Trigger className="select-trigger" aria-label={`Team: ${session.tenant.name}. Switch team`}>
          <Select.Value />
          <Select.Icon aria-hidden="true">▾</Select.Icon>
        </Select.Trigger>
        <Select.Portal>
          <Select.Content className="select-content" position="popper" sideOffset={4}>
            {/* Its <style> tag (hiding the scrollbar) carries the page's style nonce. */}
            <Select.Viewport nonce={getNonce()}>
              {session.tenants.map((tenant) => (
                <Select.Item key={tenant.id} value={tenant.id} className="select-item">
                  <Select.ItemText>{tenant.name}</Select.ItemText>
                  <span className="muted"> {tenant.role}</span>
                </Select.Item>
              ))}
            </Select.Viewport>
          </Select.Content>
        </Select.Portal>
      </Select.Root>
      {switching.isPending ? <span role="status">Switching…</span> : null}
      <ErrorMessage error={switching.error} context="Could not switch team" />
    </div>
  );
}

function UserMenu({ session }: { session: Session }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const leaving = useMutation({
    mutationFn: () => signOut(api),
    onSettled: () => {
      forgetSession(api, queryClient);
      void navigate({ to: '/sign-in', replace: true });
    },
  });
  return (
    <DropdownMenu.Root>
      <DropdownMenu.Trigger className="button button-ghost" aria-label={`Account menu for ${session.user.email}`}>
        {session.user.name || session.user.email} ▾
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal>
        <DropdownMenu.Content className="menu" align="end" sideOffset={4}>
          <DropdownMenu.Label className="menu-label">{session.user.email}</DropdownMenu.Label>
          <DropdownMenu.Item className="menu-item" onSelect={() => void navigate({ to: '/account' })}>
            Account
          </DropdownMenu.Item>
          <DropdownMenu.Separator className="menu-separator" />
          <DropdownMenu.Item className="menu-item" onSelect={() => leaving.mutate()} disabled={leaving.isPending}>
            Sign out
          </DropdownMenu.Item>
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu.Root>
  );
}
