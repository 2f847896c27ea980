import { readFile } from 'node:fs/promises';
import { EngineError } from '@kontext/gpu-worker';
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { ScriptedEngine, TestWorkers } from '../../../../test/harness/engines.ts';
import type { ApiClient } from '../../../../test/harness/api-client.ts';
import { WebhookReceiver } from '../../../../test/harness/receiver.ts';
import type { ApiKeyList, Credits, JobList, Usage } from '../../src/api/types.ts';
import type { JobView, LedgerPage, WebhookDeliveryList } from '../../src/api/jobs-types.ts';
import { formatCount, formatCredits, formatPercent, maskedKey } from '../../src/lib/format.ts';
import { overviewUsageQuery, summarizeUsage } from '../../src/lib/overview.ts';
import { bucketLabel, chartData, METRIC_FORMAT, METRICS, usageCsv } from '../../src/lib/usage-view.ts';
import {
  acceptInvitationWithForm,
  BROWSER_TEST_MS,
  checkLayouts,
  consoleBrowserTest,
  expectClean,
  hasSessionApi,
  invitationLink,
  STEP_MS,
  type OpenedPage,
} from './browser-harness.ts';

// The Usage page, the Jobs log and a job's page in Chromium, against a tenant seeded through the
// API: jobs of two models and two keys (one with an HTML name), one that fails, one whose prompt
// is markup, an edit (a lineage of two), a webhook, and enough jobs for a second page. An owner
// signs in through an operator's invitation. What the pages show is compared with what the API
// answers the tenant's own key for the same question; no markup from data ever runs (no dialog
// opens), the page's policy is never violated, and axe-core finds nothing serious.
//
// Jobs run on worker loops this file starts (the preview engine, scripted to fail a prompt that
// asks for it). Screenshots: test-results/console/usage.png, jobs.png, job.png.

const it = consoleBrowserTest({ transport: 'socket', workerLoops: 0 });

const XSS_PROMPT = '<img src=x onerror=alert(1)>';
const TEAM_NAME = 'Usage <b>team</b> & "Co"';
const KEY_NAME = '<script>alert("key")</script>';
const FAILING_PROMPT = 'please fail: a lighthouse in fog';
const ENGINE_ERROR = 'the engine gave up on purpose';
/** Beyond one page of the log (25). */
const BATCH = 22;

const LEDGER_LABELS: Record<string, string> = { grant: 'granted', reserve: 'held', settle: 'charged', refund: 'given back' };

async function get<T>(api: ApiClient, path: string): Promise<T> {
  const response = await api.request<T>('GET', path);
  expect(response.status, `${path}: ${response.text}`).toBe(200);
  return response.body;
}

async function submit(api: ApiClient, body: Record<string, unknown>, model = 'flux-kontext-dev'): Promise<string> {
  const response = await api.submit(body, { model });
  expect(response.status, response.text).toBe(200);
  return response.body.id;
}

/** A table's header, body and footer cells as text, row by row. */
async function tableText(table: Locator): Promise<{ head: string[]; body: string[][]; foot: string[] }> {
  const head = (await table.locator('thead th').allInnerTexts()).map((text) => text.trim());
  const body: string[][] = [];
  const rows = table.locator('tbody tr');
  for (let index = 0; index < (await rows.count()); index += 1) body.push((await rows.nth(index).locator('th, td').allInnerTexts()).map((text) => text.trim()));
  const foot = (await table.locator('tfoot tr').count()) > 0 ? (await table.locator('tfoot th, tfoot td').allInnerTexts()).map((text) => text.trim()) : [];
  return { head, body, foot };
}

/** What the Usage page's table of one metric must hold for an answer of the API. */
function expectedUsageTable(usage: Usage, metric: (typeof METRICS)[number]['metric'], labelOf: (key: string) => string) {
  const data = chartData(usage, metric);
  const format = METRIC_FORMAT[metric];
  const series = usage.group_by === 'none' ? [] : data.series;
  return {
    head: [usage.granularity === 'hour' ? 'HOUR' : 'DAY', ...series.map((key) => labelOf(key).toUpperCase()), 'TOTAL'],
    body: data.rows.map((row) => [bucketLabel(row.start, usage.granularity), ...series.map((key) => format(row.values[key] ?? 0)), format(row.total)]),
    foot: ['Whole range', ...series.map((key) => format(data.rows.reduce((sum, row) => sum + (row.values[key] ?? 0), 0))), format(data.total)],
  };
}

/** The ids of the jobs the log lists, in order. */
async function listedJobIds(page: Page): Promise<string[]> {
  const rows = page.locator('tbody tr[data-job-id]');
  const ids: string[] = [];
  for (let index = 0; index < (await rows.count()); index += 1) ids.push((await rows.nth(index).getAttribute('data-job-id')) ?? '');
  return ids;
}

/** Every job id of the tenant's log for a query, page after page. */
async function apiJobIds(api: ApiClient, query: Record<string, string>): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: JobList = await get<JobList>(api, `/v1/jobs?${new URLSearchParams({ limit: '100', ...query, ...(cursor ? { cursor } : {}) }).toString()}`);
    ids.push(...page.data.map((job) => job.id));
    cursor = page.next_cursor;
  } while (cursor);
  return ids;
}

/** Whether an <img> has loaded its picture (run in the page). */
const loaded = (image: unknown) => {
  const picture = image as { complete: boolean; naturalWidth: number };
  return picture.complete && picture.naturalWidth > 0;
};

const search = (page: Page) => Object.fromEntries(new URL(page.url()).searchParams);

/** The page is clean, and markup from data stayed text: no element came of the markup prompt or names. */
async function expectCleanOfData(opened: OpenedPage, where: string): Promise<void> {
  await expectClean(opened, where);
  expect(await opened.page.locator('img[src="x"], b:text-is("team")').count(), `${where}: elements from data`).toBe(0);
}

it(
  'usage, the jobs log and a job page show what the API answers, and nothing from data runs',
  async ({ platform, open, skip }) => {
    if (!(await hasSessionApi(platform.publicBaseUrl))) skip('the session API is not in this build yet');

    // Worker loops with the preview engine, scripted: a prompt that asks to fail, fails.
    const workers = new TestWorkers(platform.ctx);
    // Steps a little apart, so that progress reports land before the job ends.
    const engine = new ScriptedEngine((_attempt, request) => (request.prompt.startsWith('please fail') ? new EngineError(ENGINE_ERROR, false) : undefined), { stepDelayMs: 15 });
    workers.start(engine);
    workers.start(engine);
    const receiver = await new WebhookReceiver().start();
    try {
      // ---- The tenant, seeded through the API with its own key.
      const tenant = await platform.createTenantWithKey({ name: TEAM_NAME, limits: { requests_per_minute_per_key: 1_000_000, max_active_jobs: 1000 } });
      const api = tenant.api;
      const created = await api.request<{ id: string; key: string }>('POST', '/v1/keys', { json: { name: KEY_NAME } });
      expect(created.status, created.text).toBe(201);
      const secondKey = api.withKey(created.body.key);
      const first = await submit(api, { prompt: 'a red bicycle leaning on a blue wall', webhook_url: receiver.url('/hook'), steps: 4 });
      const markup = await submit(api, { prompt: XSS_PROMPT, steps: 4 });
      const pro = await submit(secondKey, { prompt: 'a blue door, morning light', steps: 4 }, 'flux-kontext-pro');
      const failing = await submit(api, { prompt: FAILING_PROMPT, steps: 4 });
      for (const id of [first, markup, pro, failing]) await api.waitForResult(id, { timeoutMs: 30_000 });
      const edit = await api.request<{ id: string }>('POST', `/v1/jobs/${first}/edits`, { json: { prompt: 'the same, at night' } });
      expect(edit.status, edit.text).toBe(200);
      const batch: string[] = [];
      for (let index = 0; index < BATCH; index += 1) batch.push(await submit(api, { prompt: `batch job ${index + 1}`, steps: 1 }));
      for (const id of [edit.body.id, ...batch]) await api.waitForResult(id, { timeoutMs: 60_000 });
      expect((await get<JobView>(api, `/v1/jobs/${failing}`)).status).toBe('failed');
      // Another team's job: its id must read as no page at all.
      const other = await platform.createTenantWithKey({ name: 'Another team' });
      const othersJob = await submit(other.api, { prompt: 'not yours', steps: 1 });

      // ---- An owner, invited by the operator, signs in: the overview's figures are the API's.
      const email = `owner-${tenant.tenantId}@example.com`.toLowerCase();
      const opened = await open(await invitationLink(platform, tenant.tenantId, email, 'owner'), { acceptDownloads: true });
      const { page } = opened;
      await acceptInvitationWithForm(page, 'correct horse battery staple', 'Ada <i>Owner</i>');
      await page.getByText(`${TEAM_NAME}, this month so far (UTC).`, { exact: true }).waitFor();
      const figure = (label: string) => page.locator('.figure').filter({ has: page.getByRole('heading', { name: label, exact: true }) }).locator('.figure-value');
      const credits = await get<Credits>(api, '/v1/credits');
      const monthQuery = overviewUsageQuery(new Date());
      const month = await get<Usage>(api, `/v1/usage?${new URLSearchParams(monthQuery).toString()}`);
      const summary = summarizeUsage(month, new Date());
      expect(summary.monthJobs).toBe(4 + 1 + BATCH);
      await expect.poll(() => figure('Credits available').innerText(), { timeout: STEP_MS }).toBe(formatCredits(credits.credits));
      await expect.poll(() => figure('Reserved by running jobs').innerText(), { timeout: STEP_MS }).toBe(formatCredits(credits.reserved));
      await expect.poll(() => figure('Spent this month').innerText(), { timeout: STEP_MS }).toBe(formatCredits(summary.monthCredits));
      await expect.poll(() => figure('Spent today').innerText(), { timeout: STEP_MS }).toBe(formatCredits(summary.todayCredits));
      await expect.poll(() => figure('Jobs today').innerText(), { timeout: STEP_MS }).toBe(formatCount(summary.todayJobs));
      await expect.poll(() => figure('Success rate this month').innerText(), { timeout: STEP_MS }).toBe(formatPercent(summary.successRate));

      // ---- Usage: each table is /v1/usage's answer for the query the page made.
      const keys = await get<ApiKeyList>(api, '/v1/keys');
      const keyLabel = (id: string) => {
        const key = keys.data.find((entry) => entry.id === id);
        return key ? `${key.name} (${maskedKey(key)})` : id;
      };
      const usageAnswer = (groupBy: string) =>
        page.waitForResponse((response) => {
          const url = new URL(response.url());
          return url.pathname === '/v1/usage' && url.searchParams.get('group_by') === groupBy && response.status() === 200;
        });
      const expectTablesMatch = async (path: string, labelOf: (key: string) => string) => {
        const answer = await get<Usage>(api, path);
        for (const { metric } of METRICS) {
          const table = page.locator(`section[data-metric="${metric}"] table`);
          await expect.poll(() => tableText(table), { timeout: STEP_MS }).toEqual(expectedUsageTable(answer, metric, labelOf));
        }
        return answer;
      };
      const byModel = usageAnswer('model');
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Usage' }).click();
      await page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();
      const modelUrl = new URL((await byModel).url());
      expect(Object.fromEntries(modelUrl.searchParams)).toMatchObject({ granularity: 'day', group_by: 'model' });
      const modelUsage = await expectTablesMatch(`${modelUrl.pathname}${modelUrl.search}`, (key) => key);
      expect(chartData(modelUsage, 'jobs').series.sort()).toEqual(['flux-kontext-dev', 'flux-kontext-pro']);
      expect(modelUsage.totals.jobs).toBe(4 + 1 + BATCH);
      // The chart itself (recharts, loaded after the page): bars drawn as SVG.
      await page.locator('section[data-metric="jobs"] .usage-chart svg .recharts-bar-rectangle').first().waitFor();

      // Grouping by key: into the URL, kept by a reload; the key's HTML name is text.
      const byKey = usageAnswer('key');
      await page.getByLabel('Group by').selectOption('key');
      await expect.poll(() => search(page), { timeout: STEP_MS }).toMatchObject({ group: 'key' });
      await byKey;
      const byKeyAfterReload = usageAnswer('key');
      await page.reload();
      await page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();
      expect(await page.getByLabel('Group by').inputValue()).toBe('key');
      const keyUrl = new URL((await byKeyAfterReload).url());
      const keyUsage = await expectTablesMatch(`${keyUrl.pathname}${keyUrl.search}`, keyLabel);
      await page.locator('section[data-metric="jobs"] thead th', { hasText: KEY_NAME }).waitFor();

      // The CSV: what the tables show, named for range and grouping.
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
      expect(download.suggestedFilename()).toMatch(/^kontext-usage-7d-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}-daily-by-key\.csv$/);
      const csv = await readFile(await download.path(), 'utf8');
      expect(csv).toBe(usageCsv(keyUsage));
      expect(csv).toContain(`,${tenant.keyId},`);
      expect(csv).toContain(`,${created.body.id},1,4,`);

      // Another range and granularity: the last 24 hours, by hour; then a custom range with nothing in it.
      const hourly = usageAnswer('key');
      await page.getByLabel('Range').selectOption('24h');
      const hourlyUrl = new URL((await hourly).url());
      expect(Object.fromEntries(hourlyUrl.searchParams)).toMatchObject({ granularity: 'hour', group_by: 'key' });
      await expectTablesMatch(`${hourlyUrl.pathname}${hourlyUrl.search}`, keyLabel);
      expect(search(page)).toMatchObject({ range: '24h', group: 'key' });
      await page.goto(`${platform.publicBaseUrl}/console/usage?range=custom&from=2020-01-01&to=2020-01-31&group=model`);
      await page.getByText('Nothing matches this view', { exact: false }).waitFor();
      await page.locator('section[data-metric="jobs"] .usage-chart-empty', { hasText: 'Nothing matches' }).waitFor();
      await page.goto(`${platform.publicBaseUrl}/console/usage?group=model`);
      await page.locator('section[data-metric="jobs"] .usage-chart svg .recharts-bar-rectangle').first().waitFor();
      await checkLayouts(page, 'usage');
      await expectCleanOfData(opened, 'usage');

      // ---- Jobs: the log, newest first, a page and "Load more"; the filters in the URL.
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Jobs' }).click();
      await page.getByRole('heading', { name: 'Jobs', level: 1 }).waitFor();
      const everyJob = await apiJobIds(api, {});
      expect(everyJob).toHaveLength(4 + 1 + BATCH);
      await expect.poll(() => listedJobIds(page), { timeout: STEP_MS }).toEqual(everyJob.slice(0, 25));
      await page.getByRole('button', { name: 'Load more' }).click();
      await expect.poll(() => listedJobIds(page), { timeout: STEP_MS }).toEqual(everyJob);
      await page.getByText('jobs: the whole list.', { exact: false }).waitFor();
      // The markup prompt reads as text.
      const markupRow = page.locator(`tr[data-job-id="${markup}"]`);
      expect(await markupRow.getByRole('link').innerText()).toBe(XSS_PROMPT);
      // Thumbnails come from the platform itself.
      const firstThumb = page.locator(`tr[data-job-id="${first}"] img.thumb`);
      expect(new URL((await firstThumb.getAttribute('src'))!, platform.publicBaseUrl).origin).toBe(new URL(platform.publicBaseUrl).origin);
      await expect.poll(() => firstThumb.evaluate(loaded), { timeout: STEP_MS }).toBe(true);
      await checkLayouts(page, 'jobs');

      const expectFiltered = async (query: Record<string, string>, apiQuery: Record<string, string>) => {
        const expected = await apiJobIds(api, apiQuery);
        await expect.poll(() => search(page), { timeout: STEP_MS }).toMatchObject(query);
        // The first page of them (25).
        await expect.poll(() => listedJobIds(page), { timeout: STEP_MS }).toEqual(expected.slice(0, 25));
        return expected;
      };
      await page.getByLabel('Status').selectOption('failed');
      expect(await expectFiltered({ status: 'failed' }, { status: 'failed' })).toEqual([failing]);
      await page.locator(`tr[data-job-id="${failing}"]`).getByText(ENGINE_ERROR).waitFor();
      await page.getByLabel('Status').selectOption('');
      await page.getByLabel('Model').selectOption('flux-kontext-pro');
      expect(await expectFiltered({ model: 'flux-kontext-pro' }, { model: 'flux-kontext-pro' })).toEqual([pro]);
      await page.getByLabel('Model').selectOption('');
      await page.getByLabel('API key').selectOption(created.body.id);
      expect(await expectFiltered({ key: created.body.id }, { api_key_id: created.body.id })).toEqual([pro]);
      await page.getByLabel('API key').selectOption(tenant.keyId);
      expect(await expectFiltered({ key: tenant.keyId }, { api_key_id: tenant.keyId })).toHaveLength(4 + BATCH);
      await page.getByRole('link', { name: 'Clear', exact: true }).click();
      await page.getByLabel('Lineage of').fill(first);
      await page.getByLabel('Lineage of').press('Enter');
      expect(await expectFiltered({ root: first }, { root: first })).toEqual([edit.body.id, first]);
      // A reload keeps the filter; a range with nothing in it says so.
      await page.reload();
      await expect.poll(() => listedJobIds(page), { timeout: STEP_MS }).toEqual([edit.body.id, first]);
      const today = new Date().toISOString().slice(0, 10);
      await page.getByLabel('Created from').fill(today);
      expect(await expectFiltered({ root: first, from: today }, { root: first, created_after: `${today}T00:00:00.000Z` })).toEqual([edit.body.id, first]);
      await page.goto(`${platform.publicBaseUrl}/console/jobs?to=2020-01-01`);
      await page.getByRole('heading', { name: 'No jobs match these filters' }).waitFor();
      await expectCleanOfData(opened, 'jobs');

      // ---- A job's page: images, parameters, the timeline, the ledger, the webhook, the lineage.
      await page.goto(`${platform.publicBaseUrl}/console/jobs?root=${first}`);
      await page.locator(`tr[data-job-id="${first}"]`).getByRole('link').click();
      await page.getByRole('heading', { name: 'Job', level: 1 }).waitFor();
      expect(new URL(page.url()).pathname).toBe(`/console/jobs/${first}`);
      await expect
        .poll(() => page.locator('ol.timeline .timeline-label').allInnerTexts(), { timeout: STEP_MS })
        .toEqual(['Queued', 'Started', 'Progress', 'Succeeded']);
      const ledger = await get<LedgerPage>(api, `/v1/credits/ledger?job_id=${first}`);
      expect(ledger.data.length).toBeGreaterThan(0);
      const ledgerTable = page.getByRole('region', { name: 'Ledger entries of this job' }).locator('table');
      await expect
        .poll(async () => (await tableText(ledgerTable)).body.map((row) => [row[1], row[2], row[3]]), { timeout: STEP_MS })
        .toEqual([...ledger.data].reverse().map((entry) => [LEDGER_LABELS[entry.kind], entry.amount > 0 ? `+${formatCredits(entry.amount)}` : formatCredits(entry.amount), formatCredits(entry.balance_after)]));
      await receiver.waitFor('/hook', 1);
      const deliveries = await get<WebhookDeliveryList>(api, `/v1/webhooks/deliveries?job_id=${first}`);
      expect(deliveries.data.length).toBeGreaterThan(0);
      const deliveriesTable = page.getByRole('region', { name: 'Webhook deliveries of this job' }).locator('table');
      await expect
        .poll(async () => (await tableText(deliveriesTable)).body.map((row) => row[0]), { timeout: STEP_MS })
        .toEqual(deliveries.data.map((delivery) => delivery.event_type));
      // The output image, from the platform, loaded.
      const output = page.getByRole('img', { name: /^The output/ });
      await expect.poll(() => output.evaluate(loaded), { timeout: STEP_MS }).toBe(true);
      // The lineage: a tree of the job and its edit; arrow keys move, Enter opens.
      const tree = page.getByRole('tree');
      await expect.poll(() => tree.getByRole('treeitem').count(), { timeout: STEP_MS }).toBe(2);
      const current = tree.getByRole('treeitem', { selected: true });
      expect(await current.getAttribute('aria-level')).toBe('1');
      await checkLayouts(page, 'job');
      await current.focus();
      await page.keyboard.press('ArrowDown');
      expect(await tree.locator('[role="treeitem"]:focus').getAttribute('aria-level')).toBe('2');
      await page.keyboard.press('Enter');
      await expect.poll(() => new URL(page.url()).pathname, { timeout: STEP_MS }).toBe(`/console/jobs/${edit.body.id}`);
      await page.locator('.prompt-text', { hasText: 'the same, at night' }).waitFor();
      await expect.poll(() => page.getByRole('tree').getByRole('treeitem', { selected: true }).getAttribute('aria-level'), { timeout: STEP_MS }).toBe('2');

      // The failed job: its error and its refund.
      await page.goto(`${platform.publicBaseUrl}/console/jobs/${failing}`);
      await expect.poll(() => page.locator('ol.timeline .timeline-label').allInnerTexts(), { timeout: STEP_MS }).toEqual(['Queued', 'Started', 'Failed']);
      await page.locator('ol.timeline').getByText(ENGINE_ERROR).waitFor();
      const refunds = (await get<LedgerPage>(api, `/v1/credits/ledger?job_id=${failing}`)).data.map((entry) => LEDGER_LABELS[entry.kind]).reverse();
      await expect
        .poll(async () => (await tableText(page.getByRole('region', { name: 'Ledger entries of this job' }).locator('table'))).body.map((row) => row[1]), { timeout: STEP_MS })
        .toEqual(refunds);

      // The markup prompt's page: the prompt as text, nothing run.
      await page.goto(`${platform.publicBaseUrl}/console/jobs/${markup}`);
      await page.getByText(XSS_PROMPT, { exact: true }).first().waitFor();
      expect(await page.locator('.prompt-text').first().innerText()).toBe(XSS_PROMPT);
      await expectCleanOfData(opened, 'job');

      // A job watched while it runs: queued while no worker is there, then live to the end.
      await workers.stopAll();
      const watched = await submit(api, { prompt: 'a job watched live', steps: 4 });
      await page.goto(`${platform.publicBaseUrl}/console/jobs/${watched}`);
      const labels = () => page.locator('ol.timeline .timeline-label').allInnerTexts();
      await expect.poll(labels, { timeout: STEP_MS }).toEqual(['Queued']);
      await page.getByText('Not yet: the job is still in flight.').waitFor();
      await page.getByText('Live: new events appear as they happen.').waitFor();
      workers.start(engine);
      await expect.poll(labels, { timeout: 30_000 }).toEqual(['Queued', 'Started', 'Progress', 'Succeeded']);
      const watchedOutput = page.getByRole('img', { name: /^The output/ });
      await expect.poll(() => watchedOutput.evaluate(loaded), { timeout: STEP_MS }).toBe(true);
      await page.locator('.page-header').getByText('succeeded', { exact: true }).waitFor();

      // Another team's job, and an id of no job: the not-found page (the API answers 404).
      for (const id of [othersJob, 'job_01JD3M5X00000000000000NONE', 'nonsense']) {
        await page.goto(`${platform.publicBaseUrl}/console/jobs/${id}`);
        await page.getByRole('heading', { name: 'No such page', level: 1 }).waitFor();
        expect(await page.getByText('not yours').count()).toBe(0);
      }
      await expectCleanOfData(opened, 'not found');
    } finally {
      await receiver.stop();
      await workers.stopAll();
    }
  },
  BROWSER_TEST_MS,
);
