import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, json, jsonBody, problem } from '../../shared/api/contract';
import { notFound } from '../../shared/errors';
import { findFile } from '../../shared/files';
import { FileIdParams, Sharing, Username } from '../../shared/schemas';
import { replaceSharing } from '../../shared/sharing';

const ReplaceSharingRequest = z
  .strictObject({
    allClients: z.boolean().meta({ description: 'Shared with every client, present and future.' }),
    clients: z.array(Username).max(1000).meta({ description: 'Usernames of the clients granted the file.' }),
  })
  .meta({ id: 'ReplaceSharingRequest' });

export const route = createRoute({
  method: 'put',
  path: '/api/files/{id}/sharing',
  operationId: 'replaceSharing',
  tags: ['Sharing'],
  summary: 'Replace the whole grant set of a file, atomically',
  description: 'Clients no longer in the set lose access at once, links already issued included.',
  ...access('ops', { jsonBody: true }),
  request: { params: FileIdParams, body: jsonBody(ReplaceSharingRequest) },
  responses: {
    200: json('The grant set now in force.', Sharing),
    400: problem('Invalid fields, or usernames that are not active clients (listed in `errors`); nothing changed.', [
      'validation_failed',
      'malformed_json',
    ]),
    404: problem('No such file.', ['not_found']),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { db, sql } = deps(c);
  const file = await findFile(sql, c.req.valid('param').id);
  if (!file) throw notFound();
  return c.json(await replaceSharing(db, file, c.req.valid('json')), 200);
};
