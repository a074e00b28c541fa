import { Scalar } from '@scalar/hono-api-reference';
import type { AppEnv } from '../../shared/http';
import { defineRoute, factory, guard } from '../../shared/http';

/** The bundle is served by this deployment (see the app's asset route), never from a CDN. */
export const DOCS_SCRIPT_PATH = '/api/docs/scalar.js';

export const route = defineRoute({
  method: 'get',
  path: '/api/docs',
  operationId: 'docs',
  summary: 'Interactive API reference',
  tags: ['Service'],
  access: 'public',
  responses: { 200: { description: 'An HTML page.', contentType: 'text/html' } },
});

export const handlers = factory.createHandlers(
  guard(route),
  async (c, next) => {
    await next();
    // The reference page needs its own inline bootstrap script and styles; nothing else.
    c.header(
      'Content-Security-Policy',
      "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
  },
  Scalar<AppEnv>({ url: '/api/openapi.json', cdn: DOCS_SCRIPT_PATH, pageTitle: 'Secure file sharing API' }),
);
