import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, HEADERS, jsonBody, problem } from '../../shared/api/contract';
import { auditInsert } from '../../shared/audit';
import { users } from '../../shared/db/schema';
import { ApiError } from '../../shared/errors';
import { passwordChangedNotice } from '../../shared/notices';
import { deliverAfterResponse, newMessageId, outboxInsert } from '../../shared/outbox';
import { PASSWORD_MAX_BYTES, utf8Length } from '../../shared/passwords';
import { assertNotThrottled, clearAttempts, RULES, recordAttempt } from '../../shared/rate-limits';
import { NewPassword } from '../../shared/schemas';
import { endSessionsStatement } from '../../shared/sessions';
import { findUserById } from '../../shared/users';

const ChangePasswordRequest = z
  .strictObject({
    currentPassword: z
      .string()
      .min(1)
      .refine((v) => utf8Length(v) <= PASSWORD_MAX_BYTES, `must be at most ${PASSWORD_MAX_BYTES} bytes in UTF-8`),
    newPassword: NewPassword,
  })
  .meta({ id: 'ChangePasswordRequest' });

export const route = createRoute({
  method: 'post',
  path: '/api/me/password',
  operationId: 'changePassword',
  tags: ['Account'],
  summary: 'Change your password',
  description:
    'Needs the current password. Every other session of the account ends at once; this one goes on. Wrong current passwords are throttled per account. The account’s email is told.',
  ...access('user', { jsonBody: true }),
  request: { body: jsonBody(ChangePasswordRequest) },
  responses: {
    204: { description: 'Changed; other sessions have ended.' },
    403: problem('The current password is wrong.', ['wrong_password']),
    429: problem('Too many wrong current passwords.', ['rate_limited'], HEADERS.retryAfter),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { currentPassword, newPassword } = c.req.valid('json');
  const d = deps(c);
  const { db, sql, clock, passwords, commonPasswords, config } = d;
  const me = c.get('user');
  const now = clock.now();
  const limits = [{ key: `reauth:account:${me.id}`, rule: RULES.reauthPerAccount }];
  await assertNotThrottled(db, limits, now);
  const user = await findUserById(sql, me.id);
  if (!user || !(await passwords.verify(currentPassword, user.passwordHash))) {
    await recordAttempt(db, limits, now);
    throw new ApiError(403, 'wrong_password', 'The current password is not right.');
  }
  if (await commonPasswords.isCommon(newPassword)) {
    throw new ApiError(400, 'validation_failed', 'The request has invalid fields.', {
      errors: [{ path: 'newPassword', message: 'is one of the most common passwords; choose another' }],
    });
  }
  const notice = { ...passwordChangedNotice(config, user, 'changed'), id: newMessageId() };
  await db.batch([
    db
      .update(users)
      .set({ passwordHash: await passwords.hash(newPassword) })
      .where(eq(users.id, user.id)),
    endSessionsStatement(db, user.id, now, 'password_changed', c.get('sessionId')),
    auditInsert(db, { action: 'user.password_changed', actor: me, target: { id: me.id, name: me.username }, at: now }),
    outboxInsert(db, notice, now),
  ]);
  await clearAttempts(db, [limits[0]?.key ?? '']);
  deliverAfterResponse(d, [notice.id]);
  return c.body(null, 204);
};
