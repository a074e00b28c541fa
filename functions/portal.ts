import type { Hono } from 'hono';
import type { AppEnv } from '../shared/api/context';
import { ApiError } from '../shared/errors';
import { DOCS_SCRIPT_PATH } from './service/docs';

/**
 * What the deployment serves besides the API: the web portal (web/, built into the static
 * assets) and the docs page's script. Assets come from the Workers ASSETS binding or, on Node, a
 * folder; the portal's pages get their own Content-Security-Policy.
 */

/** Static files the deployment serves itself: the Workers ASSETS binding, or a folder on Node. */
export interface AssetFetcher {
  fetch(request: Request): Promise<Response>;
}

/** Where the docs page's script is found among the deployment's static assets. */
export const DOCS_SCRIPT_ASSET = '/vendor/scalar-api-reference.js';

const contentTypeOf = (path: string) =>
  path.endsWith('.html')
    ? 'text/html; charset=utf-8'
    : path.endsWith('.js')
      ? 'text/javascript; charset=utf-8'
      : path.endsWith('.css')
        ? 'text/css; charset=utf-8'
        : 'application/octet-stream';

/**
 * The portal's policy: scripts and styles from this origin only, no inline script, and uploads
 * and downloads straight to storage.
 */
export const portalPolicy = (storageOrigin: string) =>
  [
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

export function servePortal(app: Hono<AppEnv>, assets: AssetFetcher | undefined, storageOrigin: string): void {
  app.get(DOCS_SCRIPT_PATH, async (c) => {
    if (!assets) throw new ApiError(404, 'not_found', 'No such resource.');
    const res = await assets.fetch(new Request(new URL(DOCS_SCRIPT_ASSET, c.req.url)));
    if (!res.ok) throw new ApiError(404, 'not_found', 'No such resource.');
    return new Response(res.body, {
      headers: { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=86400' },
    });
  });

  const policy = portalPolicy(storageOrigin);
  app.get('*', async (c, next) => {
    const path = c.req.path;
    if (path.startsWith('/api/') || !assets) return next();
    const asset = path === '/' ? '/index.html' : path;
    if (!/^\/(index\.html|assets\/[\w.-]+\.(js|css|svg|woff2))$/.test(asset)) return next();
    const res = await assets.fetch(new Request(new URL(asset, c.req.url)));
    if (!res.ok) return next();
    const headers = new Headers({ 'Content-Type': contentTypeOf(asset) });
    headers.set('Cache-Control', asset === '/index.html' ? 'no-cache' : 'public, max-age=31536000, immutable');
    if (asset === '/index.html') headers.set('Content-Security-Policy', policy);
    return new Response(res.body, { headers });
  });
}
