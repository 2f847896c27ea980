import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { expect } from 'vitest';
import { parseDelivered } from '../../../mailer/test/conformance.ts';
import { PASSWORD, uniqueEmail } from '../../../../test/harness/people.ts';
import type { TestPlatform } from '../../../../test/harness/platform.ts';
import { WebhookReceiver, type ReceivedWebhook } from '../../../../test/harness/receiver.ts';
import { formatCredits } from '../../src/lib/format.ts';
import {
  acceptInvitationWithForm,
  BROWSER_TEST_MS,
  checkLayouts,
  consoleBrowserTest,
  expectClean,
  invitationLink,
  screenshot,
  seriousAxeViolations,
  signInWithForm,
  STEP_MS,
} from './browser-harness.ts';

// The management pages in Chromium against the whole platform over its socket: Team (an
// invitation sent from the page and accepted from the mailed link, roles, the last owner, a
// viewer's read-only view, the audit log), Webhooks (an endpoint to a real receiver, test events
// that succeed, fail and are redelivered, rotation, 410 and enable, delete), Credits (the running
// balance against GET /v1/credits) and Account (a password change that signs the other device
// out, which comes back through ?next=). Writes the console does not offer are forged from the
// page itself and refused; sign-in is throttled at the fourth wrong password.
//
// One retry, 0.2 s after the first attempt: a receiver answering 500 fails its delivery at once.
// The account limit on failed sign-ins is 3, for the throttling test; no other test signs in wrongly.

const it = consoleBrowserTest({ transport: 'socket', workerLoops: 0, webhookRetryScheduleSeconds: [0.2], people: { signInFailureLimit: 3 } }).extend(
  'receiver',
  { scope: 'file' },
  async ({}, { onCleanup }) => {
    const receiver = await new WebhookReceiver().start();
    onCleanup(() => receiver.stop());
    return receiver;
  },
);

/** Deadlines for what the platform does in the background (mail, deliveries). */
const SETTLES = { timeout: STEP_MS };

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The one link to `/console/<page>` in the mail to `to`, from the platform's outbox ($DATA_DIR/outbox/*.eml). */
async function mailedLink(platform: TestPlatform, to: string, page: string): Promise<string> {
  const outbox = join(platform.dataDir, 'outbox');
  const links = async () => {
    const names = (await readdir(outbox).catch(() => [] as string[])).filter((name) => name.endsWith('.eml'));
    const mails = await Promise.all(names.map(async (name) => parseDelivered(await readFile(join(outbox, name)))));
    return mails
      .filter((mail) => mail.to.includes(to))
      .flatMap((mail) => mail.text.match(/https?:\/\/\S+/g) ?? [])
      .filter((link) => link.includes(`/console/${page}#token=`));
  };
  let found: string[] = [];
  await expect.poll(async () => (found = await links()).length, SETTLES).toBe(1);
  return found[0]!;
}

const pathOf = (page: Page) => {
  const url = new URL(page.url());
  return `${url.pathname}${url.search}`;
};

const navigateTo = (page: Page, name: string) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true }).click();

it(
  'Team: an owner invites by email from the page; the invitee joins as a viewer without write controls; forged writes and a stale page get 403 in words',
  async ({ platform, receiver, open }) => {
    const team = await platform.createTenantWithKey({ name: 'Team Pages' });
    const ownerEmail = uniqueEmail('owner');
    const viewerEmail = uniqueEmail('viewer');
    const laterEmail = uniqueEmail('later');
    const owner = await open(await invitationLink(platform, team.tenantId, ownerEmail, 'owner'));
    const { page } = owner;
    await acceptInvitationWithForm(page, PASSWORD, 'Olive Owner');

    // Something on the Webhooks page for the viewer not to change: an endpoint and a delivery.
    const endpoint = await team.api.request<{ id: string }>('POST', '/v1/webhooks/endpoints', { json: { url: receiver.url('/viewer'), description: 'Made by key' } });
    expect(endpoint.status, endpoint.text).toBe(201);
    const delivery = await team.api.request<{ id: string }>('POST', `/v1/webhooks/endpoints/${endpoint.body.id}/test`);
    expect(delivery.status, delivery.text).toBe(202);

    await navigateTo(page, 'Team');
    await page.getByRole('heading', { name: 'Team', level: 1 }).waitFor();
    const me = page.getByRole('row', { name: /Olive Owner/ });
    await me.getByText('you', { exact: true }).waitFor();

    // The last owner can neither step down nor leave: the API's 409, in its words.
    await me.getByRole('combobox', { name: `Role of ${ownerEmail}` }).selectOption('admin');
    await me.getByRole('button', { name: `Save the role of ${ownerEmail}` }).click();
    await me.getByText('a team keeps at least one owner: make someone else an owner first').waitFor();
    await me.getByRole('button', { name: `Keep the role of ${ownerEmail}` }).click();
    await me.getByRole('button', { name: 'Leave the team' }).click();
    const leave = page.getByRole('alertdialog', { name: 'Leave Team Pages?' });
    await leave.getByRole('button', { name: 'Leave the team' }).click();
    await leave.getByText('a team keeps at least one owner: make someone else an owner first').waitFor();
    await leave.getByRole('button', { name: 'Stay' }).click();
    await leave.waitFor({ state: 'detached' });

    // Invite from the page: a viewer for three days, and someone to withdraw later.
    const inviteFromPage = async (email: string, role: string | null, hours: string | null) => {
      await page.getByRole('button', { name: 'Invite someone' }).first().click();
      const form = page.getByRole('dialog', { name: 'Invite someone to Team Pages' });
      await form.getByLabel('Email').fill(email);
      if (role) await form.getByLabel('Role').selectOption(role);
      if (hours) await form.getByLabel('The link works for').selectOption(hours);
      expect(await seriousAxeViolations(page)).toEqual([]);
      await form.getByRole('button', { name: 'Send the invitation' }).click();
      await form.waitFor({ state: 'detached' });
      await page.getByText(`Invitation sent to ${email}`).waitFor();
    };
    await inviteFromPage(viewerEmail, 'viewer', '72');
    const pending = page.getByRole('region', { name: 'Pending invitations' }).getByRole('row', { name: new RegExp(escape(viewerEmail)) });
    await pending.getByText('Viewer', { exact: true }).waitFor();
    await pending.getByText(ownerEmail).waitFor(); // invited by
    await inviteFromPage(laterEmail, null, null);
    const listed = (await page.evaluate(async () => (await fetch('/v1/invitations')).json())) as { data: { email: string; role: string; created_at: string; expires_at: string }[] };
    const sent = listed.data.find((invitation) => invitation.email === viewerEmail)!;
    expect(sent.role).toBe('viewer');
    expect(Date.parse(sent.expires_at) - Date.parse(sent.created_at)).toBe(72 * 3600 * 1000);
    expect(listed.data.find((invitation) => invitation.email === laterEmail)?.role).toBe('developer');

    // The invitee follows the mailed link and sets a password.
    const link = await mailedLink(platform, viewerEmail, 'accept-invitation');
    expect(link.startsWith(`${platform.publicBaseUrl}/console/accept-invitation#token=inv_`)).toBe(true);
    const viewer = await open(link);
    await acceptInvitationWithForm(viewer.page, PASSWORD, 'Vera Viewer');

    // A viewer sees Team, Webhooks and API keys, and is offered no change anywhere.
    const v = viewer.page;
    await navigateTo(v, 'Team');
    await v.getByRole('row', { name: /Olive Owner/ }).waitFor();
    await v.getByRole('row', { name: new RegExp(escape(laterEmail)) }).waitFor();
    await v.getByText('Your role (viewer) can see the team; an owner or admin can change it.').waitFor();
    expect(await v.getByRole('button', { name: /Invite|Remove|Withdraw|Save/ }).count()).toBe(0);
    expect(await v.getByRole('combobox').count()).toBe(0);
    expect(await v.getByRole('heading', { name: 'Audit log' }).count()).toBe(0);
    expect(await seriousAxeViolations(v)).toEqual([]);
    await screenshot(v, 'team-viewer');
    await navigateTo(v, 'Webhooks');
    await v.getByRole('heading', { name: 'Made by key', level: 3 }).waitFor();
    await v.getByRole('row', { name: new RegExp(delivery.body.id) }).waitFor();
    expect(await v.getByRole('button', { name: /Add an endpoint|Send test event|Edit|Rotate|Delete|Enable|Redeliver/ }).count()).toBe(0);
    await screenshot(v, 'webhooks-viewer');
    await navigateTo(v, 'API keys');
    await v.getByText('Your role (viewer) cannot manage API keys').waitFor();
    expect(await v.getByRole('button', { name: /Create|Rotate|Revoke/ }).count()).toBe(0);

    // What the page does not offer, forged from it with the session's own CSRF token: refused.
    const forged = await v.evaluate(async (endpointId) => {
      const session = (await (await fetch('/v1/session')).json()) as { csrf_token: string };
      const write = async (method: string, path: string, body?: unknown) => {
        const response = await fetch(path, {
          method,
          headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrf_token },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: response.status, detail: ((await response.json()) as { detail: string }).detail };
      };
      return [
        await write('POST', '/v1/webhooks/endpoints', { url: 'https://example.com/hook' }),
        await write('POST', `/v1/webhooks/endpoints/${endpointId}/test`),
        await write('DELETE', `/v1/webhooks/endpoints/${endpointId}`),
        await write('POST', '/v1/invitations', { email: 'someone@example.com', role: 'viewer' }),
        await write('POST', '/v1/keys', { name: 'forged', mode: 'test' }),
      ];
    }, endpoint.body.id);
    for (const answer of forged) {
      expect(answer.status, answer.detail).toBe(403);
      expect(answer.detail).toMatch(/^your role \(viewer\) does not include the (webhooks|members|keys):write scope/);
    }

    // A write without the CSRF token, from the owner's page (who may create keys): refused as such.
    const tokenless = await page.evaluate(async () => {
      const response = await fetch('/v1/keys', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'no token', mode: 'test' }) });
      return { status: response.status, body: (await response.json()) as { detail: string; csrf?: boolean } };
    });
    expect(tokenless.status).toBe(403);
    expect(tokenless.body.csrf).toBe(true);
    expect(tokenless.body.detail).toMatch(/X-CSRF-Token/);

    // The owner makes the viewer an admin (their page then offers invitations), and a viewer again
    // while that page is open: its stale offer is refused with the API's 403, in words.
    await page.reload();
    const member = page.getByRole('row', { name: /Vera Viewer/ });
    const setRole = async (role: string) => {
      await member.getByRole('combobox', { name: `Role of ${viewerEmail}` }).selectOption(role);
      await member.getByRole('button', { name: `Save the role of ${viewerEmail}` }).click();
      await member.getByRole('button', { name: `Save the role of ${viewerEmail}` }).waitFor({ state: 'detached' });
    };
    await setRole('admin');
    // Read again on load: the role decides the session's scopes on every request.
    await v.goto(`${platform.publicBaseUrl}/console/team`);
    await v.getByRole('button', { name: 'Invite someone' }).first().click();
    await setRole('viewer');
    const stale = v.getByRole('dialog', { name: 'Invite someone to Team Pages' });
    await stale.getByLabel('Email').fill(uniqueEmail('never'));
    await stale.getByRole('button', { name: 'Send the invitation' }).click();
    await stale.getByText('your role (viewer) does not include the members:write scope; an owner or admin can change it').waitFor();
    await stale.getByRole('button', { name: 'Cancel' }).click();

    // The audit log, filtered by action in the address.
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await page.getByRole('row', { name: /Role changed/ }).first().waitFor();
    await checkLayouts(page, 'team');
    await page.getByLabel('Action').selectOption('member.joined');
    await expect.poll(() => pathOf(page)).toBe('/console/team?action=member.joined');
    const audit = page.getByRole('region', { name: 'Audit log entries' });
    await expect.poll(async () => (await audit.getByRole('row').allInnerTexts()).slice(1).map((row) => /Member joined/.test(row)), SETTLES).toEqual([true, true]);
    await audit.getByRole('row', { name: new RegExp(escape(viewerEmail)) }).waitFor();

    // Remove the viewer and withdraw the other invitation, each after a confirmation naming them.
    await member.getByRole('button', { name: `Remove ${viewerEmail}` }).click();
    const remove = page.getByRole('alertdialog', { name: `Remove Vera Viewer (${viewerEmail}) from Team Pages?` });
    await remove.getByRole('button', { name: `Remove ${viewerEmail}` }).click();
    await member.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: `Withdraw the invitation to ${laterEmail}` }).click();
    const withdraw = page.getByRole('alertdialog', { name: `Withdraw the invitation to ${laterEmail}?` });
    await withdraw.getByRole('button', { name: 'Withdraw it' }).click();
    await page.getByRole('heading', { name: 'No pending invitations' }).waitFor();
    // The removed viewer's session ended with the membership.
    await v.reload();
    await v.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();

    for (const opened of [owner, viewer]) await expectClean(opened);
  },
  BROWSER_TEST_MS,
);

it(
  'Webhooks: an endpoint to a real receiver; test events succeed, fail with 500 and are redelivered; rotate, edit, 410 and enable, delete',
  async ({ platform, receiver, open }) => {
    const team = await platform.createTenantWithKey({ name: 'Hooks team' });
    const opened = await open(await invitationLink(platform, team.tenantId, uniqueEmail('developer'), 'developer'));
    const { page } = opened;
    await acceptInvitationWithForm(page, PASSWORD, 'Dev Loper');
    await navigateTo(page, 'Webhooks');
    await page.getByRole('heading', { name: 'No endpoints yet' }).waitFor();
    await page.getByRole('heading', { name: 'No deliveries yet' }).waitFor();

    // Add one: its secret is shown once, and signs what the receiver gets.
    receiver.script('/hook', () => ({ status: 200, body: 'ok from the receiver' }));
    await page.getByRole('button', { name: 'Add an endpoint' }).first().click();
    const form = page.getByRole('dialog', { name: 'Add an endpoint' });
    await form.getByLabel('Address (URL)').fill(receiver.url('/hook'));
    await form.getByLabel('Description').fill('Order service');
    await form.getByRole('checkbox', { name: /A job started running/ }).click();
    expect(await seriousAxeViolations(page)).toEqual([]);
    await form.getByRole('button', { name: 'Add the endpoint' }).click();
    const shown = page.getByRole('dialog', { name: 'The signing secret of “Order service”' });
    const secret = (await shown.getByTestId('new-webhook-secret').innerText()).trim();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    await page.keyboard.press('Escape'); // shown once: it does not vanish by accident
    await shown.getByRole('button', { name: 'I have stored it' }).click();
    await shown.waitFor({ state: 'detached' });
    const card = page.getByRole('article', { name: 'Order service' });
    await card.getByText('job.succeeded, job.failed, job.moderated, job.canceled').waitFor();

    const sendTest = async (target = card, label = 'Order service') => {
      const before = receiver.on('/hook').length;
      await target.getByRole('button', { name: `Send test event to ${label}` }).click();
      const id = await target.getByTestId('test-delivery-id').filter({ hasNotText: previousId }).innerText();
      previousId = id;
      return { id, before };
    };
    let previousId = '—';
    // The delivery's own row (its header cell names it), not the row of its attempts below.
    const rowOf = (id: string) => page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: new RegExp(escape(id)) }) });
    const attemptsOf = async (id: string) => {
      const toggle = rowOf(id).getByRole('button', { name: `Attempts of ${id}` });
      if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
      return page.getByRole('list', { name: `Attempts of ${id}` });
    };
    const verify = (webhook: ReceivedWebhook, key: string) => new Webhook(key).verify(webhook.body, webhook.headers as Record<string, string>) as { type: string };

    // A test event: delivered, signed with the shown secret, and logged as succeeded with its 200.
    const first = await sendTest();
    const [received] = await receiver.waitFor('/hook', first.before + 1);
    expect(received!.headers['webhook-id']).toBe(first.id);
    expect(verify(received!, secret).type).toBe('webhook.test');
    await rowOf(first.id).getByText('Succeeded').waitFor();
    await rowOf(first.id).getByText('200', { exact: true }).waitFor();
    const firstAttempts = await attemptsOf(first.id);
    await firstAttempts.getByText('Attempt 1').waitFor();
    expect(await firstAttempts.getByLabel('The answer to try 1').innerText()).toBe('ok from the receiver');
    await firstAttempts.getByText(/^\d+ ms$/).waitFor(); // the attempt's latency

    // The receiver answers 500: both attempts fail, and its words are shown as text, never as HTML.
    receiver.script('/hook', () => ({ status: 500, headers: { 'content-type': 'text/html' }, body: '<b>down</b> for maintenance' }));
    const failing = await sendTest();
    await rowOf(failing.id).getByText('Failed').waitFor();
    await rowOf(failing.id).getByText('500', { exact: true }).waitFor();
    const failedAttempts = await attemptsOf(failing.id);
    for (const n of [1, 2]) expect(await failedAttempts.getByLabel(`The answer to try ${n}`).innerText()).toBe('<b>down</b> for maintenance');
    expect(await failedAttempts.locator('b').count()).toBe(0);

    // The outcome filter lives in the address.
    await page.getByLabel('Outcome').selectOption('failed');
    await expect.poll(() => pathOf(page)).toBe('/console/webhooks?outcome=failed');
    await rowOf(first.id).waitFor({ state: 'detached' });
    await rowOf(failing.id).waitFor();
    await page.getByLabel('Outcome').selectOption('');
    await rowOf(first.id).waitFor();

    // Redeliver once the receiver is back: the same message (webhook-id) succeeds.
    receiver.script('/hook', () => ({ status: 200, body: 'back' }));
    const beforeRedelivery = receiver.on('/hook').length;
    await rowOf(failing.id).getByRole('button', { name: `Redeliver ${failing.id}` }).click();
    await rowOf(failing.id).getByText('Succeeded').waitFor();
    const redelivered = await receiver.waitFor('/hook', beforeRedelivery + 1);
    expect(redelivered.at(-1)!.headers['webhook-id']).toBe(failing.id);
    const afterRedelivery = await attemptsOf(failing.id);
    expect(await afterRedelivery.getByLabel('The answer to try 3').innerText()).toBe('back');
    await afterRedelivery.getByText('redelivered').waitFor();

    // Rotate with an hour's overlap: a new secret, once; the next delivery is signed with both.
    await card.getByRole('button', { name: 'Rotate secret of Order service' }).click();
    const rotate = page.getByRole('dialog', { name: 'Rotate the secret of “Order service”' });
    await rotate.getByRole('radio', { name: 'keeps signing for 1 hour' }).click();
    await rotate.getByRole('button', { name: 'Rotate' }).click();
    const rotated = page.getByRole('dialog', { name: 'The signing secret of “Order service”' });
    await rotated.getByText(/every delivery carries two signatures: one with the previous secret and one with this new one/).waitFor();
    const newSecret = (await rotated.getByTestId('new-webhook-secret').innerText()).trim();
    expect(newSecret).not.toBe(secret);
    await rotated.getByRole('button', { name: 'I have stored it' }).click();
    await card.getByText(/Two secrets: deliveries carry a signature with the new secret and one with the previous secret until/).waitFor();
    const afterRotation = await sendTest();
    const both = (await receiver.waitFor('/hook', afterRotation.before + 1)).at(-1)!;
    expect(both.headers['webhook-id']).toBe(afterRotation.id);
    expect(String(both.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verify(both, secret).type).toBe('webhook.test');
    expect(verify(both, newSecret).type).toBe('webhook.test');

    // Edit the description and the events.
    await card.getByRole('button', { name: 'Edit Order service' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit “Order service”' });
    await edit.getByLabel('Description').fill('Billing service');
    await edit.getByRole('checkbox', { name: /A job started running/ }).click();
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved “Billing service”.').waitFor();
    const renamed = page.getByRole('article', { name: 'Billing service' });
    await renamed.getByText('every job event').waitFor();

    // 410 Gone disables the endpoint; Enable brings it back.
    receiver.script('/hook', () => ({ status: 410 }));
    const gone = await sendTest(renamed, 'Billing service');
    await rowOf(gone.id).getByText('Failed').waitFor();
    await renamed.getByText('Disabled', { exact: true }).waitFor();
    expect(await renamed.getByRole('button', { name: 'Send test event to Billing service' }).count()).toBe(0);
    await renamed.getByRole('button', { name: 'Enable Billing service' }).click();
    await renamed.getByText('Active', { exact: true }).waitFor();
    receiver.script('/hook', () => ({ status: 200, body: 'ok from the receiver' }));

    await attemptsOf(first.id);
    await checkLayouts(page, 'webhooks');

    // Delete, after a confirmation that names it: gone from the list; its log stays.
    await renamed.getByRole('button', { name: 'Delete Billing service' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Delete “Billing service”?' });
    await confirm.getByText(receiver.url('/hook')).waitFor();
    await confirm.getByRole('button', { name: 'Delete “Billing service”' }).click();
    await page.getByRole('heading', { name: 'No endpoints yet' }).waitFor();
    await rowOf(first.id).waitFor();

    await expectClean(opened);
  },
  BROWSER_TEST_MS,
);

it(
  'Credits: the balance on top, the ledger with signed amounts and a running balance equal to GET /v1/credits, the kind filter in the address',
  async ({ platform, open }) => {
    const team = await platform.createTenantWithKey({ name: 'Credits team', credits: 5_000 });
    const grant = await platform.admin.request('POST', `/admin/v1/tenants/${team.tenantId}/credits`, { json: { amount: 1_500, reason: 'Top-up for the launch' } });
    expect(grant.status, grant.text).toBe(200);
    // No workers: the job stays queued, its credits reserved.
    const job = await team.api.submit({ prompt: 'a lighthouse at dusk, long exposure' });
    expect(job.status, job.text).toBe(200);
    const balance = await team.api.request<{ credits: number; reserved: number }>('GET', '/v1/credits');
    expect(balance.body.reserved).toBeGreaterThan(0);

    const opened = await open(await invitationLink(platform, team.tenantId, uniqueEmail('billing'), 'billing'));
    const { page } = opened;
    await acceptInvitationWithForm(page, PASSWORD);
    await navigateTo(page, 'Credits');
    await page.getByRole('heading', { name: 'Credits', level: 1 }).waitFor();
    await page.getByTestId('balance-after').first().waitFor();
    expect(await page.getByTestId('credits-available').innerText()).toBe(formatCredits(balance.body.credits));
    expect(await page.getByTestId('credits-reserved').innerText()).toBe(formatCredits(balance.body.reserved));
    // The newest entry's running balance is the balance now.
    expect(await page.getByTestId('balance-after').first().innerText()).toBe(formatCredits(balance.body.credits));
    const ledger = page.getByRole('region', { name: 'Ledger entries' });
    const reserve = ledger.getByRole('row', { name: /Reserve/ });
    await reserve.getByText(`−${formatCredits(balance.body.reserved)}`).waitFor();
    expect(await reserve.getByRole('link', { name: job.body.id }).getAttribute('href')).toBe(`/console/jobs/${job.body.id}`);
    await ledger.getByRole('row', { name: /Top-up for the launch/ }).getByText('+1,500').waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshot(page, 'credits');

    // The kind filter is in the address, and survives a reload.
    await page.getByLabel('Kind').selectOption('grant');
    await expect.poll(() => pathOf(page)).toBe('/console/credits?kind=grant');
    await reserve.waitFor({ state: 'detached' });
    await page.reload();
    await ledger.getByRole('row', { name: /Top-up for the launch/ }).waitFor();
    expect(await page.getByLabel('Kind').inputValue()).toBe('grant');
    expect((await ledger.getByRole('row').allInnerTexts()).slice(1).every((row) => row.includes('Grant'))).toBe(true);
    await page.getByLabel('Kind').selectOption('refund');
    await page.getByRole('heading', { name: 'No refund entries' }).waitFor();
    await page.getByRole('link', { name: 'Show every kind' }).click();
    await reserve.waitFor();
    expect(pathOf(page)).toBe('/console/credits');

    await expectClean(opened);
  },
  BROWSER_TEST_MS,
);

it(
  'Account: a new password signs the other device out, which comes back through ?next=; this page keeps a working CSRF token; sign out everywhere else',
  async ({ platform, open }) => {
    const team = await platform.createTenantWithKey({ name: 'Account team' });
    const email = uniqueEmail('account');
    const newPassword = 'a different long passphrase';
    const here = await open(await invitationLink(platform, team.tenantId, email, 'admin'));
    const { page } = here;
    await acceptInvitationWithForm(page, PASSWORD, 'Ada Account');
    // Another device, on the credits page with a filter.
    const there = await open(`${platform.publicBaseUrl}/console/sign-in?next=${encodeURIComponent('/console/credits?kind=grant')}`);
    await signInWithForm(there.page, email, PASSWORD);
    await there.page.getByRole('heading', { name: 'Credits', level: 1 }).waitFor();
    expect(pathOf(there.page)).toBe('/console/credits?kind=grant');

    await navigateTo(page, 'Account');
    await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
    await page.getByText(email).first().waitFor();
    await page.getByText('Your role in Account team').waitFor();
    const sessions = page.getByRole('region', { name: 'Your sessions' });
    await expect.poll(async () => (await sessions.getByRole('row').count()) - 1, SETTLES).toBe(2);
    await sessions.getByRole('row', { name: /This device/ }).waitFor();
    expect(await sessions.getByRole('button', { name: /^End the session on/ }).count()).toBe(1);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshot(page, 'account');

    const fill = async (current: string, next: string, again = next) => {
      await page.getByLabel('Current password').fill(current);
      await page.getByLabel('New password', { exact: true }).fill(next);
      await page.getByLabel('The new password again').fill(again);
      await page.getByRole('button', { name: 'Change the password' }).click();
    };
    await fill(PASSWORD, newPassword, 'not the same passphrase');
    await page.getByText('The two passwords differ.').waitFor();
    await fill('not my password at all', newPassword);
    await page.getByText('The current password is wrong.').waitFor();
    await fill(PASSWORD, newPassword);
    await page.getByText('Your password is changed. Every other device was signed out; this one stays signed in.').waitFor();
    await page.getByText('You are signed in on this device only.').waitFor();

    // This page goes on with the new session's CSRF token: a write through the app works.
    await navigateTo(page, 'API keys');
    await page.getByRole('button', { name: 'Create a key' }).first().click();
    const create = page.getByRole('dialog', { name: 'Create an API key' });
    await create.getByLabel('Name').fill('after the password change');
    await create.getByRole('button', { name: 'Create the key' }).click();
    await page.getByRole('dialog', { name: 'Your new key “after the password change”' }).getByRole('button', { name: 'I have stored it' }).click();

    // The other device was signed out: it lands on sign-in, and afterwards back where it was.
    await there.page.reload();
    await there.page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
    expect(pathOf(there.page)).toBe(`/console/sign-in?next=${encodeURIComponent('/console/credits?kind=grant')}`);
    await signInWithForm(there.page, email, newPassword);
    await there.page.getByRole('heading', { name: 'Credits', level: 1 }).waitFor();
    expect(pathOf(there.page)).toBe('/console/credits?kind=grant');

    // Sign out everywhere else.
    await navigateTo(page, 'Account');
    await expect.poll(async () => (await sessions.getByRole('row').count()) - 1, SETTLES).toBe(2);
    await page.getByRole('button', { name: 'Sign out everywhere else' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Sign out everywhere else?' });
    await confirm.getByRole('button', { name: 'End the other session' }).click();
    await page.getByText('The other session has ended.').waitFor();
    await page.getByText('You are signed in on this device only.').waitFor();
    await there.page.reload();
    await there.page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();

    for (const opened of [here, there]) await expectClean(opened);
  },
  BROWSER_TEST_MS,
);

it(
  'sign-in is throttled: the fourth wrong password in the form gets the API’s 429 and its wait',
  async ({ platform, open }) => {
    const opened = await open(`${platform.publicBaseUrl}/console/sign-in`);
    const { page } = opened;
    const email = uniqueEmail('throttled');
    const attempt = async () => {
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill('not the password');
      const answer = page.waitForResponse((response) => response.url().endsWith('/v1/session') && response.request().method() === 'POST');
      await page.getByRole('button', { name: 'Sign in' }).click();
      return answer;
    };
    for (let n = 1; n <= 3; n++) {
      expect((await attempt()).status()).toBe(401);
      await page.getByRole('alert').getByText('The email or the password is wrong.').waitFor();
    }
    const throttled = await attempt();
    expect(throttled.status()).toBe(429);
    const problem = (await throttled.json()) as { detail: string };
    expect(problem.detail).toMatch(/^too many failed sign-ins to this account; retry in \d+ s/);
    const wait = Number(throttled.headers()['retry-after']);
    expect(wait).toBeGreaterThan(0);
    await page.getByRole('alert').getByText(`Too many attempts. Try again in ${wait} seconds.`).waitFor();
    await expectClean(opened);
  },
  BROWSER_TEST_MS,
);
