import { z } from 'zod';
import { addressKey } from '../../shared/client-address';
import { ApiError } from '../../shared/errors';
import { defineRoute, deps, factory, guard, jsonBody } from '../../shared/http';
import { assertNotThrottled, RULES, recordAttempt } from '../../shared/rate-limits';
import { Email, NewPassword, Problem, UserEnvelope, Username } from '../../shared/schemas';
import { createUser, toPublicUser } from '../../shared/users';

/** Self-service sign-up. It can only ever create a client: no field of the body sets a role. */
const SignupRequest = z.strictObject({ username: Username, email: Email, password: NewPassword }).meta({ id: 'SignupRequest' });

export const route = defineRoute({
  method: 'post',
  path: '/api/auth/signup',
  operationId: 'signup',
  summary: 'Create a client account',
  tags: ['Authentication'],
  access: 'public',
  request: { body: SignupRequest },
  responses: {
    201: { description: 'The new client account.', schema: UserEnvelope },
    400: { description: 'Invalid fields (unknown fields such as `role` included).', schema: Problem },
    409: { description: 'Username (`username_taken`) or email (`email_taken`) already registered.', schema: Problem },
    429: { description: 'Too many sign-ups from this address (`rate_limited`); `Retry-After` says when to try again.', schema: Problem },
  },
});

export const handlers = factory.createHandlers(guard(route), ...jsonBody(SignupRequest), async (c) => {
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
});
