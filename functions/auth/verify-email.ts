import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, HEADERS, json, jsonBody, problem } from '../../shared/api/contract';
import { auditInsert } from '../../shared/audit';
import { addressKey } from '../../shared/client-address';
import { users } from '../../shared/db/schema';
import { ApiError } from '../../shared/errors';
import { findOneTimeToken, useOneTimeToken, whileTokenUsedNow } from '../../shared/one-time-tokens';
import { assertNotThrottled, RULES, recordAttempt } from '../../shared/rate-limits';
import { UserEnvelope } from '../../shared/schemas';
import { toPublicUser } from '../../shared/users';

const VerifyEmailRequest = z.strictObject({ token: z.string().max(100) }).meta({ id: 'VerifyEmailRequest' });

export const route = createRoute({
  method: 'post',
  path: '/api/auth/verify-email',
  operationId: 'verifyEmail',
  tags: ['Authentication'],
  summary: 'Confirm an email address with the link sent to it',
  description:
    'With the service in `open` sign-up mode, a new account is `unverified` until this is done; then it is `active`. The token is in the fragment of the emailed link, used once, and valid for 48 hours.',
  ...access('public', { jsonBody: true }),
  request: { body: jsonBody(VerifyEmailRequest) },
  responses: {
    200: json('The account, now active.', UserEnvelope),
    400: problem('A token that is malformed, unknown, used, or expired: nothing changed.', [
      'invalid_token',
      'validation_failed',
      'malformed_json',
    ]),
    429: problem('Too many attempts from this address.', ['rate_limited'], HEADERS.retryAfter),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { token } = c.req.valid('json');
  const { db, clock, clientAddress } = deps(c);
  const now = clock.now();
  const limits = [{ key: `token:ip:${addressKey(clientAddress(c))}`, rule: RULES.tokenPerIp }];
  await assertNotThrottled(db, limits, now);
  const found = await findOneTimeToken(db, token, 'email_verification', now);
  if (!found || found.user.status !== 'unverified') {
    await recordAttempt(db, limits, now);
    throw new ApiError(400, 'invalid_token', 'This link is not valid any more; sign in to have a new one sent.');
  }
  const { user } = found;
  const [used] = await db.batch([
    useOneTimeToken(db, found.hash, now),
    db
      .update(users)
      .set({ status: 'active' })
      .where(and(eq(users.id, user.id), eq(users.status, 'unverified'), whileTokenUsedNow(found.hash, now))),
    auditInsert(db, { action: 'user.email_verified', target: { id: user.id, name: user.username }, at: now }),
  ]);
  if (used.rowsAffected !== 1) throw new ApiError(400, 'invalid_token', 'This link is not valid any more; sign in to have a new one sent.');
  return c.json({ user: toPublicUser({ ...user, status: 'active' }) }, 200);
};
