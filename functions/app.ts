import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isDatabaseUnavailable } from '../shared/db/errors';
import { ApiError, DependencyError, dependencyUnavailable } from '../shared/errors';
import { type AppEnv, type Deps, honoPath } from '../shared/http';
import { describeError } from '../shared/log';
import { endpoints } from './routes';
import { DOCS_SCRIPT_PATH } from './service/docs';

/** Static files the deployment serves itself: the Workers ASSETS binding, or a folder on Node. */
export interface AssetFetcher {
  fetch(request: Request): Promise<Response>;
}

export interface AppOptions {
  assets?: AssetFetcher;
}

const contentTypeOf = (path: string) =>
  path.endsWith('.html')
    ? 'text/html; charset=utf-8'
    : path.endsWith('.js')
      ? 'text/javascript; charset=utf-8'
      : path.endsWith('.css')
        ? 'text/css; charset=utf-8'
        : 'application/octet-stream';

/** Where the docs page's script is found among the deployment's static assets. */
export const DOCS_SCRIPT_ASSET = '/vendor/scalar-api-reference.js';

/** Rendered through the context so headers set earlier (request id) are kept. */
const problemResponse = (c: Context<AppEnv>, error: ApiError) =>
  c.body(JSON.stringify(error.toProblem()), error.status as ContentfulStatusCode, {
    'Content-Type': 'application/problem+json',
    ...error.headers,
  });

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof DependencyError) return dependencyUnavailable(error.dependency);
  if (isDatabaseUnavailable(error)) return dependencyUnavailable('database');
  if (error instanceof HTTPException) {
    if (error.status === 400) return new ApiError(400, 'malformed_json', 'The body could not be parsed.');
    if (error.status === 413) return new ApiError(413, 'payload_too_large', 'The request body is too large.');
  }
  return new ApiError(500, 'internal_error', 'Something went wrong on our side. It has been logged.');
}

/** The one app factory: both runtime entries call it with the dependencies they built. */
export function createApp(deps: Deps, options: AppOptions = {}) {
  const app = new Hono<AppEnv>();
  const production = deps.config.environment === 'production';

  app.use(requestId());
  // One structured line per request. The route pattern, never the path: a download link's path
  // is its token. No header, query or body is logged.
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
      overwrite: false, // pages that need a looser policy (the docs page) set their own
      contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"] },
      referrerPolicy: 'no-referrer',
      strictTransportSecurity: production ? 'max-age=63072000; includeSubDomains' : false,
      xFrameOptions: 'DENY',
    }),
  );
  app.use(async (c, next) => {
    c.set('deps', deps);
    await next();
  });
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: deps.config.maxBodyBytes,
      onError: () => {
        throw new ApiError(413, 'payload_too_large', `The request body is larger than ${deps.config.maxBodyBytes} bytes.`);
      },
    }),
  );

  for (const { route, handlers } of endpoints) {
    app.on(route.method.toUpperCase(), [honoPath(route.path)], ...handlers);
  }

  app.get(DOCS_SCRIPT_PATH, async (c) => {
    if (!options.assets) throw new ApiError(404, 'not_found', 'No such resource.');
    const res = await options.assets.fetch(new Request(new URL(DOCS_SCRIPT_ASSET, c.req.url)));
    if (!res.ok) throw new ApiError(404, 'not_found', 'No such resource.');
    return new Response(res.body, {
      headers: { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=86400' },
    });
  });

  // The web portal (web/, built into the static assets). Its pages get their own policy: scripts
  // and styles from this origin only, no inline script, and uploads straight to storage.
  const storageOrigin = new URL(deps.config.storage.endpoint).origin;
  const pagePolicy = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${storageOrigin}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  app.get('*', async (c, next) => {
    const path = c.req.path;
    if (path.startsWith('/api/') || !options.assets) return next();
    const asset = path === '/' ? '/index.html' : path;
    if (!/^\/(index\.html|assets\/[\w.-]+\.(js|css|svg|woff2))$/.test(asset)) return next();
    const res = await options.assets.fetch(new Request(new URL(asset, c.req.url)));
    if (!res.ok) return next();
    const headers = new Headers({ 'Content-Type': contentTypeOf(asset) });
    headers.set('Cache-Control', asset === '/index.html' ? 'no-cache' : 'public, max-age=31536000, immutable');
    if (asset === '/index.html') headers.set('Content-Security-Policy', pagePolicy);
    return new Response(res.body, { headers });
  });

  const patterns = endpoints.map(({ route }) => ({
    method: route.method.toUpperCase(),
    regex: new RegExp(`^${route.path.replace(/[.]/g, '\\.').replace(/\{\w+\}/g, '[^/]+')}$`),
  }));

  app.notFound((c) => {
    const allowed = patterns.filter((p) => p.regex.test(c.req.path)).map((p) => p.method);
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
