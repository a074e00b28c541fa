import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { ApiError } from '../../shared/errors';
import { defineRoute, deps, factory, guard } from '../../shared/http';
import { Problem } from '../../shared/schemas';

const Health = z.object({ status: z.literal('ok'), checks: z.object({ database: z.literal('ok'), storage: z.literal('ok') }) });

export const route = defineRoute({
  method: 'get',
  path: '/api/health',
  operationId: 'health',
  summary: 'Whether the service and its dependencies answer',
  tags: ['Service'],
  access: 'public',
  responses: {
    200: { description: 'Database and object storage both answer.', schema: Health },
    503: { description: 'A dependency failed; `checks` names it.', schema: Problem },
  },
});

const probe = async (check: () => Promise<unknown>) => {
  try {
    await check();
    return 'ok' as const;
  } catch {
    return 'unavailable' as const;
  }
};

export const handlers = factory.createHandlers(guard(route), async (c) => {
  const { db, storage } = deps(c);
  const [database, objectStorage] = await Promise.all([probe(() => db.run(sql`select 1`)), probe(() => storage.ping())]);
  c.header('Cache-Control', 'no-store');
  if (database === 'ok' && objectStorage === 'ok') {
    return c.json({ status: 'ok' as const, checks: { database, storage: objectStorage } }, 200);
  }
  const failed = [database !== 'ok' && 'database', objectStorage !== 'ok' && 'storage'].filter(Boolean).join(' and ');
  throw new ApiError(503, 'dependency_unavailable', `Unavailable: ${failed}.`, {
    extensions: { checks: { database, storage: objectStorage } },
    headers: { 'Retry-After': '5' },
  });
});
