import { notFound } from '../../shared/errors';
import { findFile, getSharing } from '../../shared/files';
import { defineRoute, deps, factory, guard, pathParams } from '../../shared/http';
import { FileIdParams, Problem, Sharing } from '../../shared/schemas';

export const route = defineRoute({
  method: 'get',
  path: '/api/files/{id}/sharing',
  operationId: 'getSharing',
  summary: 'Who a file is shared with',
  tags: ['Sharing'],
  access: 'ops',
  request: { params: FileIdParams },
  responses: {
    200: { description: 'The grant set.', schema: Sharing },
    404: { description: 'No such file.', schema: Problem },
  },
});

export const handlers = factory.createHandlers(guard(route), pathParams(FileIdParams), async (c) => {
  const { db } = deps(c);
  const file = await findFile(db, c.req.valid('param').id);
  if (!file) throw notFound();
  return c.json(await getSharing(db, file), 200);
});
