import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, json, problem } from '../../shared/api/contract';
import { listAuditEvents } from '../../shared/audit';
import { decodeCursor, encodeCursor } from '../../shared/cursor';
import { AuditPage } from '../../shared/user-admin';

const ListAuditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).meta({ description: 'Page size, 1–200.' }),
  cursor: z.string().min(1).max(200).optional().meta({ description: 'The `nextCursor` of the previous page.' }),
  targetId: z.string().min(1).max(64).optional().meta({ description: 'Only the events about this account or invitation.' }),
});

export const route = createRoute({
  method: 'get',
  path: '/api/audit',
  operationId: 'listAuditEvents',
  tags: ['Audit'],
  summary: 'What was done to accounts, invitations and sessions, newest first',
  description:
    'Approvals, disabling, enabling and deletion of accounts, invitations, sign-ups, password changes and resets, sign-outs everywhere, reused refresh tokens: who did it, to whom, when. Names are as they were then. Keyset pagination: pass `nextCursor` back as `cursor`. File downloads have their own audit (`GET /api/files/{id}/downloads`).',
  ...access('ops'),
  request: { query: ListAuditQuery },
  responses: {
    200: json('One page of events.', AuditPage),
    400: problem('An invalid `limit` or `targetId`, or a cursor this API did not issue.', ['validation_failed']),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { limit, cursor, targetId } = c.req.valid('query');
  const before = cursor ? decodeCursor(cursor) : undefined;
  const page = await listAuditEvents(deps(c).db, {
    limit,
    ...(before ? { before: { at: before.createdAt, id: before.id } } : {}),
    ...(targetId ? { targetId } : {}),
  });
  return c.json({ items: page.items, nextCursor: page.next ? encodeCursor({ createdAt: page.next.at, id: page.next.id }) : null }, 200);
};
