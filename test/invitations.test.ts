import { beforeAll, describe, expect, it } from 'vitest';
import { makeDocx } from '../scripts/lib/samples';
import { type ApiClient, expectProblem } from './helpers/api';
import { clientUser, opsUser, uploadFile } from './helpers/files';
import { type DeliveredMail, exactlyMail, waitForMail } from './helpers/mailbox';
import { type ApiStack, startApiStack, uniqueName, useStack } from './helpers/stack';

/**
 * Invitations on both runtimes: ops invite an address, the mail carries the link, the link
 * opens a sign-up that makes an active account with the invited role, once. Resending replaces
 * the link; revoking and expiry stop it; none of them ever makes an account.
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

interface Invitation {
  id: string;
  email: string;
  role: string;
  status: string;
  invitedBy: { id: string; username: string | null };
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
}

const PASSWORD = 'correct horse battery';

/** An ops account that is not an administrator. */
async function plainOps() {
  const ops = await opsUser(stack, api);
  await stack.sql.execute({ sql: 'update users set admin = 0 where id = ?', args: [ops.id] });
  return ops;
}

const newEmail = (prefix = 'invitee') => `${uniqueName(prefix)}@example.com`;

const invite = (token: string, json: unknown) => api.request<{ invitation: Invitation }>('POST', '/api/invitations', { token, json });

async function invited(email: string, role?: 'client' | 'ops', by = admin) {
  const res = await invite(by.token, { email, ...(role ? { role } : {}) });
  expect(res.status).toBe(201);
  return res.body.invitation;
}

/** The token in an invitation mail, checked to travel only in the link's fragment. */
function tokenOf(mail: DeliveredMail | undefined): string {
  const token = /\/#\/invitation\/(inv_[A-Za-z0-9_-]+)/.exec(mail?.text ?? '')?.[1];
  if (!token) throw new Error(`no invitation link in: ${mail?.text}`);
  for (const body of [mail?.text ?? '', mail?.html ?? '']) {
    const occurrences = body.split(token).length - 1;
    const inFragments = body.split(`${stack.config.publicUrl}/#/invitation/${token}`).length - 1;
    expect(occurrences).toBeGreaterThan(0);
    expect(inFragments).toBe(occurrences);
  }
  return token;
}

async function mailedToken(email: string, count = 1) {
  const mails = await waitForMail(stack.mailUrl, email, { count });
  return tokenOf(mails[count - 1]);
}

const inspect = (token: unknown, headers?: Record<string, string>) =>
  api.request<{ email: string; role: string; expiresAt: string }>('POST', '/api/invitations/inspect', {
    json: { token },
    ...(headers ? { headers } : {}),
  });

const signupWith = (invitation: string, email: string, username = uniqueName('joined')) =>
  api.request<{ user: { id: string; username: string; role: string; status: string } }>('POST', '/api/auth/signup', {
    json: { username, email, password: PASSWORD, invitation },
  });

async function accountsWith(email: string): Promise<number> {
  const rows = await stack.sql.execute({ sql: 'select count(*) as n from users where email = ?', args: [email] });
  return Number(rows.rows[0]?.n);
}

async function listed(id: string): Promise<Invitation | undefined> {
  const res = await api.request<{ items: Invitation[] }>('GET', '/api/invitations', { token: admin.token });
  expect(res.status).toBe(200);
  return res.body.items.find((i) => i.id === id);
}

describe('inviting a client', () => {
  it('mails a link whose token is only in the fragment; it opens a sign-up that makes an active client, once', async () => {
    // A file for every client, there before the invitation.
    const { id: fileId, complete } = await uploadFile(api, admin.token, 'welcome.docx', await makeDocx('welcome'));
    expect(complete.status).toBe(200);
    const shared = await api.request('PUT', `/api/files/${fileId}/sharing`, {
      token: admin.token,
      json: { allClients: true, clients: [] },
    });
    expect(shared.status).toBe(200);

    const email = newEmail();
    const res = await invite(admin.token, { email: email.toUpperCase() });
    expect(res.status).toBe(201);
    const invitation = res.body.invitation;
    expect(invitation).toMatchObject({ email, role: 'client', status: 'pending', invitedBy: { id: admin.id, username: admin.username } });
    expect(invitation.usedAt).toBeNull();
    const ttl = (Date.parse(invitation.expiresAt) - Date.parse(invitation.createdAt)) / 1000;
    expect(ttl).toBe(stack.config.invitationTtlSeconds);
    expect(res.text).not.toMatch(/inv_/);

    const [mail] = await exactlyMail(stack.mailUrl, email, 1);
    expect(mail?.subject).toBe(`You are invited to ${stack.config.appName}`);
    expect(mail?.text).toContain(admin.username);
    const token = tokenOf(mail);

    const preview = await inspect(token);
    expect(preview.status).toBe(200);
    expect(preview.body).toEqual({ email, role: 'client', expiresAt: invitation.expiresAt });
    expect(preview.headers.get('cache-control')).toBe('no-store');

    // The invited address only.
    const other = await signupWith(token, newEmail('other'));
    expectProblem(other, 400, 'validation_failed');

    const username = uniqueName('joined');
    const joined = await signupWith(token, email, username);
    expect(joined.status).toBe(201);
    expect(joined.body.user).toMatchObject({ username, email, role: 'client', status: 'active' });

    // Active at once: it sees the file shared with all clients.
    const token2 = await api.login(username);
    const files = await api.request<{ items: Array<{ id: string }> }>('GET', '/api/files', { token: token2 });
    expect(files.body.items.map((f) => f.id)).toContain(fileId);

    // Used up: inspecting and signing up again are refused, and no second account appears.
    expectProblem(await inspect(token), 409, 'invitation_used');
    expectProblem(await signupWith(token, email), 409, 'invitation_used');
    expect(await accountsWith(email)).toBe(1);
    const row = await listed(invitation.id);
    expect(row?.status).toBe('used');
    expect(row?.usedAt).not.toBeNull();

    // The audit records it, and nowhere the token.
    const audit = await api.request<{ items: Array<{ action: string; actor: { id: string } | null }> }>(
      'GET',
      `/api/audit?targetId=${invitation.id}`,
      { token: admin.token },
    );
    expect(audit.body.items.map((e) => e.action)).toEqual(['invitation.created']);
    expect(audit.body.items[0]?.actor?.id).toBe(admin.id);
    expect(audit.text).not.toContain(token);
    const accepted = await api.request('GET', `/api/audit?targetId=${joined.body.user.id}`, { token: admin.token });
    expect(accepted.text).toContain('invitation.accepted');
    expect(accepted.text).not.toContain(token);
  });

  it('refuses an address that has an account, and a second invitation while one is pending', async () => {
    const client = await clientUser(api);
    expectProblem(await invite(admin.token, { email: `${client.username}@example.com` }), 409, 'email_taken');

    const email = newEmail();
    const first = await invited(email);
    const again = await api.request<{ detail: string }>('POST', '/api/invitations', { token: admin.token, json: { email } });
    expectProblem(again, 409, 'conflict');
    expect(again.body.detail).toMatch(/resend/i);
    expect(again.body.detail).toContain(first.id);
    await exactlyMail(stack.mailUrl, email, 1);

    // Once that one is revoked, a new invitation may go.
    expect((await api.request('DELETE', `/api/invitations/${first.id}`, { token: admin.token })).status).toBe(204);
    expect((await invite(admin.token, { email })).status).toBe(201);
  });

  it('five ops inviting one address at once make one invitation and one mail', async () => {
    const email = newEmail('racing');
    const results = await Promise.all(Array.from({ length: 5 }, () => invite(admin.token, { email })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 201)) expectProblem(r, 409, 'conflict');
    await exactlyMail(stack.mailUrl, email, 1);
    const rows = await stack.sql.execute({ sql: 'select count(*) as n from invitations where email = ?', args: [email] });
    expect(Number(rows.rows[0]?.n)).toBe(1);
  });

  it('refuses callers who are not ops and bodies that are not an invitation', async () => {
    const client = await clientUser(api);
    expectProblem(await invite(client.token, { email: newEmail() }), 403, 'forbidden');
    expectProblem(await api.request('POST', '/api/invitations', { json: { email: newEmail() } }), 401, 'unauthenticated');
    expectProblem(await api.request('GET', '/api/invitations', { token: client.token }), 403, 'forbidden');
    for (const json of [{}, { email: 'not an address' }, { email: newEmail(), role: 'admin' }, { email: newEmail(), admin: true }]) {
      expectProblem(await invite(admin.token, json), 400, 'validation_failed');
    }
    expectProblem(
      await api.request('POST', '/api/invitations', {
        token: admin.token,
        body: '{"email":',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'malformed_json',
    );
  });
});

describe('inviting ops', () => {
  it('needs an administrator; the account made is ops, active', async () => {
    const plain = await plainOps();
    const email = newEmail('newops');
    expectProblem(await invite(plain.token, { email, role: 'ops' }), 403, 'admin_required');
    // A plain ops account may invite clients.
    expect((await invite(plain.token, { email: newEmail() })).status).toBe(201);

    const invitation = await invited(email, 'ops');
    expect(invitation.role).toBe('ops');
    const token = await mailedToken(email);
    expect((await waitForMail(stack.mailUrl, email))[0]?.text).toContain('operations team');
    expect((await inspect(token)).body.role).toBe('ops');
    const joined = await signupWith(token, email);
    expect(joined.status).toBe(201);
    expect(joined.body.user).toMatchObject({ role: 'ops', status: 'active' });
    const me = await api.request<{ user: { role: string; admin: boolean } }>('GET', '/api/me', {
      token: await api.login(joined.body.user.username),
    });
    expect(me.body.user).toMatchObject({ role: 'ops', admin: false });
  });
});

describe('resending', () => {
  it('replaces the link (the old one stops) and the expiry, and mails it again', async () => {
    const email = newEmail();
    const invitation = await invited(email);
    const oldToken = await mailedToken(email);
    // Expired meanwhile: resending brings it back.
    await stack.sql.execute({ sql: 'update invitations set expires_at = ? where id = ?', args: [Date.now() - 1000, invitation.id] });
    expect((await listed(invitation.id))?.status).toBe('expired');

    const resent = await api.request<{ invitation: Invitation }>('POST', `/api/invitations/${invitation.id}/resend`, {
      token: admin.token,
    });
    expect(resent.status).toBe(200);
    expect(resent.body.invitation).toMatchObject({ id: invitation.id, email, status: 'pending' });
    expect(Date.parse(resent.body.invitation.expiresAt)).toBeGreaterThan(Date.now() + 1000);
    expect(resent.text).not.toMatch(/inv_/);
    const newToken = await mailedToken(email, 2);
    expect(newToken).not.toBe(oldToken);

    expectProblem(await inspect(oldToken), 400, 'invalid_invitation');
    expectProblem(await signupWith(oldToken, email), 400, 'invalid_invitation');
    expect((await inspect(newToken)).status).toBe(200);
    expect((await signupWith(newToken, email)).status).toBe(201);

    expectProblem(await api.request('POST', `/api/invitations/${invitation.id}/resend`, { token: admin.token }), 409, 'invitation_used');
    const audit = await api.request<{ items: Array<{ action: string }> }>('GET', `/api/audit?targetId=${invitation.id}`, {
      token: admin.token,
    });
    expect(audit.body.items.map((e) => e.action)).toEqual(['invitation.resent', 'invitation.created']);
  });

  it('refuses a revoked invitation, an unknown one, an ops invitation for a plain ops account, and non-ops', async () => {
    const plain = await plainOps();
    const opsInvitation = await invited(newEmail('opsinv'), 'ops');
    expectProblem(await api.request('POST', `/api/invitations/${opsInvitation.id}/resend`, { token: plain.token }), 403, 'admin_required');

    const email = newEmail();
    const invitation = await invited(email);
    expect((await api.request('POST', `/api/invitations/${invitation.id}/resend`, { token: plain.token })).status).toBe(200);
    const client = await clientUser(api);
    expectProblem(await api.request('POST', `/api/invitations/${invitation.id}/resend`, { token: client.token }), 403, 'forbidden');
    expect((await api.request('DELETE', `/api/invitations/${invitation.id}`, { token: admin.token })).status).toBe(204);
    expectProblem(await api.request('POST', `/api/invitations/${invitation.id}/resend`, { token: admin.token }), 410, 'invitation_revoked');
    expectProblem(await api.request('POST', `/api/invitations/${crypto.randomUUID()}/resend`, { token: admin.token }), 404, 'not_found');
    await exactlyMail(stack.mailUrl, email, 2);
  });
});

describe('revoking', () => {
  it('stops the link at once and never makes an account; a used invitation cannot be revoked', async () => {
    const email = newEmail();
    const invitation = await invited(email);
    const token = await mailedToken(email);
    expect((await api.request('DELETE', `/api/invitations/${invitation.id}`, { token: admin.token })).status).toBe(204);
    expectProblem(await inspect(token), 410, 'invitation_revoked');
    expectProblem(await signupWith(token, email), 410, 'invitation_revoked');
    expect(await accountsWith(email)).toBe(0);
    expect((await listed(invitation.id))?.status).toBe('revoked');
    // Again: nothing more to do.
    expect((await api.request('DELETE', `/api/invitations/${invitation.id}`, { token: admin.token })).status).toBe(204);
    const audit = await api.request<{ items: Array<{ action: string; actor: { username: string } }> }>(
      'GET',
      `/api/audit?targetId=${invitation.id}`,
      { token: admin.token },
    );
    expect(audit.body.items.map((e) => `${e.action} by ${e.actor.username}`)).toEqual([
      `invitation.revoked by ${admin.username}`,
      `invitation.created by ${admin.username}`,
    ]);

    const usedEmail = newEmail();
    const used = await invited(usedEmail);
    expect((await signupWith(await mailedToken(usedEmail), usedEmail)).status).toBe(201);
    expectProblem(await api.request('DELETE', `/api/invitations/${used.id}`, { token: admin.token }), 409, 'invitation_used');
    expectProblem(await api.request('DELETE', `/api/invitations/${crypto.randomUUID()}`, { token: admin.token }), 404, 'not_found');
    expectProblem(await api.request('DELETE', '/api/invitations/not-an-id', { token: admin.token }), 404, 'not_found');
    const client = await clientUser(api);
    expectProblem(await api.request('DELETE', `/api/invitations/${used.id}`, { token: client.token }), 403, 'forbidden');
  });
});

describe('an expired invitation', () => {
  it('is refused when inspected and when used, and makes no account', async () => {
    const email = newEmail();
    const invitation = await invited(email);
    const token = await mailedToken(email);
    await stack.sql.execute({ sql: 'update invitations set expires_at = ? where id = ?', args: [Date.now() - 1000, invitation.id] });
    expectProblem(await inspect(token), 410, 'invitation_expired');
    expectProblem(await signupWith(token, email), 410, 'invitation_expired');
    expect(await accountsWith(email)).toBe(0);
    expect((await listed(invitation.id))?.status).toBe('expired');
  });
});

describe('inspecting a link', () => {
  it('refuses tokens this service never issued, and malformed bodies', async () => {
    for (const token of ['', 'x', `inv_${'A'.repeat(43)}`, `rt_${'A'.repeat(43)}`]) {
      expectProblem(await inspect(token), 400, 'invalid_invitation');
    }
    expectProblem(await inspect('x'.repeat(101)), 400, 'validation_failed');
    expectProblem(await inspect(42), 400, 'validation_failed');
    expectProblem(
      await api.request('POST', '/api/invitations/inspect', { json: { token: 'x', email: 'a@b.c' } }),
      400,
      'validation_failed',
    );
  });

  it('slows down an address that keeps trying tokens', async () => {
    const headers = { 'x-forwarded-for': `10.250.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}` };
    for (let i = 0; i < 20; i++) expectProblem(await inspect(`inv_${'B'.repeat(43)}`, headers), 400, 'invalid_invitation');
    const throttled = await inspect(`inv_${'B'.repeat(43)}`, headers);
    expectProblem(throttled, 429, 'rate_limited');
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('the list', () => {
  it('is newest first, with each invitation’s state and who sent it', async () => {
    const a = await invited(newEmail());
    const b = await invited(newEmail());
    const res = await api.request<{ items: Invitation[] }>('GET', '/api/invitations', { token: admin.token });
    const ids = res.body.items.map((i) => i.id);
    expect(ids.indexOf(b.id)).toBeLessThan(ids.indexOf(a.id));
    expect(res.body.items.find((i) => i.id === a.id)).toMatchObject({ status: 'pending', invitedBy: { username: admin.username } });
    expect(res.text).not.toMatch(/inv_|token/i);
  });
});
