import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, json, problem } from '../../shared/api/contract';
import { notFound } from '../../shared/errors';
import { findVisibleFile, toPublicFile } from '../../shared/files';
import { FileEnvelope, FileIdParams } from '../../shared/schemas';

export const route = createRoute({
  method: 'get',
  path: '/api/files/{id}',
  operationId: 'getFile',
  tags: ['Files'],
  summary: 'One file',
  description:
    'Ops see any file; a client sees only ready files shared with it by a grant in force, with its terms (`access`: when its access ends, downloads left).',
  ...access('user'),
  request: { params: FileIdParams },
  responses: {
    200: json('The file.', FileEnvelope),
    404: problem('No such file visible to the caller: a client cannot tell an unshared file from a missing one.', ['not_found']),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { sql, clock } = deps(c);
  const file = await findVisibleFile(sql, c.req.valid('param').id, c.get('user'), clock.now());
  if (!file) throw notFound();
  return c.json({ file: toPublicFile(file) }, 200);
};
