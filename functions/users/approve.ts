import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, json, problem } from '../../shared/api/contract';
import { ApiError, notFound } from '../../shared/errors';
import { approvedNotice } from '../../shared/notices';
import { deliverAfterResponse, newMessageId } from '../../shared/outbox';
import { UserEnvelope } from '../../shared/schemas';
import { assertMayManage, auditWhere, outboxWhere, setStatusStatement, UserIdParams, userIs } from '../../shared/user-admin';
import { findUserById, toPublicUser } from '../../shared/users';

export const route = createRoute({
  method: 'post',
  path: '/api/users/{id}/approve',
  operationId: 'approveUser',
  tags: ['Users'],
  summary: 'Approve an account waiting for it',
  description:
    'A `pending` account (signed up while the service asks for approval) becomes `active`: a client sees what is shared with it from now on. Its owner is told by email.',
  ...access('ops'),
  request: { params: UserIdParams },
  responses: {
    200: json('The account, now active.', UserEnvelope),
    403: problem('Signed in, but not as ops; or an ops account without being an administrator.', ['forbidden', 'admin_required']),
    404: problem('No such account.', ['not_found']),
    409: problem('The account is not waiting for approval.', ['not_pending']),
  },
});

const notPending = (status: string) => new ApiError(409, 'not_pending', `The account is ${status}, not waiting for approval.`);

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const d = deps(c);
  const { db, sql, clock, config } = d;
  const me = c.get('user');
  const now = clock.now();
  const user = await findUserById(sql, c.req.valid('param').id);
  if (!user) throw notFound('No such account.');
  assertMayManage(me, user);
  if (user.status !== 'pending') throw notPending(user.status);
  const mail = { ...approvedNotice(config, user), id: newMessageId() };
  // The record and the mail only if this batch is the one that approves it.
  const pending = userIs(user.id, ['pending']);
  const [, , approved] = await db.batch([
    auditWhere(db, { action: 'user.approved', actor: me, target: { id: user.id, name: user.username }, at: now }, pending),
    outboxWhere(db, mail, now, pending),
    setStatusStatement(db, user.id, ['pending'], 'active'),
  ]);
  if (approved.rowsAffected !== 1) {
    const current = await findUserById(sql, user.id);
    if (!current) throw notFound('No such account.');
    throw notPending(current.status);
  }
  deliverAfterResponse(d, [mail.id]);
  return c.json({ user: toPublicUser({ ...user, status: 'active' }) }, 200);
};
