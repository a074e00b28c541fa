import { defineRoute, deps, factory, guard } from '../../shared/http';
import { buildOpenApiDocument } from '../../shared/openapi';
import { endpoints } from '../routes';

export const route = defineRoute({
  method: 'get',
  path: '/api/openapi.json',
  operationId: 'openapi',
  summary: 'This OpenAPI 3.1 document',
  tags: ['Service'],
  access: 'public',
  responses: { 200: { description: 'The OpenAPI document.' } },
});

let cached: { serverUrl: string; document: unknown } | undefined;

export const handlers = factory.createHandlers(guard(route), (c) => {
  const serverUrl = deps(c).config.publicUrl;
  if (cached?.serverUrl !== serverUrl) {
    cached = {
      serverUrl,
      document: buildOpenApiDocument(
        endpoints.map((e) => e.route),
        serverUrl,
      ),
    };
  }
  return c.json(cached.document as object, 200);
});
