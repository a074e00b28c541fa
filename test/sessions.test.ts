import { describe, expect, it } from 'vitest';
import { type ApiClient, type ApiResponse, expectProblem } from './helpers/api';
import { waitForMail } from './helpers/mailbox';
import { type ApiStack, startApiStack, uniqueName, useStack } from './helpers/stack';

/**
 * Sessions on both runtimes: refresh tokens (cookie for the portal, body for programs), their
 * rotation and reuse detection, sign-out of one session or all, password change and reset.
 */
let stack: ApiStack;
let api: ApiClient;

useStack(
  () => startApiStack(),
  (s, a) => {
    stack = s;
    api = a;
  },
);

const PASSWORD = 'correct horse battery';

/** The refresh cookie a response set: its value and attributes. */
function refreshCookie(res: ApiResponse): { value: string; attributes: string } {
  const header = res.headers.get('set-cookie') ?? '';
  const match = /^sfs_refresh=([^;]*);?(.*)$/i.exec(header);
  if (!match) throw new Error(`no refresh cookie in: ${header}`);
  return { value: match[1] ?? '', attributes: match[2] ?? '' };
}

async function signIn(name: string, refreshTokenIn: 'cookie' | 'body' = 'cookie') {
  const res = await api.request<{ accessToken: string; refreshToken?: string }>('POST', '/api/auth/login', {
    json: { username: name, password: PASSWORD, refreshTokenIn },
  });
  expect(res.status).toBe(200);
  return res;
}

const byCookie = (value: string, headers: Record<string, string> = { 'x-requested-with': 'fetch' }) =>
  api.request<{ accessToken: string }>('POST', '/api/auth/refresh', { json: {}, headers: { cookie: `sfs_refresh=${value}`, ...headers } });

const byBody = (refreshToken: string) =>
  api.request<{ accessToken: string; refreshToken?: string }>('POST', '/api/auth/refresh', { json: { refreshToken } });

const meWith = (token: string) => api.request('GET', '/api/me', { token });

describe('refresh by cookie (the portal)', () => {
  it('sign-in sets an HttpOnly, SameSite=Strict cookie for the refresh path only, and no token in the body', async () => {
    const name = uniqueName('cookie');
    await api.signup(name);
    const res = await signIn(name);
    const { value, attributes } = refreshCookie(res);
    expect(value).toMatch(/^rt_[A-Za-z0-9_-]{43}$/);
    expect(attributes).toMatch(/HttpOnly/i);
    expect(attributes).toMatch(/SameSite=Strict/i);
    expect(attributes).toMatch(/Path=\/api\/auth\/refresh/i);
    // The test stack is served over http: Secure would make the browser drop it.
    expect(attributes).not.toMatch(/Secure/i);
    expect(res.body).not.toHaveProperty('refreshToken');
    expect(res.text).not.toContain(value);
  });

  it('rotates on every use; the old token used again ends the whole session, and its access tokens with it', async () => {
    const name = uniqueName('rotate');
    await api.signup(name);
    const first = await signIn(name);
    const cookie1 = refreshCookie(first).value;
    const refreshed = await byCookie(cookie1);
    expect(refreshed.status).toBe(200);
    const cookie2 = refreshCookie(refreshed).value;
    expect(cookie2).not.toBe(cookie1);
    expect((await meWith(refreshed.body.accessToken)).status).toBe(200);

    const replay = await byCookie(cookie1);
    expectProblem(replay, 401, 'refresh_token_reused');
    expect(refreshCookie(replay).attributes).toMatch(/Max-Age=0/i);
    // Everything of that session is over: the newest refresh token and every access token.
    expectProblem(await byCookie(cookie2), 401, 'invalid_refresh_token');
    expectProblem(await meWith(refreshed.body.accessToken), 401, 'unauthenticated');
    expectProblem(await meWith(first.body.accessToken), 401, 'unauthenticated');
    // Another sign-in is a new session and works.
    expect((await meWith((await signIn(name)).body.accessToken)).status).toBe(200);
  });

  it('refuses a cookie refresh without the custom header, or from another site (CSRF), and changes nothing', async () => {
    const name = uniqueName('csrf');
    await api.signup(name);
    const cookie = refreshCookie(await signIn(name)).value;
    expectProblem(await byCookie(cookie, {}), 403, 'csrf_refused');
    expectProblem(await byCookie(cookie, { 'x-requested-with': 'fetch', 'sec-fetch-site': 'cross-site' }), 403, 'csrf_refused');
    expectProblem(await byCookie(cookie, { 'x-requested-with': 'fetch', 'sec-fetch-site': 'same-site' }), 403, 'csrf_refused');
    // The token was not used up by the refused attempts.
    expect((await byCookie(cookie, { 'x-requested-with': 'fetch', 'sec-fetch-site': 'same-origin' })).status).toBe(200);
  });

  it('without a cookie or with a malformed or unknown one: 401 invalid_refresh_token', async () => {
    expectProblem(
      await api.request('POST', '/api/auth/refresh', { json: {}, headers: { 'x-requested-with': 'fetch' } }),
      401,
      'invalid_refresh_token',
    );
    for (const bad of ['x', 'rt_short', `rt_${'A'.repeat(43)}`, `${'a'.repeat(99)}`]) {
      expectProblem(await byCookie(bad), 401, 'invalid_refresh_token');
    }
  });
});

describe('refresh by body (programs)', () => {
  it('gives the token in the body when asked, rotates it, and detects reuse', async () => {
    const name = uniqueName('body');
    await api.signup(name);
    const login = await signIn(name, 'body');
    expect(login.headers.get('set-cookie')).toBeNull();
    const token1 = login.body.refreshToken ?? '';
    expect(token1).toMatch(/^rt_/);
    const next = await byBody(token1);
    expect(next.status).toBe(200);
    const token2 = next.body.refreshToken ?? '';
    expect(token2).toMatch(/^rt_/);
    expect(token2).not.toBe(token1);
    expect((await byBody(token2)).status).toBe(200);
    expectProblem(await byBody(token1), 401, 'refresh_token_reused');
  });

  it('ten refreshes racing with one token: exactly one succeeds, and the session ends', async () => {
    const name = uniqueName('race');
    await api.signup(name);
    const token = (await signIn(name, 'body')).body.refreshToken ?? '';
    const results = await Promise.all(Array.from({ length: 10 }, () => byBody(token)));
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) expect(r.status).toBe(401);
    // A loser saw the token used: the session is over, the winner's new token included.
    expect(results.some((r) => (r.body as { code?: string }).code === 'refresh_token_reused')).toBe(true);
    expectProblem(await byBody(ok[0]?.body.refreshToken ?? ''), 401, 'invalid_refresh_token');
  });

  it('refuses unknown fields and wrong types', async () => {
    expectProblem(await api.request('POST', '/api/auth/refresh', { json: { refreshToken: 5 } }), 400, 'validation_failed');
    expectProblem(await api.request('POST', '/api/auth/refresh', { json: { token: 'x' } }), 400, 'validation_failed');
  });
});

describe('sessions of an account', () => {
  it('lists the sessions that can still be refreshed, marks the current one, and ends one by id', async () => {
    const name = uniqueName('list');
    await api.signup(name);
    const a = (await signIn(name)).body.accessToken;
    const b = (await signIn(name)).body.accessToken;
    const list = await api.request<{ items: Array<{ id: string; current: boolean }> }>('GET', '/api/me/sessions', { token: a });
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(2);
    expect(list.body.items.filter((s) => s.current)).toHaveLength(1);
    const other = list.body.items.find((s) => !s.current);
    expect((await api.request('DELETE', `/api/me/sessions/${other?.id}`, { token: a })).status).toBe(204);
    expectProblem(await meWith(b), 401, 'unauthenticated');
    expect((await meWith(a)).status).toBe(200);
    // Not twice, and never someone else's.
    expectProblem(await api.request('DELETE', `/api/me/sessions/${other?.id}`, { token: a }), 404, 'not_found');
    const stranger = uniqueName('stranger');
    await api.signup(stranger);
    const strangerToken = (await signIn(stranger)).body.accessToken;
    const mine = (await api.request<{ items: Array<{ id: string }> }>('GET', '/api/me/sessions', { token: a })).body.items[0]?.id;
    expectProblem(await api.request('DELETE', `/api/me/sessions/${mine}`, { token: strangerToken }), 404, 'not_found');
    expect((await meWith(a)).status).toBe(200);
  });
});

describe('changing the password', () => {
  it('needs the current password; then other sessions end, this one goes on, and the owner is told by email', async () => {
    const name = uniqueName('change');
    const email = `${name}@example.com`;
    await api.signup(name);
    const here = await signIn(name);
    const there = await signIn(name, 'body');
    const wrong = await api.request('POST', '/api/me/password', {
      token: here.body.accessToken,
      json: { currentPassword: 'not it at all', newPassword: 'a brand new passphrase' },
    });
    expectProblem(wrong, 403, 'wrong_password');
    const ok = await api.request('POST', '/api/me/password', {
      token: here.body.accessToken,
      json: { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' },
    });
    expect(ok.status).toBe(204);
    expect((await meWith(here.body.accessToken)).status).toBe(200);
    expectProblem(await meWith(there.body.accessToken), 401, 'unauthenticated');
    expectProblem(await byBody(there.body.refreshToken ?? ''), 401, 'invalid_refresh_token');
    expect((await byCookie(refreshCookie(here).value)).status).toBe(200);
    expectProblem(await api.request('POST', '/api/auth/login', { json: { username: name, password: PASSWORD } }), 401, 'unauthenticated');
    expect((await api.request('POST', '/api/auth/login', { json: { username: name, password: 'a brand new passphrase' } })).status).toBe(
      200,
    );
    const [notice] = await waitForMail(stack.mailUrl, email);
    expect(notice?.subject).toMatch(/password was changed/);
    expect(notice?.text).not.toContain('a brand new passphrase');
  });

  it('refuses a weak new password and an empty current one, changing nothing', async () => {
    const name = uniqueName('weak');
    await api.signup(name);
    const token = (await signIn(name)).body.accessToken;
    for (const json of [
      { currentPassword: PASSWORD, newPassword: 'short' },
      { currentPassword: PASSWORD, newPassword: 'password123' },
      { currentPassword: '', newPassword: 'a brand new passphrase' },
      { currentPassword: PASSWORD },
    ]) {
      expectProblem(await api.request('POST', '/api/me/password', { token, json }), 400, 'validation_failed');
    }
    expect((await api.request('POST', '/api/auth/login', { json: { username: name, password: PASSWORD } })).status).toBe(200);
  });
});

describe('forgotten password', () => {
  const tokenIn = (text: string | undefined) => /#\/reset-password\/(pwr_[A-Za-z0-9_-]{43})/.exec(text ?? '')?.[1] ?? '';

  it('answers the same for a known and an unknown address, and mails only the known one a single-use link', async () => {
    const name = uniqueName('forgot');
    const email = `${name}@example.com`;
    await api.signup(name);
    const known = await api.request('POST', '/api/auth/forgot-password', { json: { email } });
    const unknown = await api.request('POST', '/api/auth/forgot-password', { json: { email: `nobody-${name}@example.com` } });
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(unknown.text).toBe(known.text);

    const [mail] = await waitForMail(stack.mailUrl, email);
    const token = tokenIn(mail?.text);
    expect(token).not.toBe('');
    expect(mail?.html).toContain(token);
    // In the fragment of a portal link, never a query string or a path the server sees.
    expect(mail?.text).toContain(`${stack.config.publicUrl}/#/reset-password/${token}`);

    const there = await signIn(name, 'body');
    const reset = await api.request('POST', '/api/auth/reset-password', { json: { token, newPassword: 'a reset passphrase here' } });
    expect(reset.status).toBe(204);
    // Every session is over.
    expectProblem(await meWith(there.body.accessToken), 401, 'unauthenticated');
    expectProblem(await byBody(there.body.refreshToken ?? ''), 401, 'invalid_refresh_token');
    expect((await api.request('POST', '/api/auth/login', { json: { username: name, password: 'a reset passphrase here' } })).status).toBe(
      200,
    );
    // Used once: a second use changes nothing.
    expectProblem(
      await api.request('POST', '/api/auth/reset-password', { json: { token, newPassword: 'yet another passphrase' } }),
      400,
      'invalid_token',
    );
    expect((await api.request('POST', '/api/auth/login', { json: { username: name, password: 'a reset passphrase here' } })).status).toBe(
      200,
    );
    const mails = await waitForMail(stack.mailUrl, email, { count: 2 });
    expect(mails[1]?.subject).toMatch(/password was reset/);
  });

  it('refuses malformed, tampered and unknown tokens with 400 invalid_token, changing nothing', async () => {
    const name = uniqueName('tamper');
    const email = `${name}@example.com`;
    await api.signup(name);
    await api.request('POST', '/api/auth/forgot-password', { json: { email } });
    const token = tokenIn((await waitForMail(stack.mailUrl, email))[0]?.text);
    const tampered = `${token.slice(0, 10)}${token[10] === 'A' ? 'B' : 'A'}${token.slice(11)}`;
    for (const bad of ['', 'x', tampered, token.replace('pwr_', 'eml_'), `${token}x`]) {
      const res = await api.request('POST', '/api/auth/reset-password', { json: { token: bad, newPassword: 'a reset passphrase here' } });
      expect(res.status).toBe(400);
      expect(['invalid_token', 'validation_failed']).toContain((res.body as { code: string }).code);
    }
    expect((await api.request('POST', '/api/auth/login', { json: { username: name, password: PASSWORD } })).status).toBe(200);
    // The real one still works after all that.
    expect(
      (await api.request('POST', '/api/auth/reset-password', { json: { token, newPassword: 'a reset passphrase here' } })).status,
    ).toBe(204);
  });

  it('a newer link voids the older one', async () => {
    const name = uniqueName('twice');
    const email = `${name}@example.com`;
    await api.signup(name);
    await api.request('POST', '/api/auth/forgot-password', { json: { email } });
    const first = tokenIn((await waitForMail(stack.mailUrl, email))[0]?.text);
    await api.request('POST', '/api/auth/forgot-password', { json: { email } });
    const second = tokenIn((await waitForMail(stack.mailUrl, email, { count: 2 }))[1]?.text);
    expect(second).not.toBe(first);
    expectProblem(
      await api.request('POST', '/api/auth/reset-password', { json: { token: first, newPassword: 'a reset passphrase here' } }),
      400,
      'invalid_token',
    );
    expect(
      (await api.request('POST', '/api/auth/reset-password', { json: { token: second, newPassword: 'a reset passphrase here' } })).status,
    ).toBe(204);
  });

  it('is throttled per email: the fourth request within the hour for one address waits', async () => {
    const email = `${uniqueName('flood')}@example.com`;
    for (let i = 0; i < 3; i++) expect((await api.request('POST', '/api/auth/forgot-password', { json: { email } })).status).toBe(202);
    const res = await api.request('POST', '/api/auth/forgot-password', { json: { email } });
    expectProblem(res, 429, 'rate_limited');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
