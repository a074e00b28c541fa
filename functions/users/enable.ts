import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, json, problem } from '../../shared/api/contract';
import { ApiError, notFound } from '../../shared/errors';
import { UserEnvelope } from '../../shared/schemas';
import { assertMayManage, auditWhere, setStatusStatement, UserIdParams, userIs } from '../../shared/user-admin';
import { findUserById, toPublicUser } from '../../shared/users';

export const route = createRoute({
  method: 'post',
  path: '/api/users/{id}/enable',
  operationId: 'enableUser',
  tags: ['Users'],
  summary: 'Enable a disabled account',
  description:
    'The account becomes `active` and can sign in again; what it held before it was disabled (sessions, tokens) stays ended. An ops account only by an administrator.',
  ...access('ops'),
  request: { params: UserIdParams },
  responses: {
    200: json('The account, now active.', UserEnvelope),
    403: problem('Signed in, but not as ops; or an ops account without being an administrator.', ['forbidden', 'admin_required']),
    404: problem('No such account.', ['not_found']),
    409: problem('The account is not disabled.', ['conflict']),
  },
});

const notDisabled = (status: string) => new ApiError(409, 'conflict', `The account is ${status}, not disabled.`);

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { db, sql, clock } = deps(c);
  const me = c.get('user');
  const now = clock.now();
  const user = await findUserById(sql, c.req.valid('param').id);
  if (!user) throw notFound('No such account.');
  assertMayManage(me, user);
  if (user.status !== 'disabled') throw notDisabled(user.status);
  const [, enabled] = await db.batch([
    auditWhere(
      db,
      { action: 'user.enabled', actor: me, target: { id: user.id, name: user.username }, at: now },
      userIs(user.id, ['disabled']),
    ),
    setStatusStatement(db, user.id, ['disabled'], 'active'),
  ]);
  if (enabled.rowsAffected !== 1) {
    const current = await findUserById(sql, user.id);
    if (!current) throw notFound('No such account.');
    throw notDisabled(current.status);
  }
  return c.json({ user: toPublicUser({ ...user, status: 'active' }) }, 200);
};
