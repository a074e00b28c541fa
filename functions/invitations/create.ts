import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, json, jsonBody, problem } from '../../shared/api/contract';
import type { Database } from '../../shared/db/client';
import { invitations } from '../../shared/db/schema';
import { ApiError } from '../../shared/errors';
import { invitationStart, toPublicInvitation } from '../../shared/invitations';
import { invitationNotice } from '../../shared/notices';
import { deliverAfterResponse, newMessageId } from '../../shared/outbox';
import { Email, Role } from '../../shared/schemas';
import {
  accountWithEmail,
  addressFree,
  auditWhere,
  InvitationEnvelope,
  insertWhere,
  invitationExists,
  outboxWhere,
  pendingInvitationFor,
} from '../../shared/user-admin';

const CreateInvitationRequest = z
  .strictObject({
    email: Email,
    role: Role.default('client').meta({ description: 'The role of the account it makes; `ops` only by an administrator.' }),
  })
  .meta({ id: 'CreateInvitationRequest' });

export const route = createRoute({
  method: 'post',
  path: '/api/invitations',
  operationId: 'createInvitation',
  tags: ['Invitations'],
  summary: 'Invite an email address to sign up',
  description:
    'Mails the address a link to sign up with the given role (a client unless said otherwise; inviting ops needs an administrator). The link works once, until `expiresAt`. Its token is only in the mail: never in this answer, the audit or the logs.',
  ...access('ops', { jsonBody: true }),
  request: { body: jsonBody(CreateInvitationRequest) },
  responses: {
    201: json('The invitation, mailed.', InvitationEnvelope),
    403: problem('Signed in, but not as ops; or inviting ops without being an administrator.', ['forbidden', 'admin_required']),
    409: problem('An account already has that email, or an invitation for it is still pending (resend that one).', [
      'email_taken',
      'conflict',
    ]),
  },
});

/** An account with the address, or an invitation for it that can still be used: 409. */
async function refuseTaken(db: Database, email: string, now: Date): Promise<void> {
  if (await accountWithEmail(db, email)) throw new ApiError(409, 'email_taken', 'An account with that email already exists.');
  const pending = await pendingInvitationFor(db, email, now);
  if (pending) {
    throw new ApiError(
      409,
      'conflict',
      `An invitation for ${email} is still pending; resend it (POST /api/invitations/${pending.id}/resend).`,
      {
        extensions: { invitationId: pending.id },
      },
    );
  }
}

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { email, role } = c.req.valid('json');
  const d = deps(c);
  const { db, clock, config } = d;
  const me = c.get('user');
  const now = clock.now();
  if (role === 'ops' && !me.admin) throw new ApiError(403, 'admin_required', 'Only an administrator may invite ops.');
  await refuseTaken(db, email, now);
  const { token, row } = await invitationStart(db, { email, role, invitedBy: me.id, now, ttlSeconds: config.invitationTtlSeconds });
  const mail = { ...invitationNotice(config, { email, token, role, inviter: me.username, expiresAt: row.expiresAt }), id: newMessageId() };
  // Written only while the address is still free, so two ops inviting it at once make one
  // invitation; its record and its mail only with it.
  const made = invitationExists(row.id);
  const [inserted] = await db.batch([
    insertWhere(db, invitations, row, addressFree(email, now)),
    auditWhere(db, { action: 'invitation.created', actor: me, target: { id: row.id, name: email }, details: { role }, at: now }, made),
    outboxWhere(db, mail, now, made),
  ]);
  if (inserted.rowsAffected !== 1) {
    await refuseTaken(db, email, now);
    throw new ApiError(409, 'conflict', `An invitation for ${email} was just made; resend that one.`);
  }
  deliverAfterResponse(d, [mail.id]);
  return c.json({ invitation: toPublicInvitation(row, me.username, now) }, 201);
};
