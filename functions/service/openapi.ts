import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { z } from 'zod';
import type { AppEnv } from '../../shared/api/context';
import { access, json } from '../../shared/api/contract';

const OpenApiDocument = z
  .looseObject({
    openapi: z.string(),
    info: z.looseObject({ title: z.string(), version: z.string() }),
    paths: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'OpenApiDocument' });

export const route = createRoute({
  method: 'get',
  path: '/api/openapi.json',
  operationId: 'openapi',
  tags: ['Service'],
  summary: 'This OpenAPI 3.1 document',
  description: 'Generated from the same zod schemas that validate every request, so it cannot drift from the code.',
  ...access('public'),
  responses: { 200: json('The OpenAPI document.', OpenApiDocument) },
});

// The app that serves the request builds its own document once (see functions/app.ts): this
// module cannot import the list of routes it is part of.
export const handler: RouteHandler<typeof route, AppEnv> = (c) => c.json(c.get('apiDocument')() as z.infer<typeof OpenApiDocument>, 200);
