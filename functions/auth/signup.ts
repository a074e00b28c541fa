import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, HEADERS, json, jsonBody, problem } from '../../shared/api/contract';
import { addressKey } from '../../shared/client-address';
import { ApiError } from '../../shared/errors';
import { assertNotThrottled, RULES, recordAttempt } from '../../shared/rate-limits';
import { Email, NewPassword, UserEnvelope, Username } from '../../shared/schemas';
import { createUser, toPublicUser } from '../../shared/users';

const SignupRequest = z.strictObject({ username: Username, email: Email, password: NewPassword }).meta({ id: 'SignupRequest' });

export const route = createRoute({
  method: 'post',
  path: '/api/auth/signup',
  operationId: 'signup',
  tags: ['Authentication'],
  summary: 'Create a client account',
  description:
    'Self-service sign-up. It can only ever create a client: no field of the body sets a role, and unknown fields (`role` among them) are refused. The password is checked against the 50,000 most common ones.',
  ...access('public', { jsonBody: true }),
  request: { body: jsonBody(SignupRequest) },
  responses: {
    201: json('The new client account.', UserEnvelope),
    409: problem('The username or the email is already registered.', ['username_taken', 'email_taken']),
    429: problem('Too many sign-ups from this address; `Retry-After` says when to try again.', ['rate_limited'], HEADERS.retryAfter),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const input = c.req.valid('json');
  const { db, passwords, clock, clientAddress, commonPasswords } = deps(c);
  const limits = [{ key: `signup:ip:${addressKey(clientAddress(c))}`, rule: RULES.signupPerIp }];
  await assertNotThrottled(db, limits, clock.now());
  await recordAttempt(db, limits, clock.now());
  if (await commonPasswords.isCommon(input.password)) {
    throw new ApiError(400, 'validation_failed', 'The request has invalid fields.', {
      errors: [{ path: 'password', message: 'is one of the most common passwords; choose another' }],
    });
  }
  const user = await createUser(db, {
    username: input.username,
    email: input.email,
    passwordHash: await passwords.hash(input.password),
    role: 'client',
    now: clock.now(),
  });
  return c.json({ user: toPublicUser(user) }, 201);
};
