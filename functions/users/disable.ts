import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, json, problem } from '../../shared/api/contract';
import { ApiError, notFound } from '../../shared/errors';
import { UserEnvelope } from '../../shared/schemas';
import { endSessionsStatement } from '../../shared/sessions';
import { assertMayManage, auditWhere, setStatusStatement, UserIdParams, userIs } from '../../shared/user-admin';
import { findUserById, toPublicUser } from '../../shared/users';

const ENABLED = ['active', 'pending', 'unverified'] as const;

export const route = createRoute({
  method: 'post',
  path: '/api/users/{id}/disable',
  operationId: 'disableUser',
  tags: ['Users'],
  summary: 'Disable an account, effective at once',
  description:
    'Every session ends and every access token, refresh token and download link of the account stops working at once; it cannot sign in until enabled again. Its grants are kept. Not your own account; an ops account only by an administrator.',
  ...access('ops'),
  request: { params: UserIdParams },
  responses: {
    200: json('The account, now disabled.', UserEnvelope),
    403: problem('Signed in, but not as ops; or an ops account without being an administrator.', ['forbidden', 'admin_required']),
    404: problem('No such account.', ['not_found']),
    409: problem('Your own account, or one already disabled.', ['cannot_change_self', 'conflict']),
  },
});

const alreadyDisabled = () => new ApiError(409, 'conflict', 'The account is already disabled.');

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { db, sql, clock } = deps(c);
  const me = c.get('user');
  const now = clock.now();
  const user = await findUserById(sql, c.req.valid('param').id);
  if (!user) throw notFound('No such account.');
  assertMayManage(me, user, { self: 'refuse' });
  if (user.status === 'disabled') throw alreadyDisabled();
  const [, disabled] = await db.batch([
    auditWhere(
      db,
      { action: 'user.disabled', actor: me, target: { id: user.id, name: user.username }, details: { was: user.status }, at: now },
      userIs(user.id, ENABLED),
    ),
    // The guard refuses a disabled account's access tokens (and so its download links); tokens
    // issued before now stay refused after it is enabled again, and its sessions end.
    setStatusStatement(db, user.id, ENABLED, 'disabled', { tokensValidAfter: now }),
    endSessionsStatement(db, user.id, now, 'account_disabled'),
  ]);
  if (disabled.rowsAffected !== 1) {
    if (!(await findUserById(sql, user.id))) throw notFound('No such account.');
    throw alreadyDisabled();
  }
  return c.json({ user: toPublicUser({ ...user, status: 'disabled', tokensValidAfter: now }) }, 200);
};
