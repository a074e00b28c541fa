import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, HEADERS, jsonBody, problem } from '../../shared/api/contract';
import { addressKey } from '../../shared/client-address';
import { resetNotice } from '../../shared/notices';
import { oneTimeTokenStart } from '../../shared/one-time-tokens';
import { deliverAfterResponse, newMessageId, outboxInsert } from '../../shared/outbox';
import { assertNotThrottled, RULES, recordAttempt } from '../../shared/rate-limits';
import { Email } from '../../shared/schemas';
import { findUserByLogin } from '../../shared/users';

const ForgotPasswordRequest = z.strictObject({ email: Email }).meta({ id: 'ForgotPasswordRequest' });

export const route = createRoute({
  method: 'post',
  path: '/api/auth/forgot-password',
  operationId: 'forgotPassword',
  tags: ['Authentication'],
  summary: 'Email a password-reset link',
  description:
    'Answers the same (202) whether or not an account has that address, so it tells no one who has an account. If one does, and it is not disabled, a link is sent to it: used once, valid for 30 minutes; a newer link voids older ones. Throttled per address and per email.',
  ...access('public', { jsonBody: true }),
  request: { body: jsonBody(ForgotPasswordRequest) },
  responses: {
    202: { description: 'Accepted: if an account has that email, a link is on its way.' },
    429: problem('Too many requests from this address or for this email.', ['rate_limited'], HEADERS.retryAfter),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { email } = c.req.valid('json');
  const d = deps(c);
  const { db, clock, clientAddress, config } = d;
  const now = clock.now();
  const limits = [
    { key: `forgot:ip:${addressKey(clientAddress(c))}`, rule: RULES.forgotPerIp },
    { key: `forgot:email:${email}`, rule: RULES.forgotPerEmail },
  ];
  await assertNotThrottled(db, limits, now);
  await recordAttempt(db, limits, now);
  const user = await findUserByLogin(db, email);
  if (user && user.email === email && user.status !== 'disabled') {
    const reset = await oneTimeTokenStart(db, user.id, 'password_reset', now);
    const notice = { ...resetNotice(config, user, reset.token), id: newMessageId() };
    await db.batch([...reset.statements, outboxInsert(db, notice, now)]);
    deliverAfterResponse(d, [notice.id]);
  }
  return c.body(null, 202);
};
