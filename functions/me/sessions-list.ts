import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, json } from '../../shared/api/contract';
import { listSessions } from '../../shared/sessions';

const Session = z
  .object({
    id: z.string(),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().meta({ description: 'The last sign-in or refresh.' }),
    expiresAt: z.iso.datetime().meta({ description: 'The absolute limit; an idle session ends sooner.' }),
    userAgent: z.string().meta({ description: 'The browser or program that signed in, as it described itself.' }),
    current: z.boolean().meta({ description: 'The session of this request.' }),
  })
  .meta({ id: 'Session' });

export const route = createRoute({
  method: 'get',
  path: '/api/me/sessions',
  operationId: 'listMySessions',
  tags: ['Account'],
  summary: 'Your signed-in sessions',
  description: 'Every session of the caller that can still be refreshed, most recently used first.',
  ...access('user'),
  responses: { 200: json('The sessions.', z.object({ items: z.array(Session) }).meta({ id: 'SessionList' })) },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { db, clock, config } = deps(c);
  const items = await listSessions(db, c.get('user').id, c.get('sessionId'), clock.now(), config.sessions);
  return c.json({ items }, 200);
};
