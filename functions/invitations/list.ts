import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, json } from '../../shared/api/contract';
import { listInvitations } from '../../shared/invitations';
import { Invitation } from '../../shared/user-admin';

const LIMIT = 200;

export const route = createRoute({
  method: 'get',
  path: '/api/invitations',
  operationId: 'listInvitations',
  tags: ['Invitations'],
  summary: `Invitations, newest first (the latest ${LIMIT})`,
  description: 'Every invitation with its state now: pending, used, expired or revoked.',
  ...access('ops'),
  responses: { 200: json('The invitations.', z.object({ items: z.array(Invitation) }).meta({ id: 'InvitationList' })) },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { db, clock } = deps(c);
  return c.json({ items: await listInvitations(db, clock.now(), LIMIT) }, 200);
};
