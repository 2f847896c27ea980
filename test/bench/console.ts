import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CONSOLE_DIST, ensureConsoleBuilt } from '@kontext/console/build';
import { chromium, type Page } from 'playwright-core';
import { ApiClient } from '../harness/api-client.ts';
import { describeMachine, quantile, reportResults, round, sized } from './report.ts';
import { seedFinishedJobs } from './seed-jobs.ts';
import { startBenchPlatform } from './bench-platform.ts';

// `npm run bench` part 6, the console: for one tenant seeded with BENCH_CONSOLE_JOBS (default
// 1,000,000) finished jobs over 90 days,
//   1. the Overview and the 90-day Usage chart in headless Chromium: navigation timing, and the
//      time from navigation start until every figure has loaded (Overview) or the chart has
//      painted with its data (Usage), each over repeated visits (p50/p95);
//   2. the job log's first page, GET /v1/jobs, server time over loopback (p50/p95), unfiltered and
//      with the console's filters;
//   3. the console's initial JavaScript, gzipped as served: what index.html loads before any page.

const JOBS = Number(process.env.BENCH_CONSOLE_JOBS ?? sized(1_000_000, 500));
const VISITS = sized(20, 2);
const REQUESTS = sized(100, 3);
/** The 90-day usage view by day: what the Usage page opens with these search params. */
const USAGE_PATH = '/console/usage?range=90d&granularity=day&group=model';
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

async function main(): Promise<void> {
  const build = await ensureConsoleBuilt({ log: () => {} });
  const bench = await startBenchPlatform('console', ['jobs:read', 'usage:read', 'credits:read', 'keys:write']);
  const { platform, sql, admin, tenant, key } = bench;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const results: Record<string, unknown> = { machine: describeMachine(), consoleBuild: { built: build.built, ms: round(build.ms, 0) } };
  try {

    process.stdout.write(`1/3 seeding ${JOBS} finished jobs over 90 days...\n`);
    const seedStarted = performance.now();
    await seedFinishedJobs(sql, { tenantId: tenant.id, apiKeyId: key.id, jobs: JOBS, days: 90, progress: (n) => process.stdout.write(`  ${n} jobs seeded\n`) });
    const seedingSeconds = round((performance.now() - seedStarted) / 1000, 1);

    // An owner's session, made through the API (invitation, accept), handed to the browser as its cookie.
    const invited = (await admin.request<{ accept_url: string }>('POST', `/admin/v1/tenants/${tenant.id}/invitations`, { json: { email: 'bench@example.com', role: 'owner' } })).body;
    const accepted = await fetch(`${platform.url}/v1/invitations/accept`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: new URL(invited.accept_url).hash.slice('#token='.length), password: 'benchmark password' }),
    });
    const cookie = /^([^=]+)=([^;]+)/.exec(accepted.headers.get('set-cookie') ?? '');
    if (!accepted.ok || !cookie) throw new Error(`could not sign the bench owner in: ${accepted.status}`);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addCookies([{ name: cookie[1]!, value: cookie[2]!, url: platform.publicBaseUrl, httpOnly: true, sameSite: 'Lax' }]);
    const page = await context.newPage();

    process.stdout.write('2/3 the Overview and the 90-day Usage chart in Chromium...\n');
    // Every figure loaded: a heading, a value, and no loading indicator left.
    const overview = await timeVisits(page, `${platform.publicBaseUrl}/console/`, ['main h1', 'main .figure-value']);
    // Painted with data: the chart's SVG has drawn its series, and nothing is still loading.
    const usage = await timeVisits(page, `${platform.publicBaseUrl}${USAGE_PATH}`, ['main .recharts-surface .recharts-layer path, main .recharts-surface .recharts-rectangle']);
    results.pages = { seededJobs: JOBS, seedingSeconds, visits: VISITS, overview, usage90Days: { path: USAGE_PATH, ...usage } };

    process.stdout.write('3/3 the job log first page and the initial JavaScript...\n');
    const client = new ApiClient(platform.url, key.key);
    const jobLog: Record<string, { p50Ms: number; p95Ms: number; rows: number }> = {};
    for (const [name, query] of [
      ['newest', 'limit=50'],
      ['failedOnly', 'limit=50&status=failed'],
      ['oneModel', 'limit=50&model=flux-kontext-pro'],
      ['lastWeek', `limit=50&created_after=${encodeURIComponent(new Date(Date.now() - 7 * 86_400_000).toISOString())}`],
    ] as const) {
      for (let i = 0; i < 5; i++) await client.request('GET', `/v1/jobs?${query}`);
      const samples: number[] = [];
      let rows = 0;
      for (let i = 0; i < REQUESTS; i++) {
        const started = performance.now();
        const response = await client.request<{ data: unknown[] }>('GET', `/v1/jobs?${query}`);
        samples.push(performance.now() - started);
        rows = response.body.data.length;
      }
      jobLog[name] = { p50Ms: round(quantile(samples, 0.5), 2), p95Ms: round(quantile(samples, 0.95), 2), rows };
    }
    results.jobLogFirstPage = jobLog;
    // The Usage page's own request, alone: what of its time is the server's.
    const to = new Date().toISOString();
    const from = new Date(Date.now() - 90 * 86_400_000).toISOString();
    const usagePath = `/v1/usage?granularity=day&group_by=model&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    for (let i = 0; i < 5; i++) await client.request('GET', usagePath);
    const usageSamples: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const started = performance.now();
      await client.request('GET', usagePath);
      usageSamples.push(performance.now() - started);
    }
    results.usageApi90DaysByModel = { p50Ms: round(quantile(usageSamples, 0.5), 2), p95Ms: round(quantile(usageSamples, 0.95), 2) };
    results.initialJavaScript = await initialJavaScript();
    await context.close();
  } finally {
    await browser.close();
    await bench.stop();
  }
  await reportResults('console', results);
}

/**
 * Visits a page `VISITS` times after one warm-up visit (the assets are then cached, as for a person
 * coming back): for each, the navigation timing and the time from navigation start until `ready`
 * holds in the page, read from the page's own clock.
 */
interface VisitTiming {
  readyMs: number;
  responseEndMs: number;
  domContentLoadedMs: number;
}

/** What the page functions below touch of the DOM (this file is typed without the DOM's types). */
interface PageGlobals {
  document: { querySelector(selectors: string): unknown };
  performance: { now(): number; getEntriesByType(type: string): { responseEnd: number; domContentLoadedEventEnd: number }[] };
}

async function timeVisits(page: Page, url: string, present: string[]) {
  const visit = async (): Promise<VisitTiming> => {
    await page.goto(url, { waitUntil: 'commit' });
    // Functions, not strings: the console's CSP forbids eval, and Playwright would eval a string.
    await page.waitForFunction(
      (selectors) => {
        const { document } = globalThis as unknown as PageGlobals;
        return selectors.every((selector) => document.querySelector(selector) !== null) && document.querySelector('main .loading') === null;
      },
      present,
      { timeout: 60_000, polling: 'raf' },
    );
    // performance.now() counts from the navigation's start, on the page's clock.
    return page.evaluate(() => {
      const { performance } = globalThis as unknown as PageGlobals;
      const [navigation] = performance.getEntriesByType('navigation');
      return { readyMs: performance.now(), responseEndMs: navigation?.responseEnd ?? Number.NaN, domContentLoadedMs: navigation?.domContentLoadedEventEnd ?? Number.NaN };
    });
  };
  await visit();
  const samples: VisitTiming[] = [];
  for (let i = 0; i < VISITS; i++) samples.push(await visit());
  const stat = (pick: (sample: VisitTiming) => number) => {
    const values = samples.map(pick);
    return { p50Ms: round(quantile(values, 0.5), 1), p95Ms: round(quantile(values, 0.95), 1) };
  };
  return { interactive: stat((s) => s.readyMs), responseEnd: stat((s) => s.responseEndMs), domContentLoaded: stat((s) => s.domContentLoadedMs) };
}

/** What index.html loads before any page: its module script and the chunks it preloads, gzipped at level 9. */
async function initialJavaScript() {
  const html = await readFile(join(CONSOLE_DIST, 'index.html'), 'utf8');
  const files = [...html.matchAll(/<(?:script[^>]*\bsrc|link[^>]*rel="modulepreload"[^>]*\bhref)="\/console\/([^"]+\.js)"/g)].map((match) => match[1]!);
  const sizes: Record<string, number> = {};
  let total = 0;
  for (const file of new Set(files)) {
    const gzipped = gzipSync(await readFile(join(CONSOLE_DIST, file)), { level: 9 }).length;
    sizes[file] = round(gzipped / 1024, 1);
    total += gzipped;
  }
  return { gzippedKiB: round(total / 1024, 1), files: sizes };
}

await main();
