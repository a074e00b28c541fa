import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { and, eq, isNull } from 'drizzle-orm';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, HEADERS, jsonBody, problem } from '../../shared/api/contract';
import { auditInsert } from '../../shared/audit';
import { addressKey } from '../../shared/client-address';
import { sessions, users } from '../../shared/db/schema';
import { ApiError } from '../../shared/errors';
import { passwordChangedNotice } from '../../shared/notices';
import { findOneTimeToken, useOneTimeToken, whileTokenUsedNow } from '../../shared/one-time-tokens';
import { deliverAfterResponse, newMessageId, outboxInsert } from '../../shared/outbox';
import { assertNotThrottled, RULES, recordAttempt } from '../../shared/rate-limits';
import { NewPassword } from '../../shared/schemas';

const ResetPasswordRequest = z.strictObject({ token: z.string().max(100), newPassword: NewPassword }).meta({ id: 'ResetPasswordRequest' });

export const route = createRoute({
  method: 'post',
  path: '/api/auth/reset-password',
  operationId: 'resetPassword',
  tags: ['Authentication'],
  summary: 'Choose a new password with the link from the reset email',
  description:
    'Sets the new password and ends every session of the account, on every device. The token is used once; a malformed, unknown, used or expired one changes nothing.',
  ...access('public', { jsonBody: true }),
  request: { body: jsonBody(ResetPasswordRequest) },
  responses: {
    204: { description: 'The password is changed; sign in with it.' },
    400: problem('A token that is malformed, unknown, used, or expired, or a weak password: nothing changed.', [
      'invalid_token',
      'validation_failed',
      'malformed_json',
    ]),
    429: problem('Too many attempts from this address.', ['rate_limited'], HEADERS.retryAfter),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { token, newPassword } = c.req.valid('json');
  const d = deps(c);
  const { db, clock, clientAddress, passwords, commonPasswords, config } = d;
  const now = clock.now();
  const limits = [{ key: `token:ip:${addressKey(clientAddress(c))}`, rule: RULES.tokenPerIp }];
  await assertNotThrottled(db, limits, now);
  const found = await findOneTimeToken(db, token, 'password_reset', now);
  if (!found || found.user.status === 'disabled') {
    await recordAttempt(db, limits, now);
    throw new ApiError(400, 'invalid_token', 'This reset link is not valid any more; ask for a new one.');
  }
  if (await commonPasswords.isCommon(newPassword)) {
    throw new ApiError(400, 'validation_failed', 'The request has invalid fields.', {
      errors: [{ path: 'newPassword', message: 'is one of the most common passwords; choose another' }],
    });
  }
  const { user } = found;
  const hash = await passwords.hash(newPassword);
  const used = whileTokenUsedNow(found.hash, now);
  const notice = { ...passwordChangedNotice(config, user, 'reset'), id: newMessageId() };
  const [consumed] = await db.batch([
    useOneTimeToken(db, found.hash, now),
    db
      .update(users)
      .set({ passwordHash: hash, tokensValidAfter: now })
      .where(and(eq(users.id, user.id), used)),
    db
      .update(sessions)
      .set({ revokedAt: now, revokedReason: 'password_reset' })
      .where(and(eq(sessions.userId, user.id), isNull(sessions.revokedAt), used)),
    auditInsert(db, { action: 'user.password_reset', target: { id: user.id, name: user.username }, at: now }),
    outboxInsert(db, notice, now),
  ]);
  if (consumed.rowsAffected !== 1) throw new ApiError(400, 'invalid_token', 'This reset link is not valid any more; ask for a new one.');
  deliverAfterResponse(d, [notice.id]);
  return c.body(null, 204);
};
