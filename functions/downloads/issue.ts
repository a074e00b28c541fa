import { z } from 'zod';
import { notFound } from '../../shared/errors';
import { findVisibleFile } from '../../shared/files';
import { defineRoute, deps, factory, guard, pathParams } from '../../shared/http';
import { FileIdParams, Problem } from '../../shared/schemas';

const DownloadLink = z
  .object({
    downloadLink: z.string().meta({ description: 'Absolute URL `…/api/download/{token}`; works only for the client it was issued to.' }),
    expiresAt: z.iso.datetime(),
  })
  .meta({ id: 'DownloadLink' });

export const route = defineRoute({
  method: 'post',
  path: '/api/files/{id}/download-link',
  operationId: 'issueDownloadLink',
  summary: 'An encrypted, expiring download link bound to the calling client',
  tags: ['Downloads'],
  access: 'client',
  request: { params: FileIdParams },
  responses: {
    200: { description: 'The link. Treat it as a secret until it expires.', schema: DownloadLink },
    404: { description: 'No ready file of that id is shared with the caller.', schema: Problem },
  },
});

export const handlers = factory.createHandlers(guard(route), pathParams(FileIdParams), async (c) => {
  const { db, linkTokens, clock, config } = deps(c);
  const client = c.get('user');
  const file = await findVisibleFile(db, c.req.valid('param').id, client);
  if (!file) throw notFound();
  const { token, expiresAt } = await linkTokens.issue({ fileId: file.id, clientId: client.id, now: clock.now() });
  c.header('Cache-Control', 'no-store');
  // The configured public URL, never the request's Host header, which a caller controls.
  return c.json({ downloadLink: `${config.publicUrl}/api/download/${token}`, expiresAt: expiresAt.toISOString() }, 200);
});
