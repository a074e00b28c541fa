import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { Scalar } from '@scalar/hono-api-reference';
import { z } from 'zod';
import type { AppEnv } from '../../shared/api/context';
import { access } from '../../shared/api/contract';

/** The bundle is served by this deployment (see the app's asset route), never from a CDN. */
export const DOCS_SCRIPT_PATH = '/api/docs/scalar.js';

export const route = createRoute({
  method: 'get',
  path: '/api/docs',
  operationId: 'docs',
  tags: ['Service'],
  summary: 'Interactive API reference',
  description: 'A page that renders this document (Scalar), served with every script from this deployment.',
  ...access('public'),
  responses: { 200: { description: 'An HTML page.', content: { 'text/html': { schema: z.string() } } } },
});

const page = Scalar<AppEnv>({ url: '/api/openapi.json', cdn: DOCS_SCRIPT_PATH, pageTitle: 'Secure file sharing API' });

export const handler: RouteHandler<typeof route, AppEnv> = async (c, next) => {
  const res = (await page(c, next)) ?? c.res;
  // The reference page needs its own inline bootstrap script and styles; nothing else.
  res.headers.set(
    'Content-Security-Policy',
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  );
  return res;
};
