import type { QueryClient } from '@tanstack/react-query';
import { createRootRouteWithContext, createRoute, createRouter, lazyRouteComponent, Outlet, redirect } from '@tanstack/react-router';
import { isApiError, type ApiClient } from './api/client.ts';
import { loadJob } from './api/job-query.ts';
import { sessionQuery } from './api/session.ts';
import { parseJobsSearch } from './lib/jobs-search.ts';
import { CONSOLE_BASE } from './lib/redirect.ts';
import { parseUsageSearch } from './lib/usage-search.ts';
import { AcceptInvitationPage } from './pages/accept-invitation.tsx';
import { NotFoundPage, RouteErrorPage } from './pages/errors.tsx';
import { ResetPasswordPage } from './pages/reset-password.tsx';
import { Shell } from './pages/shell.tsx';
import { SignInPage } from './pages/sign-in.tsx';

// The console's pages. Signed-out pages are in the first bundle; the signed-in pages load when
// first opened. Every signed-in page sits under the shell, whose beforeLoad reads the session:
// a 401 there (or from any request later) sends the user to sign-in and back afterwards.

export interface RouterContext {
  queryClient: QueryClient;
  api: ApiClient;
}

/** `?next=` of the signed-out pages: where to go afterwards (checked by safeNext before use). */
const nextSearch = (search: Record<string, unknown>): { next?: string } => (typeof search.next === 'string' ? { next: search.next } : {});

const rootRoute = createRootRouteWithContext<RouterContext>()({
  component: Outlet,
  notFoundComponent: NotFoundPage,
  errorComponent: RouteErrorPage,
});

const signInRoute = createRoute({ getParentRoute: () => rootRoute, path: 'sign-in', validateSearch: nextSearch, component: SignInPage });
const acceptInvitationRoute = createRoute({ getParentRoute: () => rootRoute, path: 'accept-invitation', component: AcceptInvitationPage });
const resetPasswordRoute = createRoute({ getParentRoute: () => rootRoute, path: 'reset-password', component: ResetPasswordPage });

const shellRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: 'signed-in',
  beforeLoad: async ({ context, location }) => {
    try {
      return { session: await context.queryClient.ensureQueryData(sessionQuery(context.api)) };
    } catch (error) {
      if (isApiError(error, 401)) throw redirect({ to: '/sign-in', search: { next: `${CONSOLE_BASE}${location.href}` }, replace: true });
      throw error;
    }
  },
  component: Shell,
});

const page = <Path extends string>(path: Path, load: Parameters<typeof lazyRouteComponent>[0], exportName: string) =>
  createRoute({ getParentRoute: () => shellRoute, path, component: lazyRouteComponent(load, exportName) });

// Usage and Jobs keep their view in the URL (validateSearch); a job's page reads the job first, and
// an id the API does not know for this team is the not-found page. Declared as consts: inline in
// addChildren's array their types would be inferred against its contextual type and lost.
const usageRoute = createRoute({
  getParentRoute: () => shellRoute,
  path: 'usage',
  validateSearch: parseUsageSearch,
  // The chart library starts downloading with the page, not after the page has rendered and asked for it.
  loader: () => void import('./components/usage-chart.tsx'),
  component: lazyRouteComponent(() => import('./pages/usage.tsx'), 'UsagePage'),
});
const jobsRoute = createRoute({ getParentRoute: () => shellRoute, path: 'jobs', validateSearch: parseJobsSearch, component: lazyRouteComponent(() => import('./pages/jobs.tsx'), 'JobsPage') });
const jobRoute = createRoute({ getParentRoute: () => shellRoute, path: 'jobs/$jobId', loader: ({ context, params }) => loadJob(context, params.jobId), component: lazyRouteComponent(() => import('./pages/job.tsx'), 'JobPage') });

const routeTree = rootRoute.addChildren([
  signInRoute,
  acceptInvitationRoute,
  resetPasswordRoute,
  shellRoute.addChildren([
    page('/', () => import('./pages/overview.tsx'), 'OverviewPage'),
    page('keys', () => import('./pages/keys.tsx'), 'KeysPage'),
    usageRoute,
    jobsRoute,
    jobRoute,
    page('webhooks', () => import('./pages/webhooks.tsx'), 'WebhooksPage'),
    page('credits', () => import('./pages/credits.tsx'), 'CreditsPage'),
    page('team', () => import('./pages/team.tsx'), 'TeamPage'),
    page('account', () => import('./pages/account.tsx'), 'AccountPage'),
  ]),
]);

export function createAppRouter(context: RouterContext) {
  return createRouter({
    routeTree,
    basepath: CONSOLE_BASE,
    context,
    defaultPreload: 'intent',
    // The query cache decides freshness; the router only asks it.
    defaultPreloadStaleTime: 0,
    scrollRestoration: true,
  });
}

export type AppRouter = ReturnType<typeof createAppRouter>;

declare module '@tanstack/react-router' {
  interface Register {
    router: AppRouter;
  }
}
