import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, HEADERS, json, jsonBody, problem } from '../../shared/api/contract';
import { auditInsert } from '../../shared/audit';
import { addressKey } from '../../shared/client-address';
import { ApiError } from '../../shared/errors';
import { findInvitationByToken, invitationAcceptStatements, invitationStatus } from '../../shared/invitations';
import { approvalRequestNotice, verificationNotice } from '../../shared/notices';
import { oneTimeTokenStart } from '../../shared/one-time-tokens';
import { deliverAfterResponse, newMessageId, type OutboxMessage, outboxInsert } from '../../shared/outbox';
import { assertNotThrottled, RULES, recordAttempt } from '../../shared/rate-limits';
import { Email, NewPassword, UserEnvelope, Username } from '../../shared/schemas';
import { activeOpsEmails, insertUserStatement, newUserRow, toPublicUser, userConflict } from '../../shared/users';

const SignupRequest = z
  .strictObject({
    username: Username,
    email: Email,
    password: NewPassword,
    invitation: z
      .string()
      .max(100)
      .optional()
      .meta({ description: 'The token of an invitation (from the link in its email). The email must be the invited address.' }),
  })
  .meta({ id: 'SignupRequest' });

export const route = createRoute({
  method: 'post',
  path: '/api/auth/signup',
  operationId: 'signup',
  tags: ['Authentication'],
  summary: 'Create an account',
  description: `Self-service sign-up creates a client, and no field of the body sets a role (unknown fields, \`role\` among them, are refused). What the account may do first depends on the service's sign-up mode: \`approval\` (the default) makes it \`pending\` until ops approve it, and ops are told by email; \`open\` makes it \`unverified\` until the link sent to its email is followed; \`invite\` accepts only sign-ups with an invitation. With a valid invitation the account is \`active\` at once, with the invited role, and the invitation is used up. The password is checked against the 50,000 most common ones.`,
  ...access('public', { jsonBody: true }),
  request: { body: jsonBody(SignupRequest) },
  responses: {
    201: json('The new account; its `status` says whether it must wait for approval or verification.', UserEnvelope),
    400: problem('An invitation token this service never issued, or an email other than the invited one.', [
      'invalid_invitation',
      'validation_failed',
      'malformed_json',
    ]),
    403: problem('The service accepts sign-ups by invitation only.', ['signup_by_invitation_only']),
    409: problem('The username or the email is already registered, or the invitation was already used.', [
      'username_taken',
      'email_taken',
      'invitation_used',
    ]),
    410: problem('The invitation expired or was revoked.', ['invitation_expired', 'invitation_revoked']),
    429: problem(
      'Too many sign-ups or invitation attempts from this address; `Retry-After` says when to try again.',
      ['rate_limited'],
      HEADERS.retryAfter,
    ),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const input = c.req.valid('json');
  const d = deps(c);
  const { db, passwords, clock, clientAddress, commonPasswords, config } = d;
  const now = clock.now();
  const ip = addressKey(clientAddress(c));
  const limits = [{ key: `signup:ip:${ip}`, rule: RULES.signupPerIp }];
  if (input.invitation !== undefined) limits.push({ key: `token:ip:${ip}`, rule: RULES.tokenPerIp });
  await assertNotThrottled(db, limits, now);
  await recordAttempt(db, limits, now);

  const invitation = input.invitation !== undefined ? await findInvitationByToken(db, input.invitation) : undefined;
  if (input.invitation !== undefined) {
    if (!invitation) throw new ApiError(400, 'invalid_invitation', 'This invitation link is not valid; ask for a new one.');
    const status = invitationStatus(invitation, now);
    if (status === 'used') throw new ApiError(409, 'invitation_used', 'This invitation has already been used; sign in instead.');
    if (status === 'revoked') throw new ApiError(410, 'invitation_revoked', 'This invitation was withdrawn; ask for a new one.');
    if (status === 'expired') throw new ApiError(410, 'invitation_expired', 'This invitation has expired; ask for a new one.');
    if (invitation.email !== input.email) {
      throw new ApiError(400, 'validation_failed', 'The request has invalid fields.', {
        errors: [{ path: 'email', message: 'must be the address the invitation was sent to' }],
      });
    }
  } else if (config.signupMode === 'invite') {
    throw new ApiError(403, 'signup_by_invitation_only', 'Accounts are created by invitation only; ask the people who run this service.');
  }
  if (await commonPasswords.isCommon(input.password)) {
    throw new ApiError(400, 'validation_failed', 'The request has invalid fields.', {
      errors: [{ path: 'password', message: 'is one of the most common passwords; choose another' }],
    });
  }
  const status = invitation ? 'active' : config.signupMode === 'open' ? 'unverified' : 'pending';
  const user = newUserRow({
    username: input.username,
    email: input.email,
    passwordHash: await passwords.hash(input.password),
    role: invitation?.role ?? 'client',
    status,
    now,
  });
  const target = { id: user.id, name: user.username };
  const mail: Array<OutboxMessage & { id: string }> = [];
  try {
    if (invitation) {
      const [used] = await db.batch([
        ...invitationAcceptStatements(db, invitation, user, now),
        auditInsert(db, { action: 'invitation.accepted', target, details: { invitationId: invitation.id, role: user.role }, at: now }),
      ]);
      if (used.rowsAffected !== 1) throw new ApiError(409, 'invitation_used', 'This invitation has already been used; sign in instead.');
    } else {
      let extra: ReturnType<typeof outboxInsert>[] = [];
      let verification: Awaited<ReturnType<typeof oneTimeTokenStart>> | undefined;
      if (status === 'pending') {
        for (const to of await activeOpsEmails(db)) mail.push({ ...approvalRequestNotice(config, to, user), id: newMessageId() });
      } else {
        verification = await oneTimeTokenStart(db, user.id, 'email_verification', now);
        mail.push({ ...verificationNotice(config, user, verification.token), id: newMessageId() });
      }
      extra = mail.map((m) => outboxInsert(db, m, now));
      await db.batch([
        insertUserStatement(db, user),
        ...(verification ? verification.statements : []),
        auditInsert(db, { action: 'user.signed_up', target, details: { status }, at: now }),
        ...extra,
      ]);
    }
  } catch (error) {
    throw userConflict(error);
  }
  if (mail.length > 0)
    deliverAfterResponse(
      d,
      mail.map((m) => m.id),
    );
  return c.json({ user: toPublicUser(user) }, 201);
};
