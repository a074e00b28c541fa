import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, json, jsonBody, problem } from '../../shared/api/contract';
import { notFound } from '../../shared/errors';
import { findFile, toPublicFile } from '../../shared/files';
import { FileEnvelope, FileExpiry, FileIdParams, futureEnd } from '../../shared/schemas';
import { setFileExpiry } from '../../shared/sharing';

const UpdateFileRequest = z
  .strictObject({
    expiresAt: FileExpiry.nullable().meta({ description: 'The file’s own end, in the future; null: it never ends.' }),
  })
  .meta({ id: 'UpdateFileRequest' });

export const route = createRoute({
  method: 'patch',
  path: '/api/files/{id}',
  operationId: 'updateFile',
  tags: ['Files'],
  summary: 'Set or remove a file’s own end',
  description:
    'After its end no client sees the file and its links stop working; the sweep then deletes it with its stored object (the download audit is kept). An end may be moved or removed until the sweep has run.',
  ...access('ops', { jsonBody: true }),
  request: { params: FileIdParams, body: jsonBody(UpdateFileRequest) },
  responses: {
    200: json('The file.', FileEnvelope),
    400: problem('An end that is not a date with a zone, or not in the future (named in `errors`); nothing changed.', [
      'validation_failed',
      'malformed_json',
    ]),
    404: problem('No such file.', ['not_found']),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { db, sql, clock } = deps(c);
  const now = clock.now();
  const { id } = c.req.valid('param');
  const { expiresAt } = c.req.valid('json');
  const end = expiresAt === null ? null : futureEnd(expiresAt, 'expiresAt', now);
  const file = await findFile(sql, id);
  if (!file || !(await setFileExpiry(db, file, end, c.get('user'), now))) throw notFound();
  return c.json({ file: toPublicFile({ ...file, expiresAt: end }) }, 200);
};
