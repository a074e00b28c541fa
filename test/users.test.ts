import { beforeAll, describe, expect, it } from 'vitest';
import { makeDocx } from '../scripts/lib/samples';
import { type ApiClient, expectProblem } from './helpers/api';
import { clientUser, opsUser, uploadFile } from './helpers/files';
import { exactlyMail } from './helpers/mailbox';
import { type ApiStack, startApiStack, uniqueName, useStack } from './helpers/stack';

/**
 * Ops managing accounts, on both runtimes: the list and its search, one account in detail,
 * approving, disabling (effective at once for every credential) and enabling, deleting (the
 * download audit keeps the name), and the audit of all of it.
 */
let stack: ApiStack;
let api: ApiClient;
let admin: Awaited<ReturnType<typeof opsUser>>;

useStack(
  () => startApiStack(),
  (s, a) => {
    stack = s;
    api = a;
  },
);
beforeAll(async () => {
  admin = await opsUser(stack, api);
});

interface User {
  id: string;
  username: string;
  email: string;
  role: string;
  status: string;
  admin: boolean;
  createdAt: string;
}

type Detail = {
  user: User;
  shares: Array<{ file: { id: string; filename: string }; via: string }>;
  downloads: Array<{ file: { id: string; filename: string | null }; at: string }>;
  sessions: number;
};

interface AuditEvent {
  action: string;
  actor: { id: string; username: string } | null;
  target: { id: string; name: string } | null;
  details: Record<string, unknown>;
}

const PASSWORD = 'correct horse battery';

/** An ops account that is not an administrator. */
async function plainOps() {
  const ops = await opsUser(stack, api);
  await stack.sql.execute({ sql: 'update users set admin = 0 where id = ?', args: [ops.id] });
  return ops;
}

const act = (token: string, id: string, action: 'approve' | 'disable' | 'enable') =>
  api.request<{ user: User }>('POST', `/api/users/${id}/${action}`, { token });

const show = (token: string, id: string) => api.request<Detail>('GET', `/api/users/${id}`, { token });

const list = (token: string, query: string) =>
  api.request<{ items: User[]; nextCursor: string | null }>('GET', `/api/users${query ? `?${query}` : ''}`, { token });

async function auditOf(targetId: string): Promise<AuditEvent[]> {
  const res = await api.request<{ items: AuditEvent[] }>('GET', `/api/audit?targetId=${targetId}`, { token: admin.token });
  expect(res.status).toBe(200);
  return res.body.items;
}

/** A ready file, shared with the given clients (or with all). */
async function sharedFile(clients: string[], allClients = false, filename = 'report.docx') {
  const { id, complete } = await uploadFile(api, admin.token, filename, await makeDocx(crypto.randomUUID()));
  expect(complete.status).toBe(200);
  const shared = await api.request('PUT', `/api/files/${id}/sharing`, { token: admin.token, json: { allClients, clients } });
  expect(shared.status).toBe(200);
  return id;
}

async function downloadLink(token: string, fileId: string) {
  const res = await api.request<{ downloadLink: string }>('POST', `/api/files/${fileId}/download-link`, { token });
  expect(res.status).toBe(200);
  return new URL(res.body.downloadLink).pathname;
}

const redeem = (token: string, path: string) => api.request('GET', path, { token, headers: { accept: 'application/json' } });

describe('the list of accounts', () => {
  it('is by username, filtered by a prefix of the username or the email, role and status, a page at a time', async () => {
    const base = uniqueName('find');
    const names = [`${base}c`, `${base}a`, `${base}b`];
    for (const name of names) await api.signup(name);
    const pending = await api.signup(`${base}d`, PASSWORD, `${base}d@example.com`, { keepPending: true });
    // Found by email too: its username shares nothing with the search.
    const byMail = uniqueName('other');
    await api.signup(byMail, PASSWORD, `${base}-mail@example.com`);

    const all = await list(admin.token, `q=${base.toUpperCase()}`);
    expect(all.status).toBe(200);
    expect(all.body.items.map((u) => u.username)).toEqual([`${base}a`, `${base}b`, `${base}c`, `${base}d`, byMail]);
    expect(all.body.items[0]).toMatchObject({ role: 'client', status: 'active', admin: false, email: `${base}a@example.com` });
    expect(all.body.nextCursor).toBeNull();

    expect((await list(admin.token, `q=${base}-mail`)).body.items.map((u) => u.username)).toEqual([byMail]);
    expect((await list(admin.token, `q=${base}&status=pending`)).body.items.map((u) => u.id)).toEqual([pending.id]);
    expect((await list(admin.token, `q=${base}&role=ops`)).body.items).toEqual([]);
    const pendingClients = await list(admin.token, 'role=client&status=pending&limit=100');
    expect(pendingClients.body.items.map((u) => u.id)).toContain(pending.id);
    expect(pendingClients.body.items.every((u) => u.role === 'client' && u.status === 'pending')).toBe(true);

    // Page by page: every account once, in order.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(admin.token, `q=${base}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((u) => u.username));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.body.items.map((u) => u.username));
  });

  it('refuses bad queries and callers who are not ops', async () => {
    for (const query of ['limit=0', 'limit=101', 'limit=x', 'role=admin', 'status=gone', 'cursor=nonsense', `cursor=${btoa('{"u":5}')}`]) {
      expectProblem(await list(admin.token, query), 400, 'validation_failed');
    }
    const client = await clientUser(api);
    expectProblem(await list(client.token, ''), 403, 'forbidden');
    expectProblem(await api.request('GET', '/api/users'), 401, 'unauthenticated');
  });
});

describe('one account', () => {
  it('shows a client’s shares and how, its downloads and its sessions', async () => {
    const client = await clientUser(api);
    const direct = await sharedFile([client.username], false, 'direct.docx');
    const everyone = await sharedFile([], true, 'everyone.docx');
    const both = await sharedFile([client.username], true, 'both.docx');
    await redeem(client.token, await downloadLink(client.token, direct)).then((r) => expect(r.status).toBe(200));
    await api.login(client.username); // a second session

    const res = await show(admin.token, client.id);
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: client.id, username: client.username, role: 'client', status: 'active' });
    const shares = new Map(res.body.shares.map((s) => [s.file.id, s]));
    expect(shares.get(direct)).toEqual({ file: { id: direct, filename: 'direct.docx' }, via: 'direct', groups: [] });
    expect(shares.get(everyone)).toEqual({ file: { id: everyone, filename: 'everyone.docx' }, via: 'all_clients', groups: [] });
    expect(shares.get(both)?.via).toBe('direct');
    // Newest first.
    const order = res.body.shares.map((s) => s.file.id);
    expect(order.indexOf(both)).toBeLessThan(order.indexOf(everyone));
    expect(order.indexOf(everyone)).toBeLessThan(order.indexOf(direct));
    expect(res.body.downloads).toEqual([{ file: { id: direct, filename: 'direct.docx' }, at: expect.any(String) }]);
    expect(res.body.sessions).toBe(2);

    // The deleted file keeps its place in the downloads, without a name.
    expect((await api.request('DELETE', `/api/files/${direct}`, { token: admin.token })).status).toBe(204);
    expect((await show(admin.token, client.id)).body.downloads).toEqual([{ file: { id: direct, filename: null }, at: expect.any(String) }]);

    // Ops see every file: nothing is "shared" with them.
    const ops = await show(admin.token, admin.id);
    expect(ops.body.shares).toEqual([]);
    expect(ops.body.user.admin).toBe(true);
  });

  it('404 for an unknown id or one that is not an id; 403 for a client', async () => {
    expectProblem(await show(admin.token, crypto.randomUUID()), 404, 'not_found');
    expectProblem(await show(admin.token, 'alice'), 404, 'not_found');
    const client = await clientUser(api);
    expectProblem(await show(client.token, client.id), 403, 'forbidden');
  });
});

describe('approving', () => {
  it('makes a pending client active, tells it by email, and it sees what is shared with it', async () => {
    const name = uniqueName('waiting');
    const email = `${name}@example.com`;
    const pending = await api.signup(name, PASSWORD, email, { keepPending: true });
    expect(pending.status).toBe('pending');
    const fileId = await sharedFile([], true);
    const token = await api.login(name);
    expect((await api.request<{ items: unknown[] }>('GET', '/api/files', { token })).body.items).toEqual([]);

    const approved = await act(admin.token, pending.id, 'approve');
    expect(approved.status).toBe(200);
    expect(approved.body.user).toMatchObject({ id: pending.id, status: 'active' });
    const files = await api.request<{ items: Array<{ id: string }> }>('GET', '/api/files', { token });
    expect(files.body.items.map((f) => f.id)).toContain(fileId);
    const [mail] = await exactlyMail(stack.mailUrl, email, 1);
    expect(mail?.subject).toBe(`Your ${stack.config.appName} account is ready`);
    expect(mail?.text).toContain(name);

    expectProblem(await act(admin.token, pending.id, 'approve'), 409, 'not_pending');
    const [event] = await auditOf(pending.id);
    expect(event).toMatchObject({ action: 'user.approved', actor: { id: admin.id, username: admin.username }, target: { name } });
  });

  it('five approvals racing: one succeeds, one mail, one record', async () => {
    const name = uniqueName('racing');
    const pending = await api.signup(name, PASSWORD, undefined, { keepPending: true });
    const results = await Promise.all(Array.from({ length: 5 }, () => act(admin.token, pending.id, 'approve')));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) expectProblem(r, 409, 'not_pending');
    await exactlyMail(stack.mailUrl, `${name}@example.com`, 1);
    expect((await auditOf(pending.id)).map((e) => e.action)).toEqual(['user.approved', 'user.signed_up']);
  });

  it('refuses a client caller, an unknown account, and an ops account for a plain ops account', async () => {
    const pending = await api.signup(uniqueName('waiting'), PASSWORD, undefined, { keepPending: true });
    const client = await clientUser(api);
    expectProblem(await act(client.token, pending.id, 'approve'), 403, 'forbidden');
    expectProblem(await act(admin.token, crypto.randomUUID(), 'approve'), 404, 'not_found');
    const plain = await plainOps();
    const otherOps = await opsUser(stack, api);
    await stack.sql.execute({ sql: "update users set status = 'pending' where id = ?", args: [otherOps.id] });
    expectProblem(await act(plain.token, otherOps.id, 'approve'), 403, 'admin_required');
    // A plain ops account approves clients.
    expect((await act(plain.token, pending.id, 'approve')).status).toBe(200);
  });
});

describe('disabling and enabling', () => {
  it('stops the access token, the refresh token and an issued download link at once; enabled, the client works again', async () => {
    const client = await clientUser(api);
    const fileId = await sharedFile([client.username]);
    const signedIn = await api.request<{ accessToken: string; refreshToken: string }>('POST', '/api/auth/login', {
      json: { username: client.username, password: PASSWORD, refreshTokenIn: 'body' },
    });
    const { accessToken, refreshToken } = signedIn.body;
    const link = await downloadLink(accessToken, fileId);
    expect((await redeem(accessToken, link)).status).toBe(200);

    const disabled = await act(admin.token, client.id, 'disable');
    expect(disabled.status).toBe(200);
    expect(disabled.body.user.status).toBe('disabled');
    expectProblem(await api.request('GET', '/api/me', { token: accessToken }), 401, 'unauthenticated');
    expectProblem(await redeem(accessToken, link), 401, 'unauthenticated');
    expectProblem(await redeem(client.token, link), 401, 'unauthenticated');
    expectProblem(await api.request('POST', '/api/auth/refresh', { json: { refreshToken } }), 401, 'invalid_refresh_token');
    expectProblem(
      await api.request('POST', '/api/auth/login', { json: { username: client.username, password: PASSWORD } }),
      401,
      'unauthenticated',
    );
    expect((await show(admin.token, client.id)).body.sessions).toBe(0);
    expectProblem(await act(admin.token, client.id, 'disable'), 409, 'conflict');

    const enabled = await act(admin.token, client.id, 'enable');
    expect(enabled.status).toBe(200);
    expect(enabled.body.user.status).toBe('active');
    // What it held before stays ended; a new sign-in works, and so does the link (still in its time).
    expectProblem(await api.request('GET', '/api/me', { token: accessToken }), 401, 'unauthenticated');
    expectProblem(await api.request('POST', '/api/auth/refresh', { json: { refreshToken } }), 401, 'invalid_refresh_token');
    const fresh = await api.login(client.username);
    expect((await redeem(fresh, link)).status).toBe(200);
    expectProblem(await act(admin.token, client.id, 'enable'), 409, 'conflict');

    const events = await auditOf(client.id);
    expect(events.slice(0, 2).map((e) => `${e.action} by ${e.actor?.username}`)).toEqual([
      `user.enabled by ${admin.username}`,
      `user.disabled by ${admin.username}`,
    ]);
  });

  it('the guard refuses a disabled account whatever else holds: a link does not outlive the status', async () => {
    // Disabled without the endpoint's token revocation: the status alone stops everything.
    const client = await clientUser(api);
    const fileId = await sharedFile([client.username]);
    const link = await downloadLink(client.token, fileId);
    await stack.sql.execute({ sql: "update users set status = 'disabled' where id = ?", args: [client.id] });
    expectProblem(await redeem(client.token, link), 401, 'unauthenticated');
    expectProblem(await api.request('POST', `/api/files/${fileId}/download-link`, { token: client.token }), 401, 'unauthenticated');
  });

  it('never your own account; an ops account only by an administrator; never by a client', async () => {
    expectProblem(await act(admin.token, admin.id, 'disable'), 409, 'cannot_change_self');
    const plain = await plainOps();
    const other = await opsUser(stack, api);
    expectProblem(await act(plain.token, plain.id, 'disable'), 409, 'cannot_change_self');
    expectProblem(await act(plain.token, other.id, 'disable'), 403, 'admin_required');
    expect((await api.request('GET', '/api/me', { token: other.token })).status).toBe(200);

    // An administrator disables an ops account: it is stopped at once.
    expect((await act(admin.token, other.id, 'disable')).status).toBe(200);
    expectProblem(await api.request('GET', '/api/users', { token: other.token }), 401, 'unauthenticated');
    expectProblem(await act(plain.token, other.id, 'enable'), 403, 'admin_required');
    expect((await act(admin.token, other.id, 'enable')).status).toBe(200);

    // A plain ops account manages clients.
    const client = await clientUser(api);
    expect((await act(plain.token, client.id, 'disable')).status).toBe(200);
    expect((await act(plain.token, client.id, 'enable')).status).toBe(200);
    const bystander = await clientUser(api);
    expectProblem(await act(bystander.token, client.id, 'disable'), 403, 'forbidden');
    expectProblem(await act(admin.token, crypto.randomUUID(), 'disable'), 404, 'not_found');
    expectProblem(await act(admin.token, crypto.randomUUID(), 'enable'), 404, 'not_found');
  });
});

describe('deleting', () => {
  it('removes the account and its grants at once; the download audit names it as deleted, and its name is free', async () => {
    const client = await clientUser(api);
    const fileId = await sharedFile([client.username]);
    expect((await redeem(client.token, await downloadLink(client.token, fileId))).status).toBe(200);

    expect((await api.request('DELETE', `/api/users/${client.id}`, { token: admin.token })).status).toBe(204);
    expectProblem(await show(admin.token, client.id), 404, 'not_found');
    expectProblem(await api.request('GET', '/api/me', { token: client.token }), 401, 'unauthenticated');
    const counts = await stack.sql.execute({
      sql: `select (select count(*) from file_grants where user_id = ?1) as grants, (select count(*) from sessions where user_id = ?1) as sessions,
                   (select count(*) from users where id = ?1) as users`,
      args: [client.id],
    });
    expect(counts.rows[0]).toMatchObject({ grants: 0, sessions: 0, users: 0 });
    const sharing = await api.request<{ clients: unknown[] }>('GET', `/api/files/${fileId}/sharing`, { token: admin.token });
    expect(sharing.body.clients).toEqual([]);
    const downloads = await api.request<{ items: Array<{ user: { id: string; username: string } }> }>(
      'GET',
      `/api/files/${fileId}/downloads`,
      { token: admin.token },
    );
    expect(downloads.body.items).toEqual([{ user: { id: client.id, username: `${client.username} (deleted)` }, at: expect.any(String) }]);
    expectProblem(await api.request('DELETE', `/api/users/${client.id}`, { token: admin.token }), 404, 'not_found');

    // The name is free again; the record still tells the two apart.
    const again = await api.signup(client.username);
    expect(again.id).not.toBe(client.id);
    const [event] = await auditOf(client.id);
    expect(event).toMatchObject({ action: 'user.deleted', actor: { id: admin.id }, target: { id: client.id, name: client.username } });
  });

  it('never your own account; an ops account only by an administrator, and not while its files exist', async () => {
    expectProblem(await api.request('DELETE', `/api/users/${admin.id}`, { token: admin.token }), 409, 'cannot_change_self');
    const plain = await plainOps();
    const uploader = await opsUser(stack, api);
    const fileId = (await uploadFile(api, uploader.token, 'theirs.docx', await makeDocx('theirs'))).id;
    expectProblem(await api.request('DELETE', `/api/users/${uploader.id}`, { token: plain.token }), 403, 'admin_required');
    const refused = await api.request<{ detail: string }>('DELETE', `/api/users/${uploader.id}`, { token: admin.token });
    expectProblem(refused, 409, 'conflict');
    expect(refused.body.detail).toMatch(/uploaded a file that still exists; delete it first, or disable the account instead/);
    expect((await api.request('GET', '/api/me', { token: uploader.token })).status).toBe(200);

    expect((await api.request('DELETE', `/api/files/${fileId}`, { token: admin.token })).status).toBe(204);
    expect((await api.request('DELETE', `/api/users/${uploader.id}`, { token: admin.token })).status).toBe(204);
    expectProblem(await api.request('GET', '/api/me', { token: uploader.token }), 401, 'unauthenticated');

    const client = await clientUser(api);
    expectProblem(await api.request('DELETE', `/api/users/${plain.id}`, { token: client.token }), 403, 'forbidden');
    expectProblem(await api.request('DELETE', `/api/users/${crypto.randomUUID()}`, { token: admin.token }), 404, 'not_found');
  });
});

describe('sharing only with active clients', () => {
  it('suggests active clients only, and refuses to grant a file to one that is not active, naming it', async () => {
    const base = uniqueName('share');
    const active = await api.signup(`${base}a`);
    const pending = await api.signup(`${base}p`, PASSWORD, undefined, { keepPending: true });
    const disabled = await api.signup(`${base}x`);
    expect((await act(admin.token, disabled.id, 'disable')).status).toBe(200);

    const suggested = await api.request<{ items: Array<{ username: string }> }>('GET', `/api/clients?query=${base}`, {
      token: admin.token,
    });
    expect(suggested.body.items.map((c) => c.username)).toEqual([active.username]);

    const fileId = await sharedFile([active.username]);
    const refused = await api.request<{ errors: Array<{ path: string; message: string }> }>('PUT', `/api/files/${fileId}/sharing`, {
      token: admin.token,
      json: { allClients: false, clients: [active.username, pending.username, disabled.username] },
    });
    expectProblem(refused, 400, 'validation_failed');
    expect(refused.body.errors).toEqual([
      { path: 'clients.1', message: expect.stringMatching(new RegExp(`"${pending.username}" is waiting for approval`)) },
      { path: 'clients.2', message: expect.stringMatching(new RegExp(`"${disabled.username}" is disabled`)) },
    ]);

    // A grant held before the client was disabled may be kept when the set is written again.
    const other = await api.signup(`${base}b`);
    const both = await sharedFile([active.username, other.username]);
    expect((await act(admin.token, other.id, 'disable')).status).toBe(200);
    const kept = await api.request<{ clients: Array<{ username: string }> }>('PUT', `/api/files/${both}/sharing`, {
      token: admin.token,
      json: { allClients: false, clients: [active.username, other.username] },
    });
    expect(kept.status).toBe(200);
    expect(kept.body.clients.map((c) => c.username)).toEqual([active.username, other.username]);
  });
});

describe('the audit', () => {
  it('lists what was done, newest first, with actor and target, a page at a time', async () => {
    const pending = await api.signup(uniqueName('audited'), PASSWORD, undefined, { keepPending: true });
    expect((await act(admin.token, pending.id, 'approve')).status).toBe(200);
    expect((await act(admin.token, pending.id, 'disable')).status).toBe(200);
    expect((await act(admin.token, pending.id, 'enable')).status).toBe(200);
    expect((await api.request('DELETE', `/api/users/${pending.id}`, { token: admin.token })).status).toBe(204);

    const events = await auditOf(pending.id);
    expect(events.map((e) => e.action)).toEqual(['user.deleted', 'user.enabled', 'user.disabled', 'user.approved', 'user.signed_up']);
    for (const e of events.slice(0, 4)) {
      expect(e.actor).toEqual({ id: admin.id, username: admin.username });
      expect(e.target).toEqual({ id: pending.id, name: pending.username });
    }
    expect(events[4]?.actor).toBeNull();

    // Page by page through the same events.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: AuditEvent[]; nextCursor: string | null } } = await api.request(
        'GET',
        `/api/audit?targetId=${pending.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { token: admin.token },
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((e) => e.action));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(events.map((e) => e.action));

    // Everything, without a target: the latest first.
    const latest = await api.request<{ items: AuditEvent[] }>('GET', '/api/audit?limit=200', { token: admin.token });
    expect(latest.body.items.some((e) => e.target?.id === pending.id)).toBe(true);
  });

  it('refuses bad queries and callers who are not ops', async () => {
    for (const query of ['limit=0', 'limit=201', 'cursor=nonsense', `targetId=${'x'.repeat(65)}`]) {
      expectProblem(await api.request('GET', `/api/audit?${query}`, { token: admin.token }), 400, 'validation_failed');
    }
    const client = await clientUser(api);
    expectProblem(await api.request('GET', '/api/audit', { token: client.token }), 403, 'forbidden');
  });
});
