import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../scripts/lib/local-stack';
import { makeDocx, makePdf } from '../scripts/lib/samples';
import { type ApiClient, apiClient } from './helpers/api';
import { launchChromium } from './helpers/browser';
import { opsUser } from './helpers/files';
import { startTestStack, type TestStack, uniqueName } from './helpers/stack';

/**
 * The portal in a real browser (Debian's chromium, driven by playwright-core) against the real
 * stack: what a person does, end to end. Screenshots land in test-artifacts/ (git-ignored).
 */
const ARTIFACTS = path.join(PROJECT_ROOT, 'test-artifacts');
const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

let stack: TestStack;
let api: ApiClient;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  stack = await startTestStack();
  api = apiClient(stack.apiUrl, { sql: stack.sql });
  await mkdir(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
});
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stack?.close();
});

async function newPage(options: { bypassCSP?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext({ acceptDownloads: true, ...options });
  contexts.push(context);
  return context.newPage();
}

async function signIn(page: Page, username: string, password: string) {
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * Signs up through the portal, which signs the new client in: in the default "approval" mode the
 * account waits for ops, arranged here straight in the database (test/portal-accounts.test.ts
 * approves through the Users page); a reload then finds the session again through its cookie.
 */
async function signUp(page: Page, username: string, password: string) {
  await page.goto(`${stack.apiUrl}/#/signup`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Email').fill(`${username}@example.com`);
  await page.getByLabel('Password (8 or more characters)').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Waiting for approval' }).waitFor();
  await stack.sql.execute({ sql: "update users set status = 'active' where username = ?", args: [username] });
  await page.reload();
}

async function downloadedBytes(page: Page, trigger: () => Promise<unknown>): Promise<Uint8Array> {
  const [download] = await Promise.all([page.waitForEvent('download'), trigger()]);
  const file = await download.path();
  return new Uint8Array(await readFile(file));
}

/** axe-core on the page as it is now: no serious or critical accessibility violation. */
async function expectAccessible(page: Page) {
  // Evaluated through the DevTools protocol, not a <script>: the page keeps its real CSP.
  const require = createRequire(import.meta.url);
  await page.evaluate(await readFile(require.resolve('axe-core/axe.min.js'), 'utf8'));
  const violations = await page.evaluate(async () => {
    const result = await (
      window as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }> } }
    ).axe.run();
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.nodes.length})`);
  });
  expect(violations).toEqual([]);
}

describe('the web portal', () => {
  it('ops upload and share; the client downloads the same bytes; another client sees nothing; a link opened signed out leads through sign-in to the download', async () => {
    const ops = await opsUser(stack, api);
    const report = await makeDocx('shared through the portal');
    const alice = uniqueName('alice');
    const bob = uniqueName('bob');

    // Alice signs up and signs in: nothing shared yet.
    const alicePage = await newPage();
    await signUp(alicePage, alice, 'alice passphrase');
    await alicePage.getByText('Nothing has been shared with you yet.').waitFor();

    // Ops sign in and upload a real .docx and a renamed PDF, through the picker, straight to storage.
    const opsPage = await newPage();
    await opsPage.goto(stack.apiUrl);
    await expectAccessible(opsPage).catch((error: unknown) => {
      throw new Error(`sign-in page: ${String(error)}`);
    });
    await opsPage.screenshot({ path: path.join(ARTIFACTS, 'portal-sign-in.png') });
    await signIn(opsPage, ops.username, 'a long ops password');
    await opsPage.getByRole('heading', { name: 'Files', exact: true }).waitFor();
    await opsPage.locator('#upload-input').setInputFiles([
      { name: 'report.docx', mimeType: DOCX_TYPE, buffer: Buffer.from(report) },
      { name: 'disguised.docx', mimeType: DOCX_TYPE, buffer: Buffer.from(makePdf()) },
    ]);
    const reportRow = opsPage.locator('tr[data-file="report.docx"]');
    const fakeRow = opsPage.locator('tr[data-file="disguised.docx"]');
    await expect.poll(() => reportRow.innerText(), { timeout: 15_000 }).toContain('ready');
    await expect.poll(() => fakeRow.innerText(), { timeout: 15_000 }).toContain('rejected');
    expect(await fakeRow.innerText()).toContain('not a ZIP container');

    // Share the docx with Alice, picking her by username.
    await opsPage.getByRole('button', { name: 'Share report.docx' }).click();
    await opsPage.getByLabel('Add a client by username').fill(alice);
    await opsPage.getByRole('button', { name: 'Add', exact: true }).click();
    await opsPage.getByRole('list', { name: 'Clients with access' }).getByText(alice).waitFor();
    await opsPage.screenshot({ path: path.join(ARTIFACTS, 'portal-ops-share.png') });
    await opsPage.getByRole('button', { name: 'Save sharing' }).click();
    await opsPage.getByRole('dialog').waitFor({ state: 'detached' });
    await expectAccessible(opsPage);
    await opsPage.screenshot({ path: path.join(ARTIFACTS, 'portal-ops-files.png'), fullPage: true });

    // Alice sees exactly that file and downloads it: the same bytes.
    await alicePage.reload();
    const rows = alicePage.locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().innerText()).toContain('report.docx');
    await expectAccessible(alicePage);
    await alicePage.screenshot({ path: path.join(ARTIFACTS, 'portal-client-files.png') });
    const bytes = await downloadedBytes(alicePage, () => alicePage.getByRole('button', { name: 'Download report.docx' }).click());
    expect(bytes).toEqual(report);

    // Bob sees nothing.
    const bobPage = await newPage();
    await signUp(bobPage, bob, 'bob passphrase!');
    await bobPage.getByText('Nothing has been shared with you yet.').waitFor();

    // A link opened in a browser that is not signed in: sign-in, then the download.
    const token = await api.login(alice, 'alice passphrase');
    const files = await api.request<{ items: Array<{ id: string }> }>('GET', '/api/files', { token });
    const link = await api.request<{ downloadLink: string }>('POST', `/api/files/${files.body.items[0]?.id}/download-link`, { token });
    const fresh = await newPage();
    await fresh.goto(link.body.downloadLink);
    expect(new URL(fresh.url()).hash).toMatch(/^#\/download\//);
    await fresh.getByText('Sign in to download the file that was shared with you.').waitFor();
    await fresh.screenshot({ path: path.join(ARTIFACTS, 'portal-link-sign-in.png') });
    const viaLink = await downloadedBytes(fresh, () => signIn(fresh, alice, 'alice passphrase'));
    expect(viaLink).toEqual(report);

    // The audit shows both downloads.
    await opsPage.getByRole('button', { name: 'Downloads of report.docx' }).click();
    await expect.poll(() => opsPage.getByRole('dialog').innerText()).toMatch(new RegExp(`${alice}[\\s\\S]*${alice}`));
  });

  it("shows the API's field errors next to the fields they concern", async () => {
    const page = await newPage();
    await page.goto(`${stack.apiUrl}/#/signup`);
    await page.getByLabel('Username').fill('x');
    await page.getByLabel('Email').fill('someone@example.com');
    await page.getByLabel('Password (8 or more characters)').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect.poll(() => page.locator('#field-username-error').innerText()).toContain('at least 3 characters');
    expect(await page.locator('#field-password-error').innerText()).toContain('at least 8 characters');
    expect(await page.getByLabel('Username').getAttribute('aria-invalid')).toBe('true');
    await expectAccessible(page);
    await page.screenshot({ path: path.join(ARTIFACTS, 'portal-sign-up-errors.png') });
  });

  it('keeps the access token out of storage and cookies (the refresh token is in an HttpOnly cookie), and serves the page under a strict CSP', async () => {
    const ops = await opsUser(stack, api);
    const page = await newPage();
    const response = await page.goto(stack.apiUrl);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    await signIn(page, ops.username, 'a long ops password');
    await page.getByRole('heading', { name: 'Files', exact: true }).waitFor();
    expect(await page.evaluate(() => [JSON.stringify(localStorage), JSON.stringify(sessionStorage), document.cookie])).toEqual([
      '{}',
      '{}',
      '',
    ]);
    // Only the refresh token, where no script can read it and only the refresh endpoint gets it.
    const cookies = await page.context().cookies();
    expect(cookies.map(({ name, httpOnly, sameSite, path }) => ({ name, httpOnly, sameSite, path }))).toEqual([
      { name: 'sfs_refresh', httpOnly: true, sameSite: 'Strict', path: '/api/auth/refresh' },
    ]);
  });
});
