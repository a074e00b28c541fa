import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import type { RouteDefinition } from './http';
import { Problem } from './schemas';

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
          ? {
              content: {
                [response.contentType ?? (Number(status) >= 400 ? 'application/problem+json' : 'application/json')]: {
                  schema: response.schema,
                },
              },
            }
          : {}),
      };
    }
    // The answers every route of that kind can give, from the shared middleware.
    const problem = { content: { 'application/problem+json': { schema: Problem } } };
    const common: Record<string, string> = {
      ...(route.access !== 'public' ? { '401': 'Missing, invalid, expired or revoked access token (`unauthenticated`).' } : {}),
      ...(route.access === 'ops' || route.access === 'client' ? { '403': `Signed in, but not as ${route.access} (\`forbidden\`).` } : {}),
      ...(route.request?.body
        ? {
            '400': 'Malformed JSON (`malformed_json`) or invalid fields (`validation_failed`, with `errors`).',
            '413': 'Request body over the configured limit (`payload_too_large`).',
            '415': 'Body not sent as application/json (`unsupported_media_type`).',
          }
        : {}),
      '503': 'The database or the object storage is unavailable (`dependency_unavailable`); nothing was changed.',
    };
    for (const [status, description] of Object.entries(common)) {
      const key = status as `${1 | 2 | 3 | 4 | 5}${string}`;
      responses[key] ??= { description, ...problem };
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
