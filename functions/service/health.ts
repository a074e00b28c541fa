import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, HEADERS, json, Problem, problem } from '../../shared/api/contract';
import { ApiError } from '../../shared/errors';

const Health = z.object({ status: z.literal('ok'), checks: z.object({ database: z.literal('ok'), storage: z.literal('ok') }) });

const Checks = z.object({ database: z.enum(['ok', 'unavailable']), storage: z.enum(['ok', 'unavailable']) });

export const route = createRoute({
  method: 'get',
  path: '/api/health',
  operationId: 'health',
  tags: ['Service'],
  summary: 'Whether the service and its dependencies answer',
  description: 'Asks the database and the object storage; for load balancers and uptime checks.',
  ...access('public'),
  responses: {
    200: json('Database and object storage both answer.', Health, HEADERS.noStore),
    503: problem(
      'A dependency failed; `checks` names it.',
      ['dependency_unavailable'],
      { ...HEADERS.retryAfter, ...HEADERS.noStore },
      Problem.extend({ checks: Checks }),
    ),
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

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
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
};
