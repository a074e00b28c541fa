import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, problem } from '../../shared/api/contract';
import { ApiError, notFound } from '../../shared/errors';
import { assertMayManage, deleteUserStatements, isForeignKeyViolation, UserIdParams, uploadedFileCount } from '../../shared/user-admin';
import { findUserById } from '../../shared/users';

export const route = createRoute({
  method: 'delete',
  path: '/api/users/{id}',
  operationId: 'deleteUser',
  tags: ['Users'],
  summary: 'Delete an account',
  description:
    'The account goes, with its grants, sessions and tokens, at once. Its downloads stay in the audit under its name, marked deleted; its name becomes free. Not your own account; an ops account only by an administrator, and not while files it uploaded exist (delete them first).',
  ...access('ops'),
  request: { params: UserIdParams },
  responses: {
    204: { description: 'Deleted.' },
    403: problem('Signed in, but not as ops; or an ops account without being an administrator.', ['forbidden', 'admin_required']),
    404: problem('No such account.', ['not_found']),
    409: problem('Your own account, or an ops account that uploaded files which still exist.', ['cannot_change_self', 'conflict']),
  },
});

const ownsFiles = (username: string, n: number) =>
  new ApiError(
    409,
    'conflict',
    `${username} uploaded ${n === 1 ? 'a file that still exists' : `${n} files that still exist`}; delete ${n === 1 ? 'it' : 'them'} first, or disable the account instead.`,
  );

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { db, sql, clock } = deps(c);
  const me = c.get('user');
  const now = clock.now();
  const user = await findUserById(sql, c.req.valid('param').id);
  if (!user) throw notFound('No such account.');
  assertMayManage(me, user, { self: 'refuse' });
  const uploads = user.role === 'ops' ? await uploadedFileCount(db, user.id) : 0;
  if (uploads > 0) throw ownsFiles(user.username, uploads);
  let deleted: { rowsAffected: number } | undefined;
  try {
    deleted = (await db.batch(deleteUserStatements(db, user, me, now))).at(-1) as { rowsAffected: number };
  } catch (error) {
    // A file uploaded meanwhile holds a foreign key to the account: nothing was changed.
    if (isForeignKeyViolation(error)) throw ownsFiles(user.username, await uploadedFileCount(db, user.id));
    throw error;
  }
  if (deleted.rowsAffected !== 1) throw notFound('No such account.');
  return c.body(null, 204);
};
