import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, HEADERS, json, jsonBody, problem } from '../../shared/api/contract';
import { addressKey } from '../../shared/client-address';
import { ApiError } from '../../shared/errors';
import { findInvitationByToken, invitationStatus } from '../../shared/invitations';
import { assertNotThrottled, RULES, recordAttempt } from '../../shared/rate-limits';
import { Role } from '../../shared/schemas';

const InspectInvitationRequest = z
  .strictObject({ token: z.string().max(100).meta({ description: 'The token from the invitation link’s fragment.' }) })
  .meta({ id: 'InspectInvitationRequest' });

const InvitationPreview = z
  .object({
    email: z.string().meta({ description: 'The invited address: the sign-up must use it.' }),
    role: Role,
    expiresAt: z.iso.datetime(),
  })
  .meta({ id: 'InvitationPreview' });

export const route = createRoute({
  method: 'post',
  path: '/api/invitations/inspect',
  operationId: 'inspectInvitation',
  tags: ['Invitations'],
  summary: 'What an invitation link is for, before signing up with it',
  description:
    'For the sign-up page an invitation link opens: the invited email (fixed in the form) and role, while the invitation can be used. Nothing changes. A POST, so that the token is never in a URL. Failed attempts are throttled per address.',
  ...access('public', { jsonBody: true }),
  request: { body: jsonBody(InspectInvitationRequest) },
  responses: {
    200: json('The invitation can be used until `expiresAt`.', InvitationPreview, HEADERS.noStore),
    400: problem('A token this service never issued, or a malformed one.', ['invalid_invitation', 'validation_failed', 'malformed_json']),
    409: problem('The invitation was already used: sign in instead.', ['invitation_used']),
    410: problem('The invitation expired or was revoked.', ['invitation_expired', 'invitation_revoked']),
    429: problem('Too many failed attempts from this address.', ['rate_limited'], HEADERS.retryAfter),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { token } = c.req.valid('json');
  const { db, clock, clientAddress } = deps(c);
  const now = clock.now();
  const limits = [{ key: `token:ip:${addressKey(clientAddress(c))}`, rule: RULES.tokenPerIp }];
  await assertNotThrottled(db, limits, now);
  const invitation = await findInvitationByToken(db, token);
  const status = invitation ? invitationStatus(invitation, now) : undefined;
  if (!invitation || status !== 'pending') {
    await recordAttempt(db, limits, now);
    if (status === 'used') throw new ApiError(409, 'invitation_used', 'This invitation has already been used; sign in instead.');
    if (status === 'revoked') throw new ApiError(410, 'invitation_revoked', 'This invitation was withdrawn; ask for a new one.');
    if (status === 'expired') throw new ApiError(410, 'invitation_expired', 'This invitation has expired; ask for a new one.');
    throw new ApiError(400, 'invalid_invitation', 'This invitation link is not valid; ask for a new one.');
  }
  c.header('Cache-Control', 'no-store');
  return c.json({ email: invitation.email, role: invitation.role, expiresAt: invitation.expiresAt.toISOString() }, 200);
};
