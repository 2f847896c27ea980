import { expect } from 'vitest';
import {
  acceptInvitationWithForm,
  BROWSER_TEST_MS,
  checkLayouts,
  consoleBrowserTest,
  expectClean,
  hasSessionApi,
  invitationLink,
  screenshot,
  seriousAxeViolations,
  signInWithForm,
  STEP_MS,
  waitFor,
} from './browser-harness.ts';

// The console in a real Chromium (Debian's /usr/bin/chromium; playwright-core downloads no
// browser) against the whole platform over its socket: the signed-out pages with axe-core, the
// page's policy (no violation reported), narrow and dark layouts, and, once the session API is in
// the build, sign-in → overview → API keys → sign-out → a lapsed session's way back.
//
// Pages are opened at the platform's public address (PUBLIC_BASE_URL, http://localhost:<port>):
// the API takes cookie-carrying requests only from that origin. The browser, the build, axe-core
// and the policy checks are in browser-harness.ts, shared with the other browser test files.
//
// Screenshots go to test-results/console/<page>.png (git-ignored) for a person to look at.

const it = consoleBrowserTest({ transport: 'socket', workerLoops: 0 });

it(
  'the signed-out pages: accessible, within the policy, at 1280 and 375 px, light and dark',
  async ({ platform, open }) => {
    const pages = [
      { name: 'sign-in', path: '/console/sign-in', heading: 'Sign in' },
      { name: 'accept-invitation', path: '/console/accept-invitation', heading: 'Join a team' },
      { name: 'reset-password', path: '/console/reset-password', heading: 'Reset your password' },
      { name: 'reset-password-new', path: `/console/reset-password#token=pwr_${'A'.repeat(43)}`, heading: 'Choose a new password' },
    ];
    for (const entry of pages) {
      for (const variant of [{ suffix: '' }, { suffix: '-375', width: 375 }, { suffix: '-dark', colorScheme: 'dark' as const }]) {
        const opened = await open(`${platform.publicBaseUrl}${entry.path}`, variant);
        const { page } = opened;
        const where = `${entry.name}${variant.suffix}`;
        await page.getByRole('heading', { name: entry.heading, level: 1 }).waitFor();
        // Nothing wider than the window (375 px: a phone).
        const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
        expect(overflow, where).toBeLessThanOrEqual(0);
        expect(await seriousAxeViolations(page), where).toEqual([]);
        await screenshot(page, where);
        await expectClean(opened, where);
        // A link's token leaves the address as soon as the page has read it.
        expect(page.url(), where).not.toContain('#token=');
        await page.context().close();
      }
    }
  },
  BROWSER_TEST_MS,
);

it(
  'the sign-in page works from the keyboard and is served with the console policy',
  async ({ platform, open }) => {
    const response = await fetch(`${platform.publicBaseUrl}/console/sign-in`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'self'; script-src 'self'; style-src 'self' 'nonce-[^']+'; /);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    const document = (await (await fetch(`${platform.publicBaseUrl}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/console'))).toEqual([]);

    const opened = await open(`${platform.publicBaseUrl}/console/sign-in?next=%2Fconsole%2Fkeys`);
    const { page } = opened;
    await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
    await page.getByText('Sign in to continue to /console/keys.').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement && document.activeElement.getAttribute("name")')).toBe('email');
    await page.keyboard.type('nobody@example.com');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement && document.activeElement.getAttribute("name")')).toBe('password');
    await page.keyboard.type('not the password');
    await page.keyboard.press('Enter');
    // Wrong credentials (or, before the session API, no sign-in at all): said where it is read.
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/The email or the password is wrong\.|This server has no console sign-in yet\./);
    await expectClean(opened);
  },
  BROWSER_TEST_MS,
);

it(
  'an invited owner signs in, sees the overview, creates, uses and revokes a key, signs out, and a lapsed session comes back',
  async ({ platform, tenant, open, skip }) => {
    if (!(await hasSessionApi(platform.publicBaseUrl))) skip('the session API is not in this build yet');

    const email = `owner-${tenant.tenantId}@example.com`.toLowerCase();
    const password = 'correct horse battery staple';
    const link = await invitationLink(platform, tenant.tenantId, email, 'owner');
    expect(new URL(link).pathname).toBe('/console/accept-invitation');

    // Accept: name and password, then the overview of the tenant.
    const opened = await open(link);
    const { page } = opened;
    await page.getByRole('heading', { name: 'Join a team', level: 1 }).waitFor();
    expect(page.url()).not.toContain('#token=');
    await acceptInvitationWithForm(page, password, 'Ada Owner');
    await page.getByText('10,000', { exact: true }).waitFor(); // the tenant's opening balance
    await page.getByRole('heading', { name: 'No jobs yet' }).waitFor();
    await checkLayouts(page, 'overview');

    // API keys: the tenant's own key is listed; a new test key's secret is shown once and works.
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
    await page.getByRole('rowheader', { name: 'test', exact: true }).waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshot(page, 'keys');
    await page.getByRole('button', { name: 'Create a key' }).first().click();
    const form = page.getByRole('dialog', { name: 'Create an API key' });
    await form.getByLabel('Name').fill('console test');
    expect(await seriousAxeViolations(page)).toEqual([]);
    await form.getByRole('button', { name: 'Create the key' }).click();
    const shown = page.getByRole('dialog', { name: 'Your new key “console test”' });
    await shown.waitFor();
    const secret = (await shown.getByTestId('new-key-secret').innerText()).trim();
    expect((await platform.client(secret).request('GET', '/v1/credits')).status).toBe(200);
    await page.keyboard.press('Escape'); // a secret shown once does not vanish by accident
    await shown.waitFor();
    await screenshot(page, 'keys-secret');
    await shown.getByRole('button', { name: 'I have stored it' }).click();
    const row = page.getByRole('row', { name: /console test/ });
    await row.getByText('Test', { exact: true }).waitFor();
    // Modal dialogs stay within the policy (Radix's scroll lock gets the page's style nonce).
    expect(await opened.violations()).toEqual([]);

    // Rotate the tenant's own key at once: the new secret works.
    await page.getByRole('button', { name: 'Rotate test' }).click();
    const rotate = page.getByRole('dialog', { name: 'Rotate “test”' });
    await rotate.getByRole('radio', { name: 'at once' }).click();
    await rotate.getByRole('button', { name: 'Rotate' }).click();
    const rotated = page.getByRole('dialog', { name: 'Your new key “test”' });
    const replacement = (await rotated.getByTestId('new-key-secret').innerText()).trim();
    expect(replacement).not.toBe(tenant.key);
    expect((await platform.client(replacement).request('GET', '/v1/credits')).status).toBe(200);
    await rotated.getByRole('button', { name: 'I have stored it' }).click();
    await rotated.waitFor({ state: 'detached' });

    // Revoke, after a confirmation that names the key: refused by the API from then on.
    await page.getByRole('button', { name: 'Revoke console test' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Revoke “console test”?' });
    await confirm.getByRole('button', { name: 'Revoke “console test”' }).click();
    await confirm.waitFor({ state: 'detached' });
    await waitFor(async () => (await platform.client(secret).request('GET', '/v1/credits')).status === 401, STEP_MS, 'the revoked key to be refused');

    // Sign out; then a signed-in page sends to sign-in and, after it, back there.
    await page.getByRole('button', { name: `Account menu for ${email}` }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
    await page.goto(`${platform.publicBaseUrl}/console/keys`);
    await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/console/sign-in?next=%2Fconsole%2Fkeys');
    await signInWithForm(page, email, password);
    await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/keys');

    await expectClean(opened);
  },
  BROWSER_TEST_MS,
);

it(
  "npm start's one-time link signs the local owner in; the link's token leaves the address",
  async ({ platform, open, skip }) => {
    if (!(await hasSessionApi(platform.publicBaseUrl))) skip('the session API is not in this build yet');
    const link = new URL(platform.consoleSignInUrl);
    expect(link.pathname).toBe('/console/sign-in');
    expect(link.hash).toMatch(/^#token=sgn_/);
    const opened = await open(`${platform.publicBaseUrl}${link.pathname}${link.hash}`);
    const { page } = opened;
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/');
    expect(page.url()).not.toContain('token=');
    await page.getByText('Local development, this month so far (UTC).').waitFor();
    await expectClean(opened);
  },
  BROWSER_TEST_MS,
);

it(
  'a member of two teams switches between them',
  async ({ platform, open, skip }) => {
    if (!(await hasSessionApi(platform.publicBaseUrl))) skip('the session API is not in this build yet');
    const alpha = await platform.createTenantWithKey({ name: 'Team Alpha' });
    const beta = await platform.createTenantWithKey({ name: 'Team Beta', credits: 250 });
    const email = `member-${alpha.tenantId}@example.com`.toLowerCase();
    const password = 'a long enough password';
    const toAlpha = await invitationLink(platform, alpha.tenantId, email, 'developer');
    const toBeta = await invitationLink(platform, beta.tenantId, email, 'viewer');

    // A new account in Alpha, then the same account (its password) joins Beta.
    const opened = await open(toAlpha);
    const { page } = opened;
    await acceptInvitationWithForm(page, password);
    await page.getByText('Team Alpha, this month so far (UTC).').waitFor();
    await page.goto(toBeta);
    await acceptInvitationWithForm(page, password);
    await page.getByText('Team Beta, this month so far (UTC).').waitFor();
    await page.getByText('250', { exact: true }).waitFor();
    await screenshot(page, 'overview-two-teams');

    // A viewer cannot manage keys, and is told so; then back to Alpha, where a developer can.
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByText('Your role (viewer) cannot manage API keys').waitFor();
    await page.getByRole('combobox', { name: 'Team: Team Beta. Switch team' }).click();
    await page.getByRole('option', { name: /^Team Alpha/ }).click();
    await page.getByText('Team Alpha, this month so far (UTC).').waitFor();
    await page.getByText('10,000', { exact: true }).waitFor();
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('rowheader', { name: 'test', exact: true }).waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
    await expectClean(opened);
  },
  BROWSER_TEST_MS,
);
