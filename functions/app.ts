import type { Context } from 'hono';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppEnv, Deps } from '../shared/api/context';
import { TAGS } from '../shared/api/contract';
import type { Services } from '../shared/api/deps';
import { isDatabaseUnavailable } from '../shared/db/errors';
import { ApiError, DependencyError, dependencyUnavailable } from '../shared/errors';
import { describeError } from '../shared/log';
import { type AssetFetcher, servePortal } from './portal';
import { type ApiType, createApi } from './routes';

export type { AssetFetcher } from './portal';
export { DOCS_SCRIPT_ASSET } from './portal';

export interface AppOptions {
  assets?: AssetFetcher;
  /**
   * Dependencies made per request (Workers: the database and storage clients, which must not be
   * shared between requests there). Without it, every request gets the `deps` the app was made with.
   */
  depsFor?: (c: Context<AppEnv>) => Deps;
}

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof DependencyError) return dependencyUnavailable(error.dependency);
  if (isDatabaseUnavailable(error)) return dependencyUnavailable('database');
  if (error instanceof HTTPException) {
    if (error.status === 400) return new ApiError(400, 'malformed_json', 'The body could not be parsed.');
    if (error.status === 413)
      return new ApiError(413, 'payload_too_large', 'The request body is too large.', { headers: { Connection: 'close' } });
    if (error.status === 415) return new ApiError(415, 'unsupported_media_type', 'Send the body as application/json.');
  }
  return new ApiError(500, 'internal_error', 'Something went wrong on our side. It has been logged.');
}

/** The OpenAPI 3.1 document of an API, for the server it is served from. */
export function describeApi(api: ApiType, serverUrl: string) {
  api.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  return api.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'Secure file sharing API',
      version: '1.0.0',
      description:
        'Ops upload office documents straight to object storage; clients download them through encrypted, expiring links bound to their account. Every error is application/problem+json with a stable `code`.',
    },
    servers: [{ url: serverUrl }],
    security: [{ bearerAuth: [] }],
    tags: [...TAGS],
  });
}

/**
 * The one app factory: both runtime entries call it with the dependencies they built, once per
 * process (Node) or isolate (Workers); `deps` here serves what does not change between requests
 * (configuration, logging).
 */
export function createApp(deps: Deps | Services, options: AppOptions = {}) {
  const app = new Hono<AppEnv>();
  const api = createApi();
  const production = deps.config.environment === 'production';
  let apiDocument: unknown;
  const document = () => {
    apiDocument ??= describeApi(api, deps.config.publicUrl);
    return apiDocument;
  };

  app.use(requestId());
  // One structured line per request (at `info`; other levels skip the wrapper entirely). The route
  // pattern, never the path: a download link's path is its token. No header, query or body is logged.
  if (deps.config.logLevel === 'info')
    app.use(async (c, next) => {
      const started = Date.now();
      await next();
      deps.log('info', {
        event: 'request',
        requestId: c.get('requestId'),
        method: c.req.method,
        route: c.req.routePath,
        status: c.res.status,
        ms: Date.now() - started,
      });
    });
  if (deps.config.corsOrigins.length > 0) {
    // Only the origins the operator lists; credentials are bearer tokens, never cookies.
    app.use(
      '/api/*',
      cors({
        origin: deps.config.corsOrigins,
        allowHeaders: ['Authorization', 'Content-Type'],
        exposeHeaders: ['Retry-After', 'X-Request-Id'],
        maxAge: 600,
      }),
    );
  }
  app.use(
    secureHeaders({
      overwrite: false, // pages that need a looser policy (the docs page, the portal) set their own
      contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"] },
      referrerPolicy: 'no-referrer',
      strictTransportSecurity: production ? 'max-age=63072000; includeSubDomains' : false,
      xFrameOptions: 'DENY',
    }),
  );
  app.use(async (c, next) => {
    c.set('deps', options.depsFor ? options.depsFor(c) : (deps as Deps));
    c.set('apiDocument', document);
    await next();
  });

  app.route('/', api);
  servePortal(app, options.assets, new URL(deps.config.storage.endpoint).origin);

  const patterns = api.routes.map((r) => ({
    method: r.method.toUpperCase(),
    regex: new RegExp(`^${r.path.replace(/[.]/g, '\\.').replace(/:\w+/g, '[^/]+')}$`),
  }));

  /** Rendered through the context so headers set earlier (the request id) are kept. */
  const problemResponse = (c: Parameters<Parameters<typeof app.notFound>[0]>[0], error: ApiError) =>
    c.body(JSON.stringify(error.toProblem()), error.status as ContentfulStatusCode, {
      'Content-Type': 'application/problem+json',
      ...error.headers,
    });

  app.notFound((c) => {
    const allowed = [...new Set(patterns.filter((p) => p.regex.test(c.req.path)).map((p) => p.method))];
    if (allowed.length > 0) {
      return problemResponse(
        c,
        new ApiError(405, 'method_not_allowed', `Use ${allowed.join(', ')} on this path.`, { headers: { Allow: allowed.join(', ') } }),
      );
    }
    return problemResponse(c, new ApiError(404, 'not_found', 'No such resource.'));
  });

  app.onError((error, c) => {
    const apiError = toApiError(error);
    if (apiError.status >= 500 && !(error instanceof ApiError)) {
      // What failed goes to the operator's log (without payloads), never to the caller.
      deps.log(apiError.status === 503 ? 'warn' : 'error', {
        event: 'failure',
        requestId: c.get('requestId'),
        method: c.req.method,
        route: c.req.routePath,
        status: apiError.status,
        code: apiError.code,
        error: describeError(error),
      });
    }
    return problemResponse(c, apiError);
  });

  return app;
}

export type App = ReturnType<typeof createApp>;
