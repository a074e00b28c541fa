import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDocx, makePdf } from '../scripts/lib/samples';
import { type ApiClient, apiClient } from './helpers/api';
import { opsUser } from './helpers/files';
import { runScript } from './helpers/run-script';
import { startTestStack, type TestStack, uniqueName } from './helpers/stack';

let stack: TestStack;
let api: ApiClient;
let dir: string;

beforeAll(async () => {
  stack = await startTestStack();
  api = apiClient(stack.apiUrl);
  dir = await mkdtemp(path.join(tmpdir(), 'sfs-cli-'));
});
afterAll(async () => {
  await stack?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The CLI as a person runs it, each user with their own session file. */
const cli = (who: string, args: string[], input?: string) =>
  runScript('cli.ts', args, { env: { SFS_CONFIG: path.join(dir, `${who}.json`) }, ...(input !== undefined ? { input } : {}) });

describe('npm run cli: the journey from a terminal', () => {
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
