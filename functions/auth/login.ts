import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, HEADERS, json, jsonBody, problem } from '../../shared/api/contract';
import { addressKey } from '../../shared/client-address';
import { unauthenticated } from '../../shared/errors';
import { PASSWORD_MAX_BYTES, utf8Length } from '../../shared/passwords';
import { assertNotThrottled, clearAttempts, RULES, recordAttempt } from '../../shared/rate-limits';
import { User } from '../../shared/schemas';
import { findUserByLogin, toPublicUser, updatePasswordHash } from '../../shared/users';

const LoginRequest = z
  .strictObject({
    username: z.string().min(1).max(254).meta({ description: 'Username or email.' }),
    password: z
      .string()
      .min(1)
      .refine((v) => utf8Length(v) <= PASSWORD_MAX_BYTES, `must be at most ${PASSWORD_MAX_BYTES} bytes in UTF-8`),
  })
  .meta({ id: 'LoginRequest' });

const LoginResponse = z
  .object({
    accessToken: z.string(),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().meta({ description: 'Seconds until the access token expires.' }),
    user: User,
  })
  .meta({ id: 'LoginResponse' });

export const route = createRoute({
  method: 'post',
  path: '/api/auth/login',
  operationId: 'login',
  tags: ['Authentication'],
  summary: 'Sign in with username or email and password',
  description:
    'An unknown user and a wrong password get the same answer after the same work. Failures are throttled per address, per account from that address and per account from anywhere, with growing delays instead of a lock-out.',
  ...access('public', { jsonBody: true }),
  request: { body: jsonBody(LoginRequest) },
  responses: {
    200: json('A short-lived access token.', LoginResponse, HEADERS.noStore),
    401: problem('Wrong username or password (one answer for both).', ['unauthenticated'], HEADERS.wwwAuthenticate),
    429: problem('Too many failed attempts; `Retry-After` says when to try again.', ['rate_limited'], HEADERS.retryAfter),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { username, password } = c.req.valid('json');
  const { db, passwords, accessTokens, clock, clientAddress } = deps(c);
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
  await clearAttempts(db, [limits[1]?.key ?? '', limits[2]?.key ?? '']);
  if (passwords.needsRehash(user.passwordHash)) {
    await updatePasswordHash(db, user.id, await passwords.hash(password));
  }
  const { token, expiresIn } = await accessTokens.issue(user, now);
  c.header('Cache-Control', 'no-store');
  return c.json({ accessToken: token, tokenType: 'Bearer' as const, expiresIn, user: toPublicUser(user) }, 200);
};
