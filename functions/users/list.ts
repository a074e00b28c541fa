import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, json, problem } from '../../shared/api/contract';
import { Role, UserStatus } from '../../shared/schemas';
import { decodeUserCursor, encodeUserCursor, listUsers, UserPage } from '../../shared/user-admin';
import { toPublicUser } from '../../shared/users';

const ListUsersQuery = z.object({
  q: z
    .string()
    .trim()
    .toLowerCase()
    .min(1)
    .max(254)
    .optional()
    .meta({ description: 'The start of a username or of an email address, in any case.' }),
  role: Role.optional(),
  status: UserStatus.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50).meta({ description: 'Page size, 1–100.' }),
  cursor: z.string().min(1).max(200).optional().meta({ description: 'The `nextCursor` of the previous page.' }),
});

export const route = createRoute({
  method: 'get',
  path: '/api/users',
  operationId: 'listUsers',
  tags: ['Users'],
  summary: 'Accounts, by username',
  description:
    'Every account, optionally only those whose username or email starts with `q`, of one role, or in one status (`status=pending`: waiting for approval). A prefix rather than a substring, so the search is a walk of the username and email indexes, never a read of every account. Keyset pagination on the username: pass `nextCursor` back as `cursor`.',
  ...access('ops'),
  request: { query: ListUsersQuery },
  responses: {
    200: json('One page of accounts.', UserPage),
    400: problem('An invalid filter or `limit`, or a cursor this API did not issue.', ['validation_failed']),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { q, role, status, limit, cursor } = c.req.valid('query');
  const page = await listUsers(deps(c).db, { q, role, status, limit, after: cursor ? decodeUserCursor(cursor) : undefined });
  return c.json({ items: page.items.map(toPublicUser), nextCursor: page.next ? encodeUserCursor(page.next) : null }, 200);
};
