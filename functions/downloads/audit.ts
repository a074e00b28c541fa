import { z } from 'zod';
import { listDownloads } from '../../shared/downloads';
import { notFound } from '../../shared/errors';
import { findFile } from '../../shared/files';
import { defineRoute, deps, factory, guard, pathParams } from '../../shared/http';
import { FileIdParams, Problem } from '../../shared/schemas';

const AUDIT_LIMIT = 1000;

const DownloadAudit = z
  .object({
    items: z.array(z.object({ user: z.object({ id: z.string(), username: z.string() }), at: z.iso.datetime() })),
  })
  .meta({ id: 'DownloadAudit' });

export const route = defineRoute({
  method: 'get',
  path: '/api/files/{id}/downloads',
  operationId: 'listDownloads',
  summary: `Who downloaded a file and when, newest first (the latest ${AUDIT_LIMIT})`,
  tags: ['Downloads'],
  access: 'ops',
  request: { params: FileIdParams },
  responses: {
    200: { description: 'Completed link redemptions.', schema: DownloadAudit },
    404: { description: 'No such file.', schema: Problem },
  },
});

export const handlers = factory.createHandlers(guard(route), pathParams(FileIdParams), async (c) => {
  const { db } = deps(c);
  const file = await findFile(db, c.req.valid('param').id);
  if (!file) throw notFound();
  return c.json({ items: await listDownloads(db, file.id, AUDIT_LIMIT) }, 200);
});
