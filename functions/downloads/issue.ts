import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, HEADERS, json, problem } from '../../shared/api/contract';
import { downloadLimitReached, notFound } from '../../shared/errors';
import { downloadsRemaining, findVisibleFile } from '../../shared/files';
import { FileIdParams } from '../../shared/schemas';

const DownloadLink = z
  .object({
    downloadLink: z.string().meta({ description: 'Absolute URL `…/api/download/{token}`; works only for the client it was issued to.' }),
    expiresAt: z.iso.datetime(),
  })
  .meta({ id: 'DownloadLink' });

export const route = createRoute({
  method: 'post',
  path: '/api/files/{id}/download-link',
  operationId: 'issueDownloadLink',
  tags: ['Downloads'],
  summary: 'An encrypted, expiring download link bound to the calling client',
  description:
    'The token inside the link is encrypted (JWE): it reveals nothing about the file, the client or the storage, and works only for the client it was issued to, while the file stays shared with it. A link is not a download: the limit of a grant is counted when a link is followed.',
  ...access('client'),
  request: { params: FileIdParams },
  responses: {
    200: json('The link. Treat it as a secret until it expires.', DownloadLink, HEADERS.noStore),
    404: problem('No ready file of that id is shared with the caller.', ['not_found']),
    410: problem('The caller has already made every download its grants allow.', ['download_limit_reached']),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { sql, linkTokens, clock, config } = deps(c);
  const client = c.get('user');
  const now = clock.now();
  const file = await findVisibleFile(sql, c.req.valid('param').id, client, now);
  if (!file) throw notFound();
  if (file.access && downloadsRemaining(file.access) === 0) throw downloadLimitReached();
  const { token, expiresAt } = await linkTokens.issue({ fileId: file.id, clientId: client.id, now });
  c.header('Cache-Control', 'no-store');
  // The configured public URL, never the request's Host header, which a caller controls.
  return c.json({ downloadLink: `${config.publicUrl}/api/download/${token}`, expiresAt: expiresAt.toISOString() }, 200);
};
