import { QueryClientProvider } from '@tanstack/react-query';
import { RouterProvider } from '@tanstack/react-router';
import { setNonce } from 'get-nonce';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createApiClient } from './api/client.ts';
import { ApiProvider } from './api/context.tsx';
import { forgetSession, sessionQuery } from './api/session.ts';
import { createQueryClient } from './query-client.ts';
import { isPublicPath, routerHref, signInHref } from './lib/redirect.ts';
import { createAppRouter, type AppRouter } from './router.tsx';
import './styles.css';

// The page's style nonce (index.html's <meta property="csp-nonce">, filled in per response by the
// API) for the one style tag a library inserts: Radix's scroll lock under modal dialogs.
const nonce = document.querySelector<HTMLMetaElement>('meta[property="csp-nonce"]')?.nonce;
if (nonce) setNonce(nonce);

const queryClient = createQueryClient();
let router: AppRouter | undefined;

const api = createApiClient({
  // A lapsed session anywhere: to sign-in, and back to this page afterwards.
  onUnauthorized: () => {
    if (!router || isPublicPath(window.location.pathname)) return;
    const here = window.location.pathname + window.location.search;
    forgetSession(api, queryClient);
    void router.navigate({ href: routerHref(signInHref(here)), replace: true });
  },
  loadCsrfToken: async () => (await queryClient.fetchQuery(sessionQuery(api))).csrf_token,
});

router = createAppRouter({ queryClient, api });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <ApiProvider api={api}>
        <RouterProvider router={router} />
      </ApiProvider>
    </QueryClientProvider>
  </StrictMode>,
);
