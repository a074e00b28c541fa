import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { and, asc, eq, gte, lt } from 'drizzle-orm';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, json } from '../../shared/api/contract';
import { users } from '../../shared/db/schema';

/** Suggestions for the sharing dialog: active clients whose username starts with what ops typed. */
const ClientQuery = z.object({
  query: z
    .string()
    .trim()
    .toLowerCase()
    .min(1)
    .max(32)
    .regex(/^[a-z0-9._-]+$/, 'may contain only letters, digits, dot, underscore and hyphen'),
});

const ClientList = z.object({ items: z.array(z.object({ id: z.string(), username: z.string() })) }).meta({ id: 'ClientList' });

export const route = createRoute({
  method: 'get',
  path: '/api/clients',
  operationId: 'searchClients',
  tags: ['Sharing'],
  summary: 'Active clients whose username starts with `query` (the first 20), for sharing',
  description:
    'Suggestions for the sharing dialog, by username: active clients only, since a file cannot be shared with an account that is pending, unverified or disabled; never ops accounts.',
  ...access('ops'),
  request: { query: ClientQuery },
  responses: { 200: json('Matching clients, by username.', ClientList) },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { query } = c.req.valid('query');
  // A prefix as a range of users_role_status_idx (role, status, username): no wildcards to
  // escape, no table scan, already in order.
  const items = await deps(c)
    .db.select({ id: users.id, username: users.username })
    .from(users)
    .where(and(gte(users.username, query), lt(users.username, `${query}\u{10ffff}`), eq(users.role, 'client'), eq(users.status, 'active')))
    .orderBy(asc(users.username))
    .limit(20);
  return c.json({ items }, 200);
};
