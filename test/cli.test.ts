import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDocx, makePdf } from '../scripts/lib/samples';
import { type ApiClient, apiClient } from './helpers/api';
import { opsUser, uploadFile } from './helpers/files';
import { runScript } from './helpers/run-script';
import { startTestStack, type TestStack, uniqueName } from './helpers/stack';

let stack: TestStack;
let api: ApiClient;
let dir: string;

beforeAll(async () => {
  stack = await startTestStack();
  api = apiClient(stack.apiUrl, { sql: stack.sql });
  dir = await mkdtemp(path.join(tmpdir(), 'sfs-cli-'));
});
afterAll(async () => {
  await stack?.close();
  await rm(dir, { recursive: true, force: true });
});

/**
 * Each CLI call is a new process that starts TypeScript (1–3 s on a busy 2-core machine), and a
 * journey makes a dozen: these tests get minutes, not the suite's 30 s. A hang still fails.
 */
const CLI_TIMEOUT_MS = 180_000;

/** The CLI as a person runs it, each user with their own session file. */
const cli = (who: string, args: string[], input?: string) =>
  runScript('cli.ts', args, { env: { SFS_CONFIG: path.join(dir, `${who}.json`) }, ...(input !== undefined ? { input } : {}) });

describe('npm run cli: the journey from a terminal', { timeout: CLI_TIMEOUT_MS }, () => {
  it('ops uploads and shares; the client lists and downloads the same bytes; ops sees the audit', async () => {
    const ops = await opsUser(stack, api);
    const clientName = uniqueName('cli');
    await api.signup(clientName, 'client passphrase');

    const opsLogin = await cli('ops', ['login', '--api', stack.apiUrl, '--username', ops.username], 'a long ops password\n');
    expect(opsLogin.stderr).toBe('');
    expect(opsLogin.stdout).toContain(`Signed in to ${stack.apiUrl} as ${ops.username} (ops).`);
    expect((await stat(path.join(dir, 'ops.json'))).mode & 0o777).toBe(0o600);

    const bytes = await makeDocx('from the terminal');
    await writeFile(path.join(dir, 'Quarterly report.docx'), bytes);
    const upload = await cli('ops', ['upload', path.join(dir, 'Quarterly report.docx')]);
    expect(upload.code).toBe(0);
    const id = /^([0-9a-f-]{36}) {2}ready {2}Quarterly report\.docx$/m.exec(upload.stdout)?.[1];
    expect(id).toBeDefined();
    expect(upload.stderr).toContain('100%');

    const clientLogin = await cli('client', ['login', '--api', stack.apiUrl, '--username', clientName], 'client passphrase\n');
    expect(clientLogin.code).toBe(0);
    expect((await cli('client', ['ls'])).stdout).toContain('Nothing has been shared with you yet.');

    const share = await cli('ops', ['share', id ?? '', '--client', clientName]);
    expect(share.stdout).toContain(`clients: ${clientName}`);
    expect((await cli('client', ['ls'])).stdout).toMatch(new RegExp(`${id}  ready .* Quarterly report\\.docx`));

    const out = path.join(dir, 'downloaded.docx');
    const download = await cli('client', ['download', id ?? '', '--out', out]);
    expect(download.stderr).toContain('100%');
    expect(download.stdout).toContain(`Saved ${out}`);
    expect(new Uint8Array(await readFile(out))).toEqual(bytes);
    const again = await cli('client', ['download', id ?? '', '--out', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('exists; use --force');

    // A folder that does not exist: refused before any link is redeemed (the audit below proves it).
    const nowhere = await cli('client', ['download', id ?? '', '--out', path.join(dir, 'missing-folder', 'report.docx')]);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toMatch(/^Cannot write in /);
    // --force replaces the file; what lands is private to its owner.
    const forced = await cli('client', ['download', id ?? '', '--out', out, '--force']);
    expect(forced.code).toBe(0);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    expect(new Uint8Array(await readFile(out))).toEqual(bytes);

    const audit = await cli('ops', ['audit', id ?? '']);
    expect(audit.stdout.trim().split('\n')).toHaveLength(2); // the first download and the forced one
    expect(audit.stdout).toContain(clientName);
  });

  it('says why in one line: a rejected upload, a wrong password, a role that may not, no session', async () => {
    const ops = await opsUser(stack, api);
    await cli('ops2', ['login', '--api', stack.apiUrl, '--username', ops.username], 'a long ops password\n');
    await writeFile(path.join(dir, 'fake.docx'), makePdf());
    const rejected = await cli('ops2', ['upload', path.join(dir, 'fake.docx')]);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(/Rejected: The file is not a Word document: it is not a ZIP container\./);

    const wrong = await cli('nobody', ['login', '--api', stack.apiUrl, '--username', ops.username], 'not the password\n');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim()).toBe('Wrong username or password.');

    const clientName = uniqueName('cli');
    await api.signup(clientName, 'client passphrase');
    await cli('client2', ['login', '--api', stack.apiUrl, '--username', clientName], 'client passphrase\n');
    await writeFile(path.join(dir, 'ok.docx'), await makeDocx());
    const forbidden = await cli('client2', ['upload', path.join(dir, 'ok.docx')]);
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr.trim()).toBe('Your role does not allow this action.');

    const noName = await cli('piped', ['login', '--api', stack.apiUrl], 'client passphrase\n');
    expect(noName.code).toBe(1);
    expect(noName.stderr.trim()).toBe('Give --username when the password comes from standard input.');

    const none = await cli('never-signed-in', ['ls']);
    expect(none.code).toBe(1);
    expect(none.stderr.trim()).toBe('Not signed in: run `npm run cli -- login` first.');
  });
});

describe('npm run cli: accounts from a terminal', { timeout: CLI_TIMEOUT_MS }, () => {
  it('ops invite (clients; ops as an administrator) and list accounts, as a table or JSON', async () => {
    const ops = await opsUser(stack, api);
    await cli('admin', ['login', '--api', stack.apiUrl, '--username', ops.username], 'a long ops password\n');
    const email = `${uniqueName('guest')}@example.com`;
    const invited = await cli('admin', ['invite', email]);
    expect(invited.stderr).toBe('');
    expect(invited.stdout).toMatch(
      new RegExp(`^Invited ${email} as client; the link in the email works once, until \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC\\.$`, 'm'),
    );
    expect(invited.stdout).not.toContain('inv_');
    const again = await cli('admin', ['invite', email]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/still pending; resend it/);
    expect((await cli('admin', ['invite', `${uniqueName('colleague')}@example.com`, '--ops'])).stdout).toMatch(/ as ops;/);

    const base = uniqueName('listed');
    await api.signup(`${base}a`);
    await api.signup(`${base}b`, 'client passphrase', undefined, { keepPending: true });
    const table = await cli('admin', ['users', '--search', base]);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^USERNAME +ROLE +STATUS +CREATED +EMAIL$/);
    expect(lines.slice(1).map((l) => l.split(/ +/).slice(0, 3))).toEqual([
      [`${base}a`, 'client', 'active'],
      [`${base}b`, 'client', 'pending'],
    ]);
    const json = await cli('admin', ['users', '--search', base, '--status', 'pending', '--json']);
    expect((JSON.parse(json.stdout) as Array<{ username: string }>).map((u) => u.username)).toEqual([`${base}b`]);
    const bad = await cli('admin', ['users', '--role', 'admin']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/Allowed choices are client, ops/);
  });

  it('ops approve, disable and enable an account by its name, email or id', async () => {
    const ops = await opsUser(stack, api);
    await cli('ops3', ['login', '--api', stack.apiUrl, '--username', ops.username], 'a long ops password\n');
    const name = uniqueName('managed');
    const user = await api.signup(name, 'client passphrase', undefined, { keepPending: true });
    expect((await cli('ops3', ['approve', name])).stdout.trim()).toBe(`Approved ${name}; they have been told by email.`);
    const twice = await cli('ops3', ['approve', `${name}@example.com`]);
    expect(twice.code).toBe(1);
    expect(twice.stderr.trim()).toBe('The account is active, not waiting for approval.');

    expect((await cli('ops3', ['disable', user.id])).stdout.trim()).toBe(`Disabled ${name}; every session of it has ended.`);
    const status = async () => (await stack.sql.execute({ sql: 'select status from users where id = ?', args: [user.id] })).rows[0]?.status;
    expect(await status()).toBe('disabled');
    expect((await cli('ops3', ['enable', name])).stdout.trim()).toBe(`Enabled ${name}; it can sign in again.`);
    expect(await status()).toBe('active');

    const unknown = await cli('ops3', ['disable', uniqueName('nobody')]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^No account is called /);
    const self = await cli('ops3', ['disable', ops.username]);
    expect(self.stderr.trim()).toBe('You cannot do this to your own account; ask another member of ops.');
  });

  it('passwd changes your own password: this session goes on, the old password stops', async () => {
    const name = uniqueName('changer');
    await api.signup(name, 'client passphrase');
    await cli('changer', ['login', '--api', stack.apiUrl, '--username', name], 'client passphrase\n');
    const wrong = await cli('changer', ['passwd'], 'not my password\nan entirely new passphrase\n');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim()).toBe('The current password is not right.');
    const short = await cli('changer', ['passwd'], 'client passphrase\n');
    expect(short.code).toBe(1);
    expect(short.stderr.trim()).toBe('Give 2 lines on standard input: current password, new password.');

    const changed = await cli('changer', ['passwd'], 'client passphrase\nan entirely new passphrase\n');
    expect(changed.stderr).toBe('');
    expect(changed.stdout.trim()).toBe('Password changed; your other sessions have been signed out.');
    expect((await cli('changer', ['whoami'])).code).toBe(0);
    await expect(api.login(name, 'client passphrase')).rejects.toThrow(/401/);
    expect(await api.login(name, 'an entirely new passphrase')).toBeTruthy();
  });

  it('stays signed in past the access token: the refresh token, used once, is replaced in the 0600 session file', async () => {
    const name = uniqueName('longer');
    await api.signup(name, 'client passphrase');
    await cli('longer', ['login', '--api', stack.apiUrl, '--username', name], 'client passphrase\n');
    const file = path.join(dir, 'longer.json');
    const first = JSON.parse(await readFile(file, 'utf8'));
    expect(first.refreshToken).toMatch(/^rt_/);
    // The access token ran out (as if 15 minutes went by).
    await writeFile(file, JSON.stringify({ ...first, accessExpiresAt: Date.now() - 1000 }), { mode: 0o600 });
    const whoami = await cli('longer', ['whoami']);
    expect(whoami.code).toBe(0);
    expect(whoami.stdout).toContain(name);
    const second = JSON.parse(await readFile(file, 'utf8'));
    expect(second.refreshToken).toMatch(/^rt_/);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    // A copy of the old session file used later: the reuse ends the session for both.
    await writeFile(file, JSON.stringify({ ...first, accessExpiresAt: Date.now() - 1000 }), { mode: 0o600 });
    const stale = await cli('longer', ['whoami']);
    expect(stale.code).toBe(1);
    expect(stale.stderr.trim()).toBe('Your session has ended (signed out, idle too long, or too old): run `npm run cli -- login` again.');
    await writeFile(file, JSON.stringify({ ...second, accessExpiresAt: Date.now() - 1000 }), { mode: 0o600 });
    expect((await cli('longer', ['whoami'])).code).toBe(1);
  });

  it('logout ends this session only; --everywhere ends them all', async () => {
    const name = uniqueName('leaver');
    await api.signup(name, 'client passphrase');
    await cli('leaver-a', ['login', '--api', stack.apiUrl, '--username', name], 'client passphrase\n');
    await cli('leaver-b', ['login', '--api', stack.apiUrl, '--username', name], 'client passphrase\n');
    await cli('leaver-c', ['login', '--api', stack.apiUrl, '--username', name], 'client passphrase\n');
    const out = await cli('leaver-a', ['logout']);
    expect(out.stdout.trim()).toBe('Signed out.');
    expect((await cli('leaver-a', ['whoami'])).code).toBe(1);
    expect((await cli('leaver-b', ['whoami'])).code).toBe(0);
    expect((await cli('leaver-b', ['logout', '--everywhere'])).stdout.trim()).toBe('Signed out everywhere.');
    expect((await cli('leaver-c', ['whoami'])).code).toBe(1);
  });
});

describe('npm run cli: groups, ends and download limits from a terminal', { timeout: CLI_TIMEOUT_MS }, () => {
  it('ops keep a group, share with it for a week and two downloads; the client sees its terms; ops see who has access', async () => {
    const ops = await opsUser(stack, api);
    const [carol, dave] = [uniqueName('gcarol'), uniqueName('gdave')];
    await api.signup(carol, 'client passphrase');
    await api.signup(dave, 'client passphrase');
    expect((await cli('gops', ['login', '--api', stack.apiUrl, '--username', ops.username], 'a long ops password\n')).code).toBe(0);
    expect((await cli('gcarol', ['login', '--api', stack.apiUrl, '--username', carol], 'client passphrase\n')).code).toBe(0);
    const { id } = await uploadFile(api, ops.token, 'Contract.docx', await makeDocx('for a group'));

    const name = `Acme ${uniqueName('co')}`;
    expect((await cli('gops', ['groups', 'create', name])).stdout.trim()).toBe(`Created group ${name}.`);
    const taken = await cli('gops', ['groups', 'create', name.toUpperCase()]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('already exists');
    expect((await cli('gops', ['groups', 'add', name.toLowerCase(), carol, dave])).stdout.trim()).toBe(
      `Added ${carol}, ${dave} to ${name}.`,
    );
    const list = await cli('gops', ['groups']);
    expect(list.stdout).toMatch(new RegExp(`^${name} +2 +2 +`, 'm'));

    const shared = await cli('gops', ['share', id, '--group', name, '--expires', '7d', '--max-downloads', '2', '--no-notify']);
    expect(shared.code, shared.stderr).toBe(0);
    expect(shared.stdout).toMatch(new RegExp(`groups: ${name} \\(until \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d, 2 download\\(s\\)\\)\\.`));
    expect((await cli('gcarol', ['ls'])).stdout).toMatch(new RegExp(`${id} .*Contract\\.docx  \\(until .*, 2 download\\(s\\) left\\)`));
    const access = await cli('gops', ['access', id]);
    expect(access.stdout).toMatch(new RegExp(`^${carol} +group ${name} +\\d{4}-.* +0/2 +-$`, 'm'));
    expect(access.stdout).toMatch(new RegExp(`^${dave} +group ${name}`, 'm'));

    // Adding a client by name keeps the group's grant and its terms.
    const more = await cli('gops', ['share', id, '--client', dave, '--max-downloads', '5']);
    expect(more.stdout).toContain(`clients: ${dave} (5 download(s))`);
    expect(more.stdout).toContain(`groups: ${name} (until`);

    for (const [args, message] of [
      [['--client', dave, '--max-downloads', '0'], '--max-downloads takes a whole number, 1 or more.'],
      [['--client', dave, '--expires', 'tomorrow'], '--expires takes a date and time'],
      [['--client', dave, '--expires', '2000-01-01T00:00:00Z'], 'clients.0.expiresAt: must be in the future'],
      [['--group', 'No such group'], 'groups.1: no group is called "No such group"'],
    ] as const) {
      const refused = await cli('gops', ['share', id, ...args]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(message);
    }

    expect((await cli('gops', ['groups', 'remove', name, carol])).stdout.trim()).toBe(`Removed ${carol} from ${name}.`);
    expect((await cli('gcarol', ['ls'])).stdout).toContain('Nothing has been shared with you yet.');
    const show = await cli('gops', ['groups', 'show', name]);
    expect(show.stdout).toContain(`${name}: 1 member(s), 1 active`);
    expect(show.stdout).toMatch(new RegExp(`^  ${id}  Contract\\.docx \\(until .*, 2 download\\(s\\)\\)$`, 'm'));
    expect((await cli('gops', ['groups', 'set', name, carol, dave])).stdout.trim()).toBe(
      `${name} has 2 member(s): ${[carol, dave].sort().join(', ')}.`,
    );
    expect((await cli('gops', ['groups', 'rename', name, `${name} Ltd`])).stdout.trim()).toBe(`Renamed to ${name} Ltd.`);
    expect((await cli('gops', ['groups', 'delete', `${name} LTD`])).stdout.trim()).toBe(`Deleted group ${name} Ltd.`);
    const gone = await cli('gops', ['groups', 'show', name]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`No group is called ${name}.`);
  });
});
