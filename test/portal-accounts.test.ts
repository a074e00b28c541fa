import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../scripts/lib/local-stack';
import { makeDocx } from '../scripts/lib/samples';
import type { Clock } from '../shared/clock';
import { type ApiClient, apiClient } from './helpers/api';
import { launchChromium } from './helpers/browser';
import { opsUser, uploadFile } from './helpers/files';
import { waitForMail } from './helpers/mailbox';
import { startTestStack, type TestStack, uniqueName } from './helpers/stack';

/**
 * Accounts in the portal, in a real browser (Debian's chromium through playwright-core) against
 * the real stack, mail server included: invitations, password resets, sessions that outlive a
 * reload and an access token's expiry, and approval of a pending sign-up. The stack runs on a
 * clock the tests can move; screenshots land in test-artifacts/ (git-ignored).
 */
const ARTIFACTS = path.join(PROJECT_ROOT, 'test-artifacts');
const ACCESS_TOKEN_SECONDS = 15 * 60;

let stack: TestStack;
let api: ApiClient;
let browser: Browser;
let offsetMs = 0;
const clock: Clock = { now: () => new Date(Date.now() + offsetMs) };
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  stack = await startTestStack({}, clock);
  api = apiClient(stack.apiUrl, { sql: stack.sql });
  await mkdir(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
});
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stack?.close();
});

/** A page in a browser context of its own (its own cookies: another device, as far as the service knows). */
async function newPage(options: { viewport?: { width: number; height: number } } = {}): Promise<Page> {
  const context = await browser.newContext(options);
  // Well inside the test's own timeout, so a failure names the step that did not happen.
  context.setDefaultTimeout(10_000);
  contexts.push(context);
  return context.newPage();
}

async function signIn(page: Page, username: string, password: string) {
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** axe-core on the page as it is now: no serious or critical accessibility violation. */
async function expectAccessible(page: Page, where: string) {
  const require = createRequire(import.meta.url);
  await page.evaluate(await readFile(require.resolve('axe-core/axe.min.js'), 'utf8'));
  const violations = await page.evaluate(async () => {
    const result = await (
      window as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }> } }
    ).axe.run();
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.nodes.length})`);
  });
  expect(violations, where).toEqual([]);
}

/** The portal link an email carries, e.g. `…/#/invitation/inv_…`. */
function linkIn(text: string | undefined, route: string): string {
  const match = new RegExp(`https?://\\S+/#/${route}\\S*`).exec(text ?? '');
  if (!match) throw new Error(`no ${route} link in: ${text}`);
  return match[0];
}

/** A ready .docx shared with every client, uploaded through the API as ops. */
async function fileForAllClients(opsToken: string, filename: string) {
  const { id, complete } = await uploadFile(api, opsToken, filename, await makeDocx(`${filename} for every client`));
  expect(complete.status).toBe(200);
  const shared = await api.request('PUT', `/api/files/${id}/sharing`, { token: opsToken, json: { allClients: true, clients: [] } });
  expect(shared.status).toBe(200);
}

/** Which calls a page makes to one endpoint, counted as they happen. */
function countRequests(page: Page, pathname: string) {
  const seen = { count: 0 };
  page.context().on('request', (request) => {
    if (new URL(request.url()).pathname === pathname) seen.count++;
  });
  return seen;
}

describe('accounts in the web portal', () => {
  it('ops invite an email from the portal; the link in the mail leads to a sign-up with that email fixed; the new client sees what is shared with all clients', async () => {
    const ops = await opsUser(stack, api);
    await fileForAllClients(ops.token, 'handbook.docx');
    const invited = `${uniqueName('invitee')}@example.com`;

    const opsPage = await newPage();
    await opsPage.goto(stack.apiUrl);
    await signIn(opsPage, ops.username, 'a long ops password');
    await opsPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await opsPage.getByRole('heading', { name: 'Users', exact: true }).waitFor();
    await opsPage.getByRole('button', { name: 'Invite someone' }).click();
    const dialog = opsPage.getByRole('dialog', { name: 'Invite someone' });
    await dialog.getByLabel('Email').fill(invited);
    // An administrator may invite ops too; this one is a client.
    expect(await dialog.getByLabel('Role').locator('option').allInnerTexts()).toEqual(['Client', 'Ops']);
    await dialog.getByLabel('Role').selectOption('client');
    await opsPage.screenshot({ path: path.join(ARTIFACTS, 'portal-invite-dialog.png') });
    await dialog.getByRole('button', { name: 'Send invitation' }).click();
    await dialog.waitFor({ state: 'detached' });
    await opsPage.getByText(`Invitation sent to ${invited}.`).waitFor();
    const row = opsPage.locator(`tr[data-invitation="${invited}"]`);
    await expect.poll(() => row.innerText()).toContain('Waiting to be used');
    await expectAccessible(opsPage, 'users page');

    // The mail, as the mail server received it: the link carries the token in its fragment.
    const [mail] = await waitForMail(stack.mailUrl, invited);
    const link = linkIn(mail?.text, 'invitation');
    expect(link.startsWith(`${stack.apiUrl}/#/invitation/inv_`)).toBe(true);

    const page = await newPage();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(link);
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
    // The token left the address bar at once, and went to the server only in a POST body.
    expect(new URL(page.url()).hash).toBe('#/invitation');
    expect(requests.filter((url) => url.includes('inv_'))).toEqual([]);
    const email = page.getByLabel('Email');
    expect(await email.inputValue()).toBe(invited);
    expect(await email.evaluate((input) => (input as HTMLInputElement).readOnly)).toBe(true);
    await expectAccessible(page, 'invitation sign-up');
    const username = uniqueName('invited');
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password (8 or more characters)').fill('an invited passphrase');
    await page.getByRole('button', { name: 'Create account' }).click();

    // Active at once, signed in, and seeing the file shared with all clients.
    await page.getByRole('heading', { name: 'Files shared with you' }).waitFor();
    await expect.poll(() => page.locator('tbody tr').first().innerText()).toContain('handbook.docx');

    // The invitation is used up: the list says so, and the link says so too.
    await opsPage.reload();
    await expect.poll(() => row.innerText()).toContain('Used');
    const again = await newPage();
    await again.goto(link);
    await again.getByRole('heading', { name: 'This invitation has been used' }).waitFor();
  });

  it('a forgotten password: the emailed link leads to choosing a new one, which works, and a session signed in before is signed out', async () => {
    const username = uniqueName('forgetful');
    const email = `${username}@example.com`;
    await api.signup(username, 'the first passphrase');

    // Signed in on another device before the reset.
    const before = await newPage();
    await before.goto(stack.apiUrl);
    await signIn(before, username, 'the first passphrase');
    await before.getByRole('heading', { name: 'Files shared with you' }).waitFor();

    const page = await newPage();
    await page.goto(stack.apiUrl);
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor();
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByText(`If an account has the address ${email}, a link to choose a new password is on its way.`).waitFor();

    const [mail] = await waitForMail(stack.mailUrl, email);
    await page.goto(linkIn(mail?.text, 'reset-password'));
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    expect(new URL(page.url()).hash).toBe('#/reset-password');
    await expectAccessible(page, 'reset page');
    // Two different passwords are caught before anything is sent.
    await page.getByLabel('New password (8 or more characters)').fill('the second passphrase');
    await page.getByLabel('New password again').fill('the second passphrase!');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('The two passwords are not the same.').waitFor();
    await page.getByLabel('New password again').fill('the second passphrase');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('heading', { name: 'Password changed' }).waitFor();
    await page.getByRole('link', { name: 'Sign in with your new password' }).click();
    await signIn(page, username, 'the second passphrase');
    await page.getByRole('heading', { name: 'Files shared with you' }).waitFor();
    await expect(api.login(username, 'the first passphrase')).rejects.toThrow(/401/);

    // The other device: its next call fails, and it is back at sign-in.
    await before.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
    await before.getByRole('heading', { name: 'Sign in' }).waitFor();
    await before.getByText('Your session has ended. Sign in again to go on.').waitFor();
  });

  it('a pending sign-up waits and sees no file; ops approve it from the link in their email; after a reload the client sees files', async () => {
    const ops = await opsUser(stack, api);
    await fileForAllClients(ops.token, 'welcome.docx');
    const username = uniqueName('newcomer');

    const page = await newPage();
    await page.goto(`${stack.apiUrl}/#/signup`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Email').fill(`${username}@example.com`);
    await page.getByLabel('Password (8 or more characters)').fill('a newcomer passphrase');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Waiting for approval' }).waitFor();
    await expectAccessible(page, 'waiting page');
    await page.screenshot({ path: path.join(ARTIFACTS, 'portal-waiting-for-approval.png') });
    // Nothing to see, whichever page is asked for.
    await page.goto(`${stack.apiUrl}/#/`);
    await page.reload();
    await page.getByRole('heading', { name: 'Waiting for approval' }).waitFor();
    expect(await page.locator('table').count()).toBe(0);
    expect(await page.getByText('welcome.docx').count()).toBe(0);

    // Ops are told by email; its link opens the Users page with the pending accounts.
    const [mail] = await waitForMail(stack.mailUrl, `${ops.username}@example.com`);
    const link = linkIn(mail?.text, 'users');
    expect(link).toBe(`${stack.apiUrl}/#/users?status=pending`);
    const opsPage = await newPage({ viewport: { width: 390, height: 844 } });
    await opsPage.goto(link);
    await signIn(opsPage, ops.username, 'a long ops password');
    await opsPage.getByRole('heading', { name: 'Users', exact: true }).waitFor();
    expect(await opsPage.getByLabel('Status').inputValue()).toBe('pending');
    const row = opsPage.locator(`tr[data-user="${username}"]`);
    await expect.poll(() => row.innerText()).toContain('Waiting for approval');
    await expectAccessible(opsPage, 'users page, 390 px wide');
    await opsPage.screenshot({ path: path.join(ARTIFACTS, 'portal-users-pending-390.png'), fullPage: true });
    // Nothing wider than the screen: the page never scrolls sideways.
    expect(await opsPage.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await opsPage.getByRole('button', { name: `Approve ${username}` }).click();
    await opsPage.getByText(`${username} is approved.`).waitFor();

    // The client, after a reload: the session goes on, and the files are there.
    await page.reload();
    await page.getByRole('heading', { name: 'Files shared with you' }).waitFor();
    await expect.poll(() => page.locator('tbody tr').first().innerText()).toContain('welcome.docx');

    // Ops look at the account, then disable it, confirming first; the client's next call fails.
    await opsPage.getByLabel('Status').selectOption('');
    await opsPage.getByRole('link', { name: username }).click();
    await opsPage.getByRole('heading', { name: username, exact: true }).waitFor();
    await opsPage.getByRole('heading', { name: `Files shared with ${username}` }).waitFor();
    expect(await opsPage.getByRole('list', { name: `Files shared with ${username}` }).innerText()).toContain('welcome.docx');
    await opsPage.getByRole('button', { name: `Disable ${username}` }).click();
    const confirm = opsPage.getByRole('dialog', { name: `Disable ${username}?` });
    await confirm.getByRole('button', { name: 'Disable' }).click();
    await confirm.waitFor({ state: 'detached' });
    await opsPage.getByText(`${username} is disabled.`).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });

  it('in "open" sign-up mode: a new client is told to check its email, and the emailed link confirms it', async () => {
    const open = await startTestStack({ SIGNUP_MODE: 'open' });
    try {
      const username = uniqueName('opener');
      const email = `${username}@example.com`;
      const page = await newPage();
      await page.goto(`${open.apiUrl}/#/signup`);
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password (8 or more characters)').fill('an open passphrase');
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByRole('heading', { name: 'Check your email' }).waitFor();
      await page.getByText(`We sent a link to ${email}.`).waitFor();
      await expectAccessible(page, 'check-your-email page');

      // The link, in another tab of the same browser: confirmed, and the first tab is told.
      const [mail] = await waitForMail(open.mailUrl, email);
      const tab = await page.context().newPage();
      await tab.goto(linkIn(mail?.text, 'verify-email'));
      await tab.getByText('Your email address is confirmed: your account is active.').waitFor();
      expect(new URL(tab.url()).hash).toBe('#/verify-email');
      await tab.getByRole('link', { name: /Go to your files|Sign in/ }).click();
      await tab.getByRole('heading', { name: 'Files shared with you' }).waitFor();
      await page.getByRole('heading', { name: 'Files shared with you' }).waitFor();

      // The link works once.
      const again = await newPage();
      await again.goto(linkIn(mail?.text, 'verify-email'));
      await again.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();
    } finally {
      await open.close();
    }
  }, 60_000);

  it('a session outlives a reload, and the expiry of its access token (the clock moved past it), with nothing kept where script can read it', async () => {
    const username = uniqueName('steady');
    await api.signup(username, 'a steady passphrase');
    const page = await newPage();
    const refreshes = countRequests(page, '/api/auth/refresh');
    await page.goto(stack.apiUrl);
    await signIn(page, username, 'a steady passphrase');
    await page.getByRole('heading', { name: 'Files shared with you' }).waitFor();
    const before = refreshes.count; // the first load's attempt, with no cookie yet

    await page.reload();
    await page.getByRole('heading', { name: 'Files shared with you' }).waitFor();
    expect(refreshes.count - before).toBe(1);
    expect(await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie])).toEqual([0, 0, '']);

    // Past the access token's lifetime, well within the session's idle limit: the next action
    // refreshes, once, and goes on.
    offsetMs += (ACCESS_TOKEN_SECONDS + 5 * 60) * 1000;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await page.getByText('This device').waitFor();
    expect(refreshes.count - before).toBe(2);
    expect(await page.getByRole('heading', { name: 'Sign in' }).count()).toBe(0);
    await expectAccessible(page, 'account page');
    await page.screenshot({ path: path.join(ARTIFACTS, 'portal-account.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(ARTIFACTS, 'portal-account-390.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 720 });

    // Two tabs of one browser, both with an expired token, acting at once: the refreshes take
    // turns (a refresh token used twice would end the session), and both go on.
    const second = await page.context().newPage();
    await second.goto(`${stack.apiUrl}/#/account`);
    await second.getByText('This device').waitFor();
    offsetMs += (ACCESS_TOKEN_SECONDS + 5 * 60) * 1000;
    await Promise.all(
      [page, second].map(async (tab) => {
        await tab.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Files' }).click();
        await tab.getByRole('heading', { name: 'Files shared with you' }).waitFor();
      }),
    );
    await page.reload();
    await page.getByRole('heading', { name: 'Files shared with you' }).waitFor();

    // Signing out on the account page ends this session only.
    const other = await newPage();
    await other.goto(stack.apiUrl);
    await signIn(other, username, 'a steady passphrase');
    await other.getByRole('heading', { name: 'Files shared with you' }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
    const sessions = page.getByRole('list', { name: 'Where you are signed in' });
    await expect.poll(() => sessions.getByRole('listitem').count()).toBe(2);
    await sessions
      .getByRole('listitem')
      .filter({ hasNotText: 'This device' })
      .getByRole('button', { name: /^Sign out / })
      .click();
    await expect.poll(() => sessions.getByRole('listitem').count()).toBe(1);
    await other.reload();
    await other.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await second.reload();
    await second.getByRole('heading', { name: 'Sign in' }).waitFor();
  });
});
