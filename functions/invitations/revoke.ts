import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, problem } from '../../shared/api/contract';
import { ApiError, notFound } from '../../shared/errors';
import { findInvitationById, invitationRevokeStatement } from '../../shared/invitations';
import { auditWhere, InvitationIdParams, invitationOpen } from '../../shared/user-admin';

export const route = createRoute({
  method: 'delete',
  path: '/api/invitations/{id}',
  operationId: 'revokeInvitation',
  tags: ['Invitations'],
  summary: 'Revoke an invitation',
  description:
    'Its link stops working at once (sign-up with it answers 410 `invitation_revoked`). Revoking one already revoked changes nothing; a used one cannot be: the account exists (disable or delete it instead).',
  ...access('ops'),
  request: { params: InvitationIdParams },
  responses: {
    204: { description: 'Revoked.' },
    404: problem('No such invitation.', ['not_found']),
    409: problem('The invitation was already used.', ['invitation_used']),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { id } = c.req.valid('param');
  const { db, clock } = deps(c);
  const me = c.get('user');
  const now = clock.now();
  const invitation = await findInvitationById(db, id);
  if (!invitation) throw notFound('No such invitation.');
  if (invitation.usedAt) throw new ApiError(409, 'invitation_used', 'This invitation has already been used; the account exists.');
  if (invitation.revokedAt) return c.body(null, 204);
  const [, revoked] = await db.batch([
    auditWhere(
      db,
      { action: 'invitation.revoked', actor: me, target: { id, name: invitation.email }, details: { role: invitation.role }, at: now },
      invitationOpen(id),
    ),
    invitationRevokeStatement(db, id, now),
  ]);
  if (revoked.rowsAffected !== 1) {
    // Used or revoked meanwhile.
    const current = await findInvitationById(db, id);
    if (current?.usedAt) throw new ApiError(409, 'invitation_used', 'This invitation has already been used; the account exists.');
  }
  return c.body(null, 204);
};
