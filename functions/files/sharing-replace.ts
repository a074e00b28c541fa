import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, json, jsonBody, problem } from '../../shared/api/contract';
import { notFound } from '../../shared/errors';
import { findFile } from '../../shared/files';
import { FileIdParams, GroupName, Username } from '../../shared/schemas';
import { MAX_RECIPIENTS, replaceSharing, SharingSchema } from '../../shared/sharing';

/**
 * The terms any grant may carry. Left out: as the grant in force has them (none for a new
 * grant), so a caller that only names recipients never drops terms it did not know about;
 * null: none.
 */
const Terms = {
  expiresAt: z.iso.datetime({ offset: true }).nullable().optional().meta({
    description:
      'When the grant ends (ISO 8601 with a zone); it must be in the future. After it the file leaves the client’s list and its links stop. Null: never. Left out: as the grant has it now.',
    example: '2030-01-31T18:00:00Z',
  }),
  maxDownloads: z
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(1_000_000, 'must be at most 1000000')
    .nullable()
    .optional()
    .meta({
      description:
        'How many times each client may download the file under this grant, counted per client over all its downloads of the file. Null: no limit. Left out: as the grant has it now.',
    }),
};

const ClientGrant = z
  .union([Username, z.strictObject({ username: Username, ...Terms }).meta({ id: 'ClientGrantRequest' })])
  .meta({ description: 'A username, or the username with the grant’s terms.' });
const GroupGrant = z
  .union([GroupName, z.strictObject({ name: GroupName, ...Terms }).meta({ id: 'GroupGrantRequest' })])
  .meta({ description: 'A group’s name (any case), or the name with the grant’s terms.' });

const ReplaceSharingRequest = z
  .strictObject({
    allClients: z.union([z.boolean(), z.strictObject(Terms).meta({ id: 'AllClientsGrantRequest' })]).meta({
      description:
        '`true` or `false`: shared with every active client, present and future, or not; an object: shared with all, on these terms.',
    }),
    clients: z
      .array(ClientGrant)
      .max(MAX_RECIPIENTS, `must hold at most ${MAX_RECIPIENTS} recipients`)
      .meta({ description: 'The clients granted the file by name; a name given twice counts once.' }),
    groups: z
      .array(GroupGrant)
      .max(MAX_RECIPIENTS, `must hold at most ${MAX_RECIPIENTS} recipients`)
      .optional()
      .meta({ description: 'The groups granted the file. Left out: the file’s group grants stay as they are.' }),
    notify: z.boolean().default(true).meta({
      description:
        'Whether clients who can see the ready file because of this share, and could not before, are emailed (once, gathered with other shares over a couple of minutes; never with a link to the file). Clients may turn these emails off.',
    }),
  })
  .superRefine((body, ctx) => {
    if (body.clients.length + (body.groups?.length ?? 0) > MAX_RECIPIENTS) {
      ctx.addIssue({
        code: 'custom',
        path: ['clients'],
        message: `clients and groups together must be at most ${MAX_RECIPIENTS} recipients`,
      });
    }
  })
  .meta({ id: 'ReplaceSharingRequest' });

export const route = createRoute({
  method: 'put',
  path: '/api/files/{id}/sharing',
  operationId: 'replaceSharing',
  tags: ['Sharing'],
  summary: 'Replace the whole grant set of a file, atomically',
  description:
    'Who may see and download the file: all clients, clients by name, groups, each grant with an optional end and download limit. Anyone no longer reached loses access at once, links already issued included. When several grants reach one client, the most generous counts, term by term: no end beats any end, else the latest; no limit beats any limit, else the highest. `{"allClients": false, "clients": ["carol"]}` still works as it always has.',
  ...access('ops', { jsonBody: true }),
  request: { params: FileIdParams, body: jsonBody(ReplaceSharingRequest) },
  responses: {
    200: json('The grant set now in force.', SharingSchema),
    400: problem(
      'Invalid fields; usernames that are not active clients, unknown groups, ends not in the future, limits below 1, over 1,000 recipients (each listed in `errors` by its path); nothing changed.',
      ['validation_failed', 'malformed_json'],
    ),
    404: problem('No such file.', ['not_found']),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { db, sql, clock } = deps(c);
  const file = await findFile(sql, c.req.valid('param').id);
  if (!file) throw notFound();
  return c.json(await replaceSharing(db, file, c.req.valid('json'), { actor: c.get('user'), now: clock.now() }), 200);
};
