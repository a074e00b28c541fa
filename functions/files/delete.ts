import { notFound } from '../../shared/errors';
import { deleteFileRow } from '../../shared/files';
import { defineRoute, deps, factory, guard, pathParams } from '../../shared/http';
import { describeError } from '../../shared/log';
import { FileIdParams, Problem } from '../../shared/schemas';

/**
 * The row and its grants go first, in one batch, so every link dies at once; then the object.
 * If storage fails after the row is gone, the object is an orphan the sweep removes.
 */
export const route = defineRoute({
  method: 'delete',
  path: '/api/files/{id}',
  operationId: 'deleteFile',
  summary: 'Delete a file, its grants and its stored object',
  tags: ['Files'],
  access: 'ops',
  request: { params: FileIdParams },
  responses: {
    204: { description: 'Deleted.' },
    404: { description: 'No such file.', schema: Problem },
  },
});

export const handlers = factory.createHandlers(guard(route), pathParams(FileIdParams), async (c) => {
  const { id } = c.req.valid('param');
  const { db, storage } = deps(c);
  const storageKey = await deleteFileRow(db, id);
  if (storageKey === null) throw notFound();
  try {
    await storage.delete(storageKey);
  } catch (error) {
    deps(c).log('warn', { event: 'orphan_left_for_sweep', fileId: id, requestId: c.get('requestId'), error: describeError(error) });
  }
  return c.body(null, 204);
});
