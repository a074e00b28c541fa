import { and, asc, eq, gte, lt } from 'drizzle-orm';
import { z } from 'zod';
import { users } from '../../shared/db/schema';
import { defineRoute, deps, factory, guard, queryParams } from '../../shared/http';

/** Suggestions for the sharing dialog: clients whose username starts with what ops typed. */
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

export const route = defineRoute({
  method: 'get',
  path: '/api/clients',
  operationId: 'searchClients',
  summary: 'Clients whose username starts with `query` (the first 20), for sharing',
  tags: ['Sharing'],
  access: 'ops',
  request: { query: ClientQuery },
  responses: { 200: { description: 'Matching clients, by username.', schema: ClientList } },
});

export const handlers = factory.createHandlers(guard(route), queryParams(ClientQuery), async (c) => {
  const { query } = c.req.valid('query');
  // A prefix as a range on the unique username index: no wildcards to escape, no table scan.
  const items = await deps(c)
    .db.select({ id: users.id, username: users.username })
    .from(users)
    .where(and(gte(users.username, query), lt(users.username, `${query}\u{10ffff}`), eq(users.role, 'client')))
    .orderBy(asc(users.username))
    .limit(20);
  return c.json({ items }, 200);
});
