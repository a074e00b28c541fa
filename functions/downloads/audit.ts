import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, json, problem } from '../../shared/api/contract';
import { listDownloads } from '../../shared/downloads';
import { notFound } from '../../shared/errors';
import { findFile } from '../../shared/files';
import { FileIdParams } from '../../shared/schemas';

const AUDIT_LIMIT = 1000;

const DownloadAudit = z
  .object({
    items: z.array(z.object({ user: z.object({ id: z.string(), username: z.string() }), at: z.iso.datetime() })),
  })
  .meta({ id: 'DownloadAudit' });

export const route = createRoute({
  method: 'get',
  path: '/api/files/{id}/downloads',
  operationId: 'listDownloads',
  tags: ['Downloads'],
  summary: `Who downloaded a file and when, newest first (the latest ${AUDIT_LIMIT})`,
  description:
    'Completed link redemptions: each is a link followed by its client and answered with a presigned URL to the file (the bytes then come from storage, which the API does not see). Kept after the file is deleted.',
  ...access('ops'),
  request: { params: FileIdParams },
  responses: {
    200: json('The audit.', DownloadAudit),
    404: problem('No such file, and no downloads recorded for that id.', ['not_found']),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { db, sql } = deps(c);
  const { id } = c.req.valid('param');
  const items = await listDownloads(db, id, AUDIT_LIMIT);
  // The record outlives the file: a deleted file's downloads stay visible to ops.
  if (items.length === 0 && !(await findFile(sql, id))) throw notFound();
  return c.json({ items }, 200);
};
