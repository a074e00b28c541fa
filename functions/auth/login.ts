import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, HEADERS, json, jsonBody, problem } from '../../shared/api/contract';
import { setRefreshCookie } from '../../shared/api/refresh-cookie';
import { addressKey } from '../../shared/client-address';
import { unauthenticated } from '../../shared/errors';
import { PASSWORD_MAX_BYTES, utf8Length } from '../../shared/passwords';
import { assertNotThrottled, clearAttemptsStatement, RULES, recordAttempt } from '../../shared/rate-limits';
import { SessionTokens } from '../../shared/schemas';
import { sessionStart } from '../../shared/sessions';
import { findUserByLogin, toPublicUser, updatePasswordHash } from '../../shared/users';

const LoginRequest = z
  .strictObject({
    username: z.string().min(1).max(254).meta({ description: 'Username or email.' }),
    password: z
      .string()
      .min(1)
      .refine((v) => utf8Length(v) <= PASSWORD_MAX_BYTES, `must be at most ${PASSWORD_MAX_BYTES} bytes in UTF-8`),
    refreshTokenIn: z.enum(['cookie', 'body']).default('cookie').meta({
      description:
        '`cookie` (the default, for the portal): the refresh token is set as an HttpOnly cookie that page script cannot read. `body` (for the CLI and other programs): it is in the answer, to keep and send to `/api/auth/refresh`.',
    }),
  })
  .meta({ id: 'LoginRequest' });

export const route = createRoute({
  method: 'post',
  path: '/api/auth/login',
  operationId: 'login',
  tags: ['Authentication'],
  summary: 'Sign in with username or email and password',
  description:
    'Starts a session: a short-lived access token, and a refresh token that keeps the session going (rotated on every use). An unknown user and a wrong password get the same answer after the same work. Failures are throttled per address, per account from that address and per account from anywhere, with growing delays instead of a lock-out. A disabled account cannot sign in; a pending or unverified one can, and sees no files until it is active.',
  ...access('public', { jsonBody: true }),
  request: { body: jsonBody(LoginRequest) },
  responses: {
    200: json('The session’s first tokens.', SessionTokens, { ...HEADERS.noStore, ...HEADERS.setRefreshCookie }),
    401: problem('Wrong username or password (one answer for both), or a disabled account.', ['unauthenticated'], HEADERS.wwwAuthenticate),
    429: problem('Too many failed attempts; `Retry-After` says when to try again.', ['rate_limited'], HEADERS.retryAfter),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { username, password, refreshTokenIn } = c.req.valid('json');
  const { db, passwords, accessTokens, clock, clientAddress, config } = deps(c);
  const now = clock.now();
  // Looked up first, whatever the counters say, so a throttled attempt costs the same lookup for
  // a known and an unknown name.
  const user = await findUserByLogin(db, username);
  // One account is one counter, whichever of its username or email was typed; a name no account
  // has is counted by what was typed (normalised as the lookup does), so it is throttled exactly
  // like a real one. The two kinds of key cannot collide.
  const account = user ? `id:${user.id}` : `name:${username.trim().toLowerCase()}`;
  const ip = addressKey(clientAddress(c));
  const limits = [
    { key: `login:ip:${ip}`, rule: RULES.loginPerIp },
    { key: `login:account-ip:${account}|${ip}`, rule: RULES.loginPerAccountAndIp },
    { key: `login:account:${account}`, rule: RULES.loginPerAccount },
  ];
  await assertNotThrottled(db, limits, now);

  // Unknown user and wrong password cost the same bcrypt work and give the same answer.
  const ok = user ? await passwords.verify(password, user.passwordHash) : await passwords.verifyAgainstNobody(password);
  if (!user || !ok) {
    await recordAttempt(db, limits, now);
    throw unauthenticated('Wrong username or password.');
  }
  // The right password for a disabled account: refused, without saying more than "no".
  if (user.status === 'disabled') throw unauthenticated('This account has been disabled; ask the people who run this service.');
  const session = await sessionStart(db, { userId: user.id, now, userAgent: c.req.header('user-agent') ?? '', limits: config.sessions });
  await db.batch([...session.statements, clearAttemptsStatement(db, [limits[1]?.key ?? '', limits[2]?.key ?? ''])]);
  if (passwords.needsRehash(user.passwordHash)) {
    await updatePasswordHash(db, user.id, await passwords.hash(password));
  }
  const { token, expiresIn } = await accessTokens.issue(user, session.sessionId, now);
  c.header('Cache-Control', 'no-store');
  const sessionExpiresAt = new Date(now.getTime() + config.sessions.maxSeconds * 1000).toISOString();
  if (refreshTokenIn === 'cookie')
    setRefreshCookie(c, session.refreshToken, config.sessions.maxSeconds, config.publicUrl.startsWith('https:'));
  return c.json(
    {
      accessToken: token,
      tokenType: 'Bearer' as const,
      expiresIn,
      ...(refreshTokenIn === 'body' ? { refreshToken: session.refreshToken } : {}),
      sessionExpiresAt,
      user: toPublicUser(user),
    },
    200,
  );
};
