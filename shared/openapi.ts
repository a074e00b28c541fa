import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import type { RouteDefinition } from './http';

/**
 * The OpenAPI 3.1 document, generated from the same route definitions and zod schemas that the
 * guard and the validators use, so the contract cannot drift from the code.
 */
export function buildOpenApiDocument(routes: RouteDefinition[], serverUrl: string) {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) {
    const responses: ZodOpenApiOperationObject['responses'] = {};
    for (const [status, response] of Object.entries(route.responses)) {
      responses[status as `${1 | 2 | 3 | 4 | 5}${string}`] = {
        description: response.description,
        ...(response.schema
          ? { content: { [response.contentType ?? (Number(status) >= 400 ? 'application/problem+json' : 'application/json')]: { schema: response.schema } } }
          : {}),
      };
    }
    if (route.access !== 'public' && !route.responses[401]) {
      responses['401'] = { description: 'Missing, invalid, expired or revoked access token.' };
    }
    const operation: ZodOpenApiOperationObject = {
      operationId: route.operationId,
      summary: route.summary,
      tags: route.tags,
      security: route.access === 'public' ? [] : [{ bearerAuth: [] }],
      ...(route.access === 'ops' || route.access === 'client' ? { 'x-required-role': route.access } : {}),
      ...(route.request?.body ? { requestBody: { required: true, content: { 'application/json': { schema: route.request.body } } } } : {}),
      ...(route.request?.query || route.request?.params
        ? {
            requestParams: {
              ...(route.request.query ? { query: route.request.query } : {}),
              ...(route.request.params ? { path: route.request.params } : {}),
            },
          }
        : {}),
      responses,
    };
    paths[route.path] = { ...paths[route.path], [route.method]: operation };
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Secure file sharing API',
      version: '1.0.0',
      description:
        'Ops upload office documents straight to object storage; clients download them through encrypted, expiring links bound to their account. Every error is application/problem+json with a stable `code`.',
    },
    servers: [{ url: serverUrl }],
    security: [{ bearerAuth: [] }],
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
    paths,
  });
}
