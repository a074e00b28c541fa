import { describe, expect, it } from 'vitest';
import { makeDocx } from '../scripts/lib/samples';
import { type ApiClient, expectProblem } from './helpers/api';
import { opsUser, uploadFile } from './helpers/files';
import { waitForMail } from './helpers/mailbox';
import { type ApiStack, startApiStack, uniqueName, useStack } from './helpers/stack';

/**
 * The three sign-up modes, on both runtimes. Self sign-up stays open in two of them, but is never
 * a way in by itself: an account sees files only once ops approved it, or once it proved it owns
 * its email address; in `invite` mode there is no sign-up without an invitation.
 */
const PASSWORD = 'correct horse battery';

interface Fixture {
  stack: ApiStack;
  api: ApiClient;
  ops: Awaited<ReturnType<typeof opsUser>>;
  fileId: string;
}

/** A stack in that mode, an ops account, and a ready file shared with all clients. */
function modeStack(env: Record<string, string>): Fixture {
  const f = {} as Fixture;
  useStack(
    () => startApiStack(env),
    (s, a) => {
      f.stack = s;
      f.api = a;
    },
  );
  it('(arranging an ops account and a file shared with all clients)', async () => {
    f.ops = await opsUser(f.stack, f.api);
    const uploaded = await uploadFile(f.api, f.ops.token, 'for-everyone.docx', await makeDocx(`all ${crypto.randomUUID()}`));
    expect(uploaded.complete.status).toBe(200);
    f.fileId = uploaded.id;
    const shared = await f.api.request('PUT', `/api/files/${f.fileId}/sharing`, {
      token: f.ops.token,
      json: { allClients: true, clients: [] },
    });
    expect(shared.status).toBe(200);
  });
  return f;
}

async function seesTheFile(f: Fixture, token: string): Promise<boolean> {
  const list = await f.api.request<{ items: Array<{ id: string }> }>('GET', '/api/files?limit=100', { token });
  expect(list.status).toBe(200);
  const listed = list.body.items.some((i) => i.id === f.fileId);
  const link = await f.api.request('POST', `/api/files/${f.fileId}/download-link`, { token });
  const shown = await f.api.request('GET', `/api/files/${f.fileId}`, { token });
  // The list, the file and a link must agree: one rule decides all three.
  expect([link.status === 200, shown.status === 200]).toEqual([listed, listed]);
  return listed;
}

describe('approval (the default)', () => {
  const f = modeStack({});

  it('a new client is pending: it can sign in, sees no file and can get no link, and ops are told by email', async () => {
    const name = uniqueName('waiting');
    const res = await f.api.request<{ user: { id: string; status: string } }>('POST', '/api/auth/signup', {
      json: { username: name, email: `${name}@example.com`, password: PASSWORD },
    });
    expect(res.status).toBe(201);
    expect(res.body.user.status).toBe('pending');
    const token = await f.api.login(name);
    const me = await f.api.request<{ user: { status: string } }>('GET', '/api/me', { token });
    expect(me.body.user.status).toBe('pending');
    expect(await seesTheFile(f, token)).toBe(false);

    const mails = await waitForMail(f.stack.mailUrl, `${f.ops.username}@example.com`);
    const notice = mails.find((m) => m.subject.includes(name));
    expect(notice?.text).toContain(`${name}@example.com`);
    expect(notice?.text).toContain(`${f.stack.config.publicUrl}/#/users?status=pending`);
    expect(notice?.text).not.toMatch(/correct horse/);

    // Approved (as ops would), the same token now sees the file: visibility is read per request.
    await f.stack.sql.execute({ sql: "update users set status = 'active' where id = ?", args: [res.body.user.id] });
    expect(await seesTheFile(f, token)).toBe(true);
  });

  it('a disabled client sees nothing and cannot sign in; its tokens stop at once', async () => {
    const name = uniqueName('stopped');
    const user = await f.api.signup(name);
    const token = await f.api.login(name);
    expect(await seesTheFile(f, token)).toBe(true);
    await f.stack.sql.execute({ sql: "update users set status = 'disabled' where id = ?", args: [user.id] });
    expectProblem(await f.api.request('GET', '/api/files', { token }), 401, 'unauthenticated');
    expectProblem(await f.api.request('POST', '/api/auth/login', { json: { username: name, password: PASSWORD } }), 401, 'unauthenticated');
  });
});

describe('open: the email must be verified', () => {
  const f = modeStack({ SIGNUP_MODE: 'open' });
  const tokenIn = (text: string | undefined) => /#\/verify-email\/(eml_[A-Za-z0-9_-]{43})/.exec(text ?? '')?.[1] ?? '';

  it('a new client is unverified and sees nothing until it follows the link sent to its address, once', async () => {
    const name = uniqueName('verify');
    const email = `${name}@example.com`;
    const res = await f.api.request<{ user: { status: string } }>('POST', '/api/auth/signup', {
      json: { username: name, email, password: PASSWORD },
    });
    expect(res.body.user.status).toBe('unverified');
    const token = await f.api.login(name);
    expect(await seesTheFile(f, token)).toBe(false);

    const [mail] = await waitForMail(f.stack.mailUrl, email);
    const verification = tokenIn(mail?.text);
    expect(verification).not.toBe('');
    const tampered = `${verification.slice(0, 12)}${verification[12] === 'A' ? 'B' : 'A'}${verification.slice(13)}`;
    for (const bad of [tampered, verification.replace('eml_', 'pwr_'), 'eml_x']) {
      expectProblem(await f.api.request('POST', '/api/auth/verify-email', { json: { token: bad } }), 400, 'invalid_token');
    }
    expect(await seesTheFile(f, token)).toBe(false);

    const verified = await f.api.request<{ user: { status: string } }>('POST', '/api/auth/verify-email', { json: { token: verification } });
    expect(verified.status).toBe(200);
    expect(verified.body.user.status).toBe('active');
    expect(await seesTheFile(f, token)).toBe(true);
    expectProblem(await f.api.request('POST', '/api/auth/verify-email', { json: { token: verification } }), 400, 'invalid_token');
  });
});

describe('invite: sign-up only through an invitation', () => {
  const f = modeStack({ SIGNUP_MODE: 'invite' });

  it('refuses a sign-up without an invitation, and no account exists after', async () => {
    const name = uniqueName('uninvited');
    expectProblem(
      await f.api.request('POST', '/api/auth/signup', { json: { username: name, email: `${name}@example.com`, password: PASSWORD } }),
      403,
      'signup_by_invitation_only',
    );
    expectProblem(await f.api.request('POST', '/api/auth/login', { json: { username: name, password: PASSWORD } }), 401, 'unauthenticated');
    const rows = await f.stack.sql.execute({ sql: 'select count(*) as n from users where username = ?', args: [name] });
    expect(Number(rows.rows[0]?.n)).toBe(0);
  });

  it('refuses an invitation token this service never issued', async () => {
    const name = uniqueName('forged');
    for (const invitation of ['inv_x', `inv_${'A'.repeat(43)}`]) {
      expectProblem(
        await f.api.request('POST', '/api/auth/signup', {
          json: { username: name, email: `${name}@example.com`, password: PASSWORD, invitation },
        }),
        400,
        'invalid_invitation',
      );
    }
  });
});
