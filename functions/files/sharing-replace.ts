import { z } from 'zod';
import { notFound } from '../../shared/errors';
import { findFile, replaceSharing } from '../../shared/files';
import { defineRoute, deps, factory, guard, jsonBody, pathParams } from '../../shared/http';
import { FileIdParams, Problem, Sharing, Username } from '../../shared/schemas';

const ReplaceSharingRequest = z
  .strictObject({
    allClients: z.boolean().meta({ description: 'Shared with every client, present and future.' }),
    clients: z.array(Username).max(1000).meta({ description: 'Usernames of the clients granted the file.' }),
  })
  .meta({ id: 'ReplaceSharingRequest' });

export const route = defineRoute({
  method: 'put',
  path: '/api/files/{id}/sharing',
  operationId: 'replaceSharing',
  summary: 'Replace the whole grant set of a file, atomically',
  tags: ['Sharing'],
  access: 'ops',
  request: { params: FileIdParams, body: ReplaceSharingRequest },
  responses: {
    200: { description: 'The grant set now in force.', schema: Sharing },
    400: { description: 'Invalid fields, or usernames that are not clients (listed in `errors`; nothing changed).', schema: Problem },
    404: { description: 'No such file.', schema: Problem },
  },
});

export const handlers = factory.createHandlers(guard(route), pathParams(FileIdParams), ...jsonBody(ReplaceSharingRequest), async (c) => {
  const { db } = deps(c);
  const file = await findFile(db, c.req.valid('param').id);
  if (!file) throw notFound();
  return c.json(await replaceSharing(db, file, c.req.valid('json')), 200);
});
