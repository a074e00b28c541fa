import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, problem } from '../../shared/api/contract';
import { notFound } from '../../shared/errors';
import { deleteFileRow } from '../../shared/files';
import { describeError } from '../../shared/log';
import { FileIdParams } from '../../shared/schemas';

/**
 * The row and its grants go first, in one batch, so every link dies at once; then the object.
 * If storage fails after the row is gone, the object is an orphan the sweep removes.
 */
export const route = createRoute({
  method: 'delete',
  path: '/api/files/{id}',
  operationId: 'deleteFile',
  tags: ['Files'],
  summary: 'Delete a file, its grants and its stored object',
  description: 'Every link already issued for the file stops working at once. The download audit is kept.',
  ...access('ops'),
  request: { params: FileIdParams },
  responses: {
    204: { description: 'Deleted.' },
    404: problem('No such file.', ['not_found']),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
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
};
