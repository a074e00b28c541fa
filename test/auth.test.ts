import bcrypt from 'bcryptjs';
import { decodeJwt, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, expectProblem } from './helpers/api';
import { type ApiStack, startApiStack, uniqueName, useStack } from './helpers/stack';

let stack: ApiStack;
let api: ApiClient;

useStack(
  () => startApiStack(),
  (s, a) => {
    stack = s;
    api = a;
  },
);

/** The next code point in place of the last one: for é, 😀 and ASCII only the final UTF-8 byte differs. */
const changeLastByte = (value: string) => {
  const chars = [...value];
  const last = chars.pop() ?? '';
  return chars.join('') + String.fromCodePoint((last.codePointAt(0) ?? 0) + 1);
};

const signupBody = (username: string, overrides: Record<string, unknown> = {}) => ({
  username,
  email: `${username}@example.com`,
  password: 'correct horse battery',
  ...overrides,
});

describe('POST /api/auth/signup', () => {
  it('creates a client, folding username and email to lower case', async () => {
    const name = uniqueName('Mixed');
    const res = await api.request('POST', '/api/auth/signup', {
      json: { username: `  ${name.toUpperCase()} `, email: `${name.toUpperCase()}@Example.COM`, password: 'correct horse battery' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      user: {
        id: expect.any(String),
        username: name.toLowerCase(),
        email: `${name.toLowerCase()}@example.com`,
        role: 'client',
        // The default sign-up mode: waiting for ops to approve it.
        status: 'pending',
        admin: false,
        notifyShares: true,
        createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      },
    });
    expect(res.text).not.toMatch(/hash|password/i);
  });

  it('refuses a taken username, whatever its case, with 409 username_taken', async () => {
    const name = uniqueName('dup');
    await api.signup(name);
    const res = await api.request('POST', '/api/auth/signup', {
      json: signupBody(name.toUpperCase(), { email: `other-${name}@example.com` }),
    });
    expectProblem(res, 409, 'username_taken');
  });

  it('refuses a taken email, whatever its case, with 409 email_taken', async () => {
    const name = uniqueName('mail');
    await api.signup(name);
    const res = await api.request('POST', '/api/auth/signup', {
      json: signupBody(uniqueName('other'), { email: `${name.toUpperCase()}@EXAMPLE.com` }),
    });
    expectProblem(res, 409, 'email_taken');
  });

  it('lets exactly one of several racing sign-ups for one username win', async () => {
    const name = uniqueName('race');
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        api.request('POST', '/api/auth/signup', { json: signupBody(name, { email: `${name}-${i}@example.com` }) }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409]);
    for (const r of results.filter((r) => r.status === 409)) expectProblem(r, 409, 'username_taken');
    const rows = await stack.sql.execute({ sql: 'select count(*) as n from users where username = ?', args: [name] });
    expect(rows.rows[0]?.n).toBe(1);
  });

  it('never creates ops: a role field is refused and nothing is written', async () => {
    const name = uniqueName('sneaky');
    const res = await api.request('POST', '/api/auth/signup', { json: signupBody(name, { role: 'ops' }) });
    expectProblem(res, 400, 'validation_failed');
    expect((res.body as { errors: { path: string }[] }).errors.map((e) => e.path)).toContain('role');
    const rows = await stack.sql.execute({ sql: 'select count(*) as n from users where username = ?', args: [name] });
    expect(rows.rows[0]?.n).toBe(0);
    // The same name without the field signs up as a client.
    expect((await api.signup(name)).role).toBe('client');
  });

  describe('password length: at least 8 characters, at most 72 bytes of UTF-8', () => {
    const cases: Array<[string, string, number]> = [
      ['7 characters', 'abcdefg', 400],
      ['8 characters', 'k7Qp2xWz', 201],
      ['72 ASCII bytes', 'a'.repeat(72), 201],
      ['73 ASCII bytes', 'a'.repeat(73), 400],
      ['72 bytes of 2-byte characters', 'é'.repeat(36), 201],
      ['73 bytes: 36 two-byte characters and one more', `${'é'.repeat(36)}a`, 400],
      ['72 bytes of 4-byte characters (18 characters)', '😀'.repeat(18), 201],
      ['76 bytes of 4-byte characters (only 19 characters)', '😀'.repeat(19), 400],
      ['7 characters of 4 bytes each (28 bytes)', '😀'.repeat(7), 400],
    ];
    it.each(cases)('%s → %i', async (_label, password, status) => {
      const name = uniqueName('pw');
      const res = await api.request('POST', '/api/auth/signup', { json: signupBody(name, { password }) });
      expect(res.status).toBe(status);
      if (status === 400) {
        expectProblem(res, 400, 'validation_failed');
        expect((res.body as { errors: { path: string }[] }).errors[0]?.path).toBe('password');
      } else {
        // Accepted passwords work in full: the last byte matters, nothing was truncated.
        expect(await api.login(name, password)).toEqual(expect.any(String));
        const lastChanged = changeLastByte(password);
        expect(new TextEncoder().encode(lastChanged).length).toBe(new TextEncoder().encode(password).length);
        const wrong = await api.request('POST', '/api/auth/login', { json: { username: name, password: lastChanged } });
        expectProblem(wrong, 401, 'unauthenticated');
      }
    });
  });

  it.each([['password1'], ['iloveyou1'], ['Qwertyuiop'], ['12345678']])(
    'refuses %s, one of the most common passwords, whatever its case',
    async (password) => {
      const name = uniqueName('common');
      const res = await api.request('POST', '/api/auth/signup', { json: signupBody(name, { password }) });
      expectProblem(res, 400, 'validation_failed');
      expect((res.body as { errors: { path: string; message: string }[] }).errors).toEqual([
        { path: 'password', message: expect.stringContaining('most common') },
      ]);
    },
  );

  it.each([
    ['a username that is too short', { username: 'ab' }, 'username'],
    ['a username with a slash', { username: 'ab/cd' }, 'username'],
    ['a username over 32 characters', { username: 'a'.repeat(33) }, 'username'],
    ['an invalid email', { email: 'not-an-email' }, 'email'],
    ['a number as the password', { password: 12345678 }, 'password'],
    ['a missing email', { email: undefined }, 'email'],
  ])('refuses %s with 400 validation_failed naming the field', async (_label, overrides, field) => {
    const res = await api.request('POST', '/api/auth/signup', { json: signupBody(uniqueName('v'), overrides) });
    expectProblem(res, 400, 'validation_failed');
    expect((res.body as { errors: { path: string }[] }).errors.map((e) => e.path)).toContain(field);
  });
});

describe('POST /api/auth/login', () => {
  it('accepts the username or the email, in any case, and returns a working bearer token', async () => {
    const name = uniqueName('login');
    const user = await api.signup(name);
    for (const login of [name, name.toUpperCase(), `${name}@example.com`, `${name.toUpperCase()}@EXAMPLE.COM`]) {
      const res = await api.request<{ accessToken: string; tokenType: string; expiresIn: number; user: unknown }>(
        'POST',
        '/api/auth/login',
        {
          json: { username: login, password: 'correct horse battery' },
        },
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, user: { id: user.id, role: 'client' } });
      const claims = decodeJwt(res.body.accessToken);
      expect(claims).toMatchObject({ sub: user.id, role: 'client', iss: 'secure-file-share', aud: 'secure-file-share-api' });
      expect(claims.jti).toEqual(expect.any(String));
      expect((claims.exp as number) - (claims.iat as number)).toBeLessThanOrEqual(900);
      const me = await api.request('GET', '/api/me', { token: res.body.accessToken });
      expect(me.status).toBe(200);
    }
  });

  it('answers unknown user and wrong password identically', async () => {
    const name = uniqueName('who');
    await api.signup(name);
    const wrongPassword = await api.request('POST', '/api/auth/login', { json: { username: name, password: 'not the password' } });
    const unknownUser = await api.request('POST', '/api/auth/login', {
      json: { username: uniqueName('ghost'), password: 'not the password' },
    });
    for (const res of [wrongPassword, unknownUser]) {
      expectProblem(res, 401, 'unauthenticated');
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
    expect(wrongPassword.text).toBe(unknownUser.text);
  });

  it('refuses a password over 72 bytes with 400 instead of comparing a truncated one', async () => {
    const name = uniqueName('long');
    const password = 'p'.repeat(72);
    await api.signup(name, password);
    const res = await api.request('POST', '/api/auth/login', { json: { username: name, password: `${password}x` } });
    expectProblem(res, 400, 'validation_failed');
  });

  it('refuses missing fields with 400', async () => {
    expectProblem(await api.request('POST', '/api/auth/login', { json: { username: 'someone' } }), 400, 'validation_failed');
  });
});

/** The session an access token belongs to (its `sid` claim). */
const sidOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).sid;

describe('GET /api/me and the access token rules', () => {
  let user: { id: string };
  let token: string;
  let sid: string;
  const key = () => new TextEncoder().encode(stack.secrets.jwtSecret);
  const claims = (): Record<string, unknown> => ({ role: 'client', sid });
  /** A token with these claims, otherwise as the service makes them. */
  const forge = (payload: Record<string, unknown>) =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setSubject(user.id)
      .setIssuer('secure-file-share')
      .setAudience('secure-file-share-api')
      .setIssuedAt(Date.now() / 1000)
      .setExpirationTime('10m')
      .setJti(crypto.randomUUID())
      .sign(key());
  const sign = (alg: string, secret: Uint8Array, edit: (jwt: SignJWT) => SignJWT = (j) => j) =>
    edit(
      new SignJWT(claims())
        .setProtectedHeader({ alg, typ: 'at+jwt' })
        .setSubject(user.id)
        .setIssuer('secure-file-share')
        .setAudience('secure-file-share-api')
        .setIssuedAt(Date.now() / 1000) // ms precision, as the service issues them
        .setExpirationTime('10m')
        .setJti(crypto.randomUUID()),
    ).sign(secret);

  beforeAll(async () => {
    const name = uniqueName('me');
    user = await api.signup(name);
    token = await api.login(name);
    sid = sidOf(token);
  });

  it('returns the signed-in user', async () => {
    const res = await api.request('GET', '/api/me', { token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ user: { id: user.id, role: 'client' } });
  });

  it('accepts a token forged here with the real key and rules (the control for the refusals below)', async () => {
    const res = await api.request('GET', '/api/me', { token: await sign('HS256', key()) });
    expect(res.status).toBe(200);
  });

  const refusals: Array<[string, () => Promise<Record<string, string>>]> = [
    ['no Authorization header', async () => ({})],
    ['a Basic scheme', async () => ({ authorization: 'Basic dXNlcjpwYXNz' })],
    ['garbage', async () => ({ authorization: 'Bearer not.a.token' })],
    [
      'alg none (otherwise a perfect token: typ, jti, every claim)',
      async () => {
        const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
        const now = Date.now() / 1000;
        const payload = {
          role: 'client',
          sub: user.id,
          iss: 'secure-file-share',
          aud: 'secure-file-share-api',
          iat: now,
          exp: Math.floor(now) + 600,
          jti: crypto.randomUUID(),
        };
        return { authorization: `Bearer ${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(payload)}.` };
      },
    ],
    [
      'another token type (typ JWT) signed with the real key',
      async () => ({
        authorization: `Bearer ${await new SignJWT(claims())
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
          .setSubject(user.id)
          .setIssuer('secure-file-share')
          .setAudience('secure-file-share-api')
          .setIssuedAt(Date.now() / 1000)
          .setExpirationTime('10m')
          .setJti(crypto.randomUUID())
          .sign(key())}`,
      }),
    ],
    [
      'a token older than the access-token lifetime, whatever its exp',
      async () => ({
        authorization: `Bearer ${await sign('HS256', key(), (j) => j.setIssuedAt(Date.now() / 1000 - 3600).setExpirationTime('1h'))}`,
      }),
    ],
    ['a token naming no session', async () => ({ authorization: `Bearer ${await forge({ role: 'client' })}` })],
    [
      "another user's session (signature made with the real key)",
      async () => {
        const other = uniqueName('other');
        await api.signup(other);
        return { authorization: `Bearer ${await forge({ role: 'client', sid: sidOf(await api.login(other)) })}` };
      },
    ],
    [
      'a session that does not exist',
      async () => ({ authorization: `Bearer ${await forge({ role: 'client', sid: crypto.randomUUID() })}` }),
    ],
    ['an absurd iat', async () => ({ authorization: `Bearer ${await sign('HS256', key(), (j) => j.setIssuedAt(1e300))}` })],
    ['another algorithm with the same key (HS512)', async () => ({ authorization: `Bearer ${await sign('HS512', key())}` })],
    [
      'another key',
      async () => ({ authorization: `Bearer ${await sign('HS256', new TextEncoder().encode('a-completely-different-key-of-32-bytes!'))}` }),
    ],
    [
      'an expired token',
      async () => ({
        authorization: `Bearer ${await sign('HS256', key(), (j) => j.setIssuedAt(Math.floor(Date.now() / 1000) - 3600).setExpirationTime(Math.floor(Date.now() / 1000) - 60))}`,
      }),
    ],
    ['a token not valid yet', async () => ({ authorization: `Bearer ${await sign('HS256', key(), (j) => j.setNotBefore('5m'))}` })],
    ['another issuer', async () => ({ authorization: `Bearer ${await sign('HS256', key(), (j) => j.setIssuer('someone-else'))}` })],
    ['another audience', async () => ({ authorization: `Bearer ${await sign('HS256', key(), (j) => j.setAudience('another-api'))}` })],
    [
      'a tampered claim (role raised to ops, signature kept)',
      async () => {
        const [header, payload, signature] = token.split('.');
        const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString());
        const forged = Buffer.from(JSON.stringify({ ...claims, role: 'ops' })).toString('base64url');
        return { authorization: `Bearer ${header}.${forged}.${signature}` };
      },
    ],
    [
      'a tampered subject (another user, signature kept)',
      async () => {
        const [header, payload, signature] = token.split('.');
        const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString());
        const forged = Buffer.from(JSON.stringify({ ...claims, sub: crypto.randomUUID() })).toString('base64url');
        return { authorization: `Bearer ${header}.${forged}.${signature}` };
      },
    ],
  ];
  it.each(refusals)('refuses %s with 401 and WWW-Authenticate: Bearer', async (_label, headers) => {
    const res = await api.request('GET', '/api/me', { headers: await headers() });
    expectProblem(res, 401, 'unauthenticated');
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('refuses the token of a user that was deleted, and of a user whose role changed', async () => {
    const gone = uniqueName('gone');
    const goneUser = await api.signup(gone);
    const goneToken = await api.login(gone);
    // Used once first, so the instance has verified it: revocation must not be remembered with it.
    expect((await api.request('GET', '/api/me', { token: goneToken })).status).toBe(200);
    await stack.sql.execute({ sql: 'delete from users where id = ?', args: [goneUser.id] });
    expectProblem(await api.request('GET', '/api/me', { token: goneToken }), 401, 'unauthenticated');

    const moved = uniqueName('moved');
    const movedUser = await api.signup(moved);
    const movedToken = await api.login(moved);
    expect((await api.request('GET', '/api/me', { token: movedToken })).status).toBe(200);
    await stack.sql.execute({ sql: "update users set role = 'ops' where id = ?", args: [movedUser.id] });
    expectProblem(await api.request('GET', '/api/me', { token: movedToken }), 401, 'unauthenticated');
  });
});

describe('bcrypt cost', () => {
  it('a hash made at another cost is redone at the configured cost on the next login', async () => {
    const name = uniqueName('cost');
    const user = await api.signup(name);
    await stack.sql.execute({
      sql: 'update users set password_hash = ? where id = ?',
      args: [await bcrypt.hash('correct horse battery', 11), user.id],
    });
    await api.login(name);
    const row = await stack.sql.execute({ sql: 'select password_hash from users where id = ?', args: [user.id] });
    const hash = String(row.rows[0]?.password_hash);
    expect(bcrypt.getRounds(hash)).toBe(10);
    expect(await bcrypt.compare('correct horse battery', hash)).toBe(true);
  });
});

describe('POST /api/auth/logout', () => {
  it('ends this session only: its tokens stop, another session of the same user goes on', async () => {
    const name = uniqueName('bye');
    await api.signup(name);
    const first = await api.login(name);
    const second = await api.login(name);
    const res = await api.request('POST', '/api/auth/logout', { token: first });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(res.headers.get('set-cookie')).toMatch(/^sfs_refresh=;.*Max-Age=0/i);
    expectProblem(await api.request('GET', '/api/me', { token: first }), 401, 'unauthenticated');
    expectProblem(await api.request('POST', '/api/auth/logout', { token: first }), 401, 'unauthenticated');
    expect((await api.request('GET', '/api/me', { token: second })).status).toBe(200);
    const fresh = await api.login(name);
    expect((await api.request('GET', '/api/me', { token: fresh })).status).toBe(200);
  });

  it('logout-all ends every session of the user, on every device', async () => {
    const name = uniqueName('all');
    await api.signup(name);
    const first = await api.login(name);
    const second = await api.login(name);
    expect((await api.request('POST', '/api/auth/logout-all', { token: first })).status).toBe(204);
    for (const old of [first, second]) expectProblem(await api.request('GET', '/api/me', { token: old }), 401, 'unauthenticated');
    const fresh = await api.login(name);
    expect((await api.request('GET', '/api/me', { token: fresh })).status).toBe(200);
  });

  it('leaves other users signed in', async () => {
    const a = uniqueName('a');
    const b = uniqueName('b');
    await api.signup(a);
    await api.signup(b);
    const tokenA = await api.login(a);
    const tokenB = await api.login(b);
    await api.request('POST', '/api/auth/logout', { token: tokenA });
    expect((await api.request('GET', '/api/me', { token: tokenB })).status).toBe(200);
  });

  it('needs credentials', async () => {
    expectProblem(await api.request('POST', '/api/auth/logout'), 401, 'unauthenticated');
  });
});

describe('the unknown-user path does the same bcrypt work', () => {
  it('compares against a hash of the configured cost, exactly once', async () => {
    const { createPasswordHasher } = await import('../shared/passwords');
    const { vi } = await import('vitest');
    const hasher = createPasswordHasher(10);
    const compare = vi.spyOn(bcrypt, 'compare');
    try {
      expect(await hasher.verifyAgainstNobody('whatever it is')).toBe(false);
      expect(compare).toHaveBeenCalledTimes(1);
      const hash = compare.mock.calls[0]?.[1];
      expect(typeof hash === 'string' && bcrypt.getRounds(hash)).toBe(10);
    } finally {
      compare.mockRestore();
    }
  });
});
