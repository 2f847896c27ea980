import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { test } from '../../../../test/harness/fixtures.ts';
import type { TestPlatform, TestPlatformOptions } from '../../../../test/harness/platform.ts';
import { ensureConsoleBuilt } from '../../build.ts';

// What the console's browser tests share: Debian's Chromium (/usr/bin/chromium; playwright-core
// downloads no browser), a test function whose file gets the console's build, one browser and a
// fresh context per page, axe-core, the page's policy violations, the narrow and dark checks,
// screenshots, and the ways in (an invitation, the sign-in form).
//
// Pages are opened at the platform's public address (PUBLIC_BASE_URL, http://localhost:<port>):
// the API takes cookie-carrying requests only from that origin.
//
// Screenshots go to test-results/console/<page>.png (git-ignored) for a person to look at.

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = fileURLToPath(new URL('../../../../test-results/console/', import.meta.url));
export const BROWSER_TEST_MS = 120_000;
export const STEP_MS = 15_000;

export interface PageOptions {
  width?: number;
  colorScheme?: 'light' | 'dark';
  /** Keep the files the page downloads (to read a file it offers). */
  acceptDownloads?: boolean;
}

export interface OpenedPage {
  page: Page;
  /** Violations of the page's policy, from the securitypolicyviolation event and the browser's console. */
  violations(): Promise<string[]>;
  /** Uncaught errors and console errors other than policy reports. */
  errors: string[];
  /** Every alert, confirm or prompt the page opened (each dismissed at once): none, ever. */
  dialogs: string[];
}

/**
 * The test function of a browser test file: the platform with these options (file scope), the
 * console's build (made or found up to date once per file, before any page opens), one Chromium
 * for the file, and `open`, which opens a page in a fresh context, closed after the test.
 */
export function consoleBrowserTest(platformOptions: TestPlatformOptions) {
  test.override({ platformOptions });
  return test
    .extend('consoleBuild', { scope: 'file' }, async () => ensureConsoleBuilt({ log: () => {} }))
    .extend('browser', { scope: 'file' }, async ({ consoleBuild }, { onCleanup }) => {
      void consoleBuild;
      await waitFor(() => existsSync(CHROMIUM), 120_000, `${CHROMIUM} (apt-get install chromium)`);
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      onCleanup(() => browser.close());
      await mkdir(SCREENSHOTS, { recursive: true });
      return browser;
    })
    .extend('open', async ({ browser }, { onCleanup }) => {
      const contexts: BrowserContext[] = [];
      onCleanup(async () => {
        for (const context of contexts) await context.close().catch(() => {});
      });
      return (url: string, options?: PageOptions) => openPage(browser, contexts, url, options);
    });
}

/** Records policy violations from the first byte: an init script runs before the page's own. */
const RECORD_VIOLATIONS = `
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (event) => {
    window.__cspViolations.push(event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline') + ' at ' + event.sourceFile + ':' + event.lineNumber);
  });
`;

/** A page in a new context (its own cookies: another device), with violations and errors recorded. */
export async function openPage(browser: Browser, contexts: BrowserContext[], url: string, options: PageOptions = {}): Promise<OpenedPage> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: 900 },
    colorScheme: options.colorScheme ?? 'light',
    acceptDownloads: options.acceptDownloads ?? false,
  });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  await page.addInitScript(RECORD_VIOLATIONS);
  const consoleViolations: string[] = [];
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    if (/Content Security Policy/i.test(message.text())) consoleViolations.push(message.text());
    // An error answer the page asked for (a probe of the session, a refused write) is logged by
    // Chromium as a failed resource; it is not the app's error.
    else if (!/Failed to load resource: the server responded with a status of (401|403|404|409|429)/.test(message.text())) errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss().catch(() => {});
  });
  await page.goto(url);
  return {
    page,
    errors,
    dialogs,
    violations: async () => [...consoleViolations, ...((await page.evaluate('window.__cspViolations || []')) as string[])],
  };
}

/** axe-core's serious and critical findings (WCAG 2.1 A and AA), one line each. */
export async function seriousAxeViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.impact} ${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).join('; ')})`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
}

/**
 * The page as it is (1280 px, light), at a phone's width and in the dark theme: axe finds nothing
 * serious in the light and dark themes, and at 375 px nothing is wider than the window.
 * Screenshots `<name>`, `<name>-375` and `<name>-dark`.
 */
export async function checkLayouts(page: Page, name: string): Promise<void> {
  expect(await seriousAxeViolations(page), name).toEqual([]);
  await screenshot(page, name);
  await page.setViewportSize({ width: 375, height: 812 });
  await screenshot(page, `${name}-375`);
  expect((await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number, `${name} at 375 px`).toBeLessThanOrEqual(0);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.emulateMedia({ colorScheme: 'dark' });
  expect(await seriousAxeViolations(page), `${name}, dark`).toEqual([]);
  await screenshot(page, `${name}-dark`);
  await page.emulateMedia({ colorScheme: 'light' });
}

/** What a page must never have had: a policy violation, an error, an alert, confirm or prompt. */
export async function expectClean(opened: OpenedPage, where = 'the page'): Promise<void> {
  expect(await opened.violations(), `${where}: policy violations`).toEqual([]);
  expect(opened.errors, `${where}: errors`).toEqual([]);
  expect(opened.dialogs, `${where}: dialogs`).toEqual([]);
}

/** Polls a condition on the Node side (the harness's own waits; tests use expect.poll). */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Whether this build of the platform has the session API (the console's sign-in) yet. */
export async function hasSessionApi(baseUrl: string): Promise<boolean> {
  const document = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as { paths?: Record<string, unknown> };
  return Boolean(document.paths?.['/v1/session']);
}

/** The sign-in form, filled and sent; waits for the sign-in page to be gone. */
export async function signInWithForm(page: Page, email: string, password: string): Promise<void> {
  await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor({ state: 'detached' });
}

/** The invitation page, from an accept link (`…/console/accept-invitation#token=…`) on this platform: accepts it and waits for the overview. */
export async function acceptInvitationWithForm(page: Page, password: string, name?: string): Promise<void> {
  await page.getByRole('heading', { name: 'Join a team', level: 1 }).waitFor();
  if (name) await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Accept and sign in' }).click();
  await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
}

/** An operator's invitation (POST /admin/v1/tenants/{id}/invitations, platform.admin): its accept link on the console's origin. */
export async function invitationLink(platform: TestPlatform, tenantId: string, email: string, role: string): Promise<string> {
  const answer = await platform.admin.request<{ accept_url: string }>('POST', `/admin/v1/tenants/${tenantId}/invitations`, { json: { email, role } });
  if (answer.status !== 201) throw new Error(`the invitation was refused: ${answer.status} ${answer.text}`);
  const url = new URL(answer.body.accept_url);
  return `${platform.publicBaseUrl}${url.pathname}${url.hash}`;
}
