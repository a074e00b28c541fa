import { notFound } from '../../shared/errors';
import { findVisibleFile, toPublicFile } from '../../shared/files';
import { defineRoute, deps, factory, guard, pathParams } from '../../shared/http';
import { FileEnvelope, FileIdParams, Problem } from '../../shared/schemas';

export const route = defineRoute({
  method: 'get',
  path: '/api/files/{id}',
  operationId: 'getFile',
  summary: 'One file (a client sees only ready files shared with it)',
  tags: ['Files'],
  access: 'user',
  request: { params: FileIdParams },
  responses: {
    200: { description: 'The file.', schema: FileEnvelope },
    404: { description: 'No such file visible to the caller: a client cannot tell an unshared file from a missing one.', schema: Problem },
  },
});

export const handlers = factory.createHandlers(guard(route), pathParams(FileIdParams), async (c) => {
  const file = await findVisibleFile(deps(c).db, c.req.valid('param').id, c.get('user'));
  if (!file) throw notFound();
  return c.json({ file: toPublicFile(file) }, 200);
});
