import { useMutation, useQueryClient, type QueryKey } from '@tanstack/react-query';
import { AlertDialog } from 'radix-ui';
import { useNavigate, useRouterState } from '@tanstack/react-router';
import { useEffect, useState, type MouseEvent, type ReactNode } from 'react';
import type { ApiClient } from '../api/client.ts';
import { useApi } from '../api/context.tsx';
import { CONSOLE_BASE } from '../lib/redirect.ts';
import { Banner, Button, CopyButton, Dialog, ErrorMessage, Field } from './ui.tsx';

// Building blocks of the signed-in pages (loaded with them, not in the first bundle): a dialog
// around a form, a confirmation that names what it destroys (and the mutation behind it), a secret
// shown once, a filter's select, a scrolling table, the "show more" of a cursor-paged list, "now"
// for relative times, the address's query string and links into it.

/** What a dialog's action is doing: a mutation's state, cleared when the dialog closes. */
export interface Action {
  isPending: boolean;
  error: unknown;
  reset: () => void;
}

/**
 * A dialog around a form: the fields (`children`, with any problem of their own), the server's
 * refusal, Cancel and the submit button. Closing it (Escape, Cancel) clears the action's error.
 */
export function FormDialog({
  open,
  onClose,
  title,
  description,
  action,
  errorContext,
  submitLabel,
  pendingLabel,
  canSubmit = true,
  noValidate,
  onSubmit,
  children,
}: {
  open: boolean;
  onClose: () => void;
  title: string;
  description: string;
  action: Action;
  errorContext: string;
  submitLabel: string;
  pendingLabel: string;
  canSubmit?: boolean;
  noValidate?: boolean;
  onSubmit: () => void;
  children: ReactNode;
}) {
  const close = () => {
    action.reset();
    onClose();
  };
  return (
    <Dialog open={open} onOpenChange={(next) => !next && close()} title={title} description={description}>
      <form
        className="form"
        noValidate={noValidate}
        onSubmit={(event) => {
          event.preventDefault();
          onSubmit();
        }}
      >
        {children}
        <ErrorMessage error={action.error} context={errorContext} />
        <div className="dialog-actions">
          <Button onClick={close}>Cancel</Button>
          <Button tone="primary" type="submit" disabled={action.isPending || !canSubmit}>
            {action.isPending ? pendingLabel : submitLabel}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

/**
 * A destructive action's confirmation (Radix AlertDialog: focus starts on the safe choice, Escape
 * cancels). The title and the confirm button name the thing; the error stays inside the dialog
 * and is cleared when it closes.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  pendingLabel,
  cancelLabel = 'Cancel',
  action,
  errorContext,
  onConfirm,
  onClose,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  pendingLabel: string;
  cancelLabel?: string;
  action: Action;
  errorContext: string;
  onConfirm: () => void;
  onClose: () => void;
}) {
  const close = () => {
    action.reset();
    onClose();
  };
  return (
    <AlertDialog.Root open={open} onOpenChange={(next) => !next && close()}>
      <AlertDialog.Portal>
        <AlertDialog.Overlay className="dialog-overlay" />
        <AlertDialog.Content className="dialog">
          <AlertDialog.Title>{title}</AlertDialog.Title>
          <AlertDialog.Description asChild>
            <div className="confirm-text">{children}</div>
          </AlertDialog.Description>
          <ErrorMessage error={action.error} context={errorContext} />
          <div className="dialog-actions">
            <AlertDialog.Cancel className="button button-secondary">{cancelLabel}</AlertDialog.Cancel>
            <button type="button" className="button button-danger" disabled={action.isPending} onClick={onConfirm}>
              {action.isPending ? pendingLabel : confirmLabel}
            </button>
          </div>
        </AlertDialog.Content>
      </AlertDialog.Portal>
    </AlertDialog.Root>
  );
}

/**
 * The confirm-and-do flow of one thing (revoke a key, delete an endpoint, remove a member): open
 * while `target` is set; on success the lists it changes are read again, it closes, and `onDone`
 * hears which thing it was.
 */
export function ConfirmAction<T>({
  target,
  run,
  invalidates = [],
  onDone,
  onClose,
  title,
  confirmLabel,
  children,
  ...labels
}: {
  target: T | null;
  run: (api: ApiClient, target: T) => Promise<unknown>;
  invalidates?: readonly QueryKey[];
  onDone?: (target: T) => void;
  onClose: () => void;
  title: (target: T) => string;
  confirmLabel: string | ((target: T) => string);
  pendingLabel: string;
  cancelLabel?: string;
  errorContext: string;
  children: (target: T) => ReactNode;
}) {
  const api = useApi();
  const queryClient = useQueryClient();
  const action = useMutation({
    mutationFn: (chosen: T) => run(api, chosen),
    onSuccess: (_, chosen) => {
      for (const queryKey of invalidates) void queryClient.invalidateQueries({ queryKey });
      action.reset();
      onClose();
      onDone?.(chosen);
    },
  });
  return (
    <ConfirmDialog
      {...labels}
      open={target !== null}
      title={target === null ? '' : title(target)}
      confirmLabel={target === null ? '' : typeof confirmLabel === 'string' ? confirmLabel : confirmLabel(target)}
      action={action}
      onConfirm={() => target !== null && action.mutate(target)}
      onClose={onClose}
    >
      {target === null ? null : children(target)}
    </ConfirmDialog>
  );
}

/**
 * A secret shown once (a new key, a signing secret), with a copy button: Escape and outside
 * clicks do not close it, leaving the page asks first, and "I have stored it" closes it.
 * `before` and `children` go above and below the secret.
 */
export function ShownOnceDialog({
  secret,
  title,
  description,
  warning,
  testId,
  copyLabel,
  before,
  children,
  onClose,
}: {
  secret: string | null;
  title: string;
  description: string;
  warning: string;
  testId: string;
  copyLabel: string;
  before?: ReactNode;
  children?: ReactNode;
  onClose: () => void;
}) {
  useEffect(() => {
    if (secret === null) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [secret]);
  return (
    <Dialog open={secret !== null} onOpenChange={(next) => !next && onClose()} title={title} description={description} dismissible={false}>
      {secret !== null ? (
        <div className="form">
          <Banner tone="warning" title="Shown once">
            {warning}
          </Banner>
          {before}
          <div className="secret">
            <code className="secret-value" data-testid={testId}>
              {secret}
            </code>
            <CopyButton text={secret} label={copyLabel} />
          </div>
          {children}
          <div className="dialog-actions">
            <Button tone="primary" onClick={onClose}>
              I have stored it
            </Button>
          </div>
        </div>
      ) : null}
    </Dialog>
  );
}

/**
 * A labelled select of a list's filter: `any` (no filter, the empty value) first, then the
 * choices, and the current value as it is when no choice has it (an id from a shared address).
 */
export function FilterSelect({
  label,
  hint,
  value,
  any,
  choices,
  onChange,
}: {
  label: string;
  hint?: ReactNode;
  value: string | undefined;
  any: string;
  choices: readonly { value: string; label: string }[];
  onChange: (value: string | undefined) => void;
}) {
  return (
    <Field label={label} hint={hint}>
      {(props) => (
        <select {...props} className="select" value={value ?? ''} onChange={(event) => onChange(event.target.value || undefined)}>
          <option value="">{any}</option>
          {choices.map((choice) => (
            <option key={choice.value} value={choice.value}>
              {choice.label}
            </option>
          ))}
          {value && !choices.some((choice) => choice.value === value) ? <option value={value}>{value}</option> : null}
        </select>
      )}
    </Field>
  );
}

/**
 * A column's header: its name; `{ name, number }` for right-aligned figures; `{ name, hidden }`
 * for a name only screen readers hear (a column of buttons); false or null: no such column.
 */
export type Column = string | { name: string; number?: boolean; hidden?: boolean } | false | null;

/** The header of a column of buttons. */
export const ACTIONS_COLUMN: Column = { name: 'Actions', hidden: true };

/**
 * A table in a region of its own that scrolls sideways (from the keyboard too), named `label`,
 * with a caption for screen readers (`caption`, else the label) and a header row of `columns`;
 * `children` are its body (and foot).
 */
export function ScrollTable({
  label,
  caption,
  columns,
  className,
  regionClassName,
  children,
}: {
  label: string;
  caption?: ReactNode;
  columns: readonly Column[];
  className?: string;
  regionClassName?: string;
  children: ReactNode;
}) {
  return (
    <div className={regionClassName ? `table-scroll ${regionClassName}` : 'table-scroll'} tabIndex={0} role="region" aria-label={label}>
      <table className={className ? `table ${className}` : 'table'}>
        <caption className="visually-hidden">{caption ?? label}</caption>
        <thead>
          <tr>
            {columns.map((column, index) =>
              !column ? null : typeof column === 'string' ? (
                <th scope="col" key={index}>
                  {column}
                </th>
              ) : (
                <th scope="col" key={index} className={column.number ? 'cell-number' : undefined}>
                  {column.hidden ? <span className="visually-hidden">{column.name}</span> : column.name}
                </th>
              ),
            )}
          </tr>
        </thead>
        {children}
      </table>
    </div>
  );
}

/** What MorePages reads of a cursor-paged (infinite) query. */
export interface PagedQuery {
  data?: unknown;
  error: unknown;
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => unknown;
}

/**
 * The end of a cursor-paged list: the next page on request, or that there is no more; and why
 * the next page failed, unless the page reports the query's errors itself (`showError: false`).
 */
export function MorePages({
  pages,
  what,
  more = `Show older ${what}`,
  end = `No older ${what}.`,
  showError = true,
}: {
  pages: PagedQuery;
  what: string;
  more?: string;
  end?: string;
  showError?: boolean;
}) {
  return (
    <div className="more-pages">
      {pages.hasNextPage ? (
        <Button onClick={() => void pages.fetchNextPage()} disabled={pages.isFetchingNextPage}>
          {pages.isFetchingNextPage ? 'Loading…' : more}
        </Button>
      ) : (
        <p className="muted">{end}</p>
      )}
      {showError && pages.data && pages.error ? <ErrorMessage error={pages.error} context={`Could not load older ${what}`} /> : null}
    </div>
  );
}

/** "Now" for relative times, moved on every `everyMs` so "just now" does not stay just now. */
export function useNow(everyMs = 30_000): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/** A message that a change went through, for sighted and screen-reader users alike. */
export function Done({ children, onDismiss }: { children: ReactNode; onDismiss: () => void }) {
  return (
    <div className="banner banner-info done" role="status">
      <div>{children}</div>
      <Button tone="ghost" onClick={onDismiss} aria-label="Dismiss the message">
        Dismiss
      </Button>
    </div>
  );
}

/** The current address's query string (`?kind=grant`), for a page that reads its filters from it. */
export function useSearchString(): string {
  return useRouterState({ select: (state) => state.location.searchStr });
}

/**
 * A link to a console address with a query (`/webhooks?endpoint=…`), followed by the router
 * without reloading; a modified click (new tab, new window) is the browser's, as with any link.
 */
export function ConsoleLink({ href, children, className, 'aria-label': ariaLabel }: { href: string; children: ReactNode; className?: string; 'aria-label'?: string }) {
  const navigate = useNavigate();
  const follow = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    void navigate({ href });
  };
  return (
    <a href={`${CONSOLE_BASE}${href}`} onClick={follow} className={className} aria-label={ariaLabel}>
      {children}
    </a>
  );
}
