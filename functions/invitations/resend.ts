import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, json, problem } from '../../shared/api/contract';
import { ApiError, notFound } from '../../shared/errors';
import { findInvitationById, type InvitationRow, invitationRenew, invitationStatus, toPublicInvitation } from '../../shared/invitations';
import { invitationNotice } from '../../shared/notices';
import { deliverAfterResponse, newMessageId } from '../../shared/outbox';
import { accountWithEmail, auditWhere, InvitationEnvelope, InvitationIdParams, invitationOpen, outboxWhere } from '../../shared/user-admin';
import { findUserById } from '../../shared/users';

export const route = createRoute({
  method: 'post',
  path: '/api/invitations/{id}/resend',
  operationId: 'resendInvitation',
  tags: ['Invitations'],
  summary: 'Send an invitation again, with a new link',
  description:
    'A new token and a new expiry, mailed again: the link sent before stops working. For an invitation not yet used nor revoked, expired ones included. An invitation for ops needs an administrator.',
  ...access('ops'),
  request: { params: InvitationIdParams },
  responses: {
    200: json('The invitation with its new expiry, mailed.', InvitationEnvelope),
    403: problem('Signed in, but not as ops; or an invitation for ops without being an administrator.', ['forbidden', 'admin_required']),
    404: problem('No such invitation.', ['not_found']),
    409: problem('The invitation was already used, or an account has that email by now.', ['invitation_used', 'email_taken']),
    410: problem('The invitation was revoked.', ['invitation_revoked']),
  },
});

function refuseClosed(invitation: InvitationRow, now: Date): void {
  const status = invitationStatus(invitation, now);
  if (status === 'used') throw new ApiError(409, 'invitation_used', 'This invitation has already been used.');
  if (status === 'revoked') throw new ApiError(410, 'invitation_revoked', 'This invitation was revoked; create a new one.');
}

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { id } = c.req.valid('param');
  const d = deps(c);
  const { db, sql, clock, config } = d;
  const me = c.get('user');
  const now = clock.now();
  const invitation = await findInvitationById(db, id);
  if (!invitation) throw notFound('No such invitation.');
  if (invitation.role === 'ops' && !me.admin) throw new ApiError(403, 'admin_required', 'Only an administrator may invite ops.');
  refuseClosed(invitation, now);
  if (await accountWithEmail(db, invitation.email)) {
    throw new ApiError(409, 'email_taken', 'An account with that email exists by now; the invitation is not needed.');
  }
  const renewed = await invitationRenew(db, id, now, config.invitationTtlSeconds);
  const mail = {
    ...invitationNotice(config, {
      email: invitation.email,
      token: renewed.token,
      role: invitation.role,
      inviter: me.username,
      expiresAt: renewed.expiresAt,
    }),
    id: newMessageId(),
  };
  // The record and the mail are written only if the renewal is (still open when the batch runs).
  const open = invitationOpen(id);
  const [, , renewal] = await db.batch([
    auditWhere(
      db,
      { action: 'invitation.resent', actor: me, target: { id, name: invitation.email }, details: { role: invitation.role }, at: now },
      open,
    ),
    outboxWhere(db, mail, now, open),
    renewed.statement,
  ]);
  if (renewal.rowsAffected !== 1) {
    // Used or revoked between the read and the batch: nothing was written.
    const current = await findInvitationById(db, id);
    if (!current) throw notFound('No such invitation.');
    refuseClosed(current, now);
    throw notFound('No such invitation.'); // unreachable: only using or revoking closes one
  }
  deliverAfterResponse(d, [mail.id]);
  const inviter = invitation.invitedBy === me.id ? me : await findUserById(sql, invitation.invitedBy);
  return c.json({ invitation: toPublicInvitation({ ...invitation, expiresAt: renewed.expiresAt }, inviter?.username ?? null, now) }, 200);
};
