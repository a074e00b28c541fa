import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { ApiError } from '../errors';
import type { AppEnv } from './context';

/**
 * The portal's refresh token lives in a cookie that page script cannot read (HttpOnly), that the
 * browser sends only to the refresh endpoint (Path), only from this site (SameSite=Strict), and
 * only over TLS when the service is served over TLS (Secure follows PUBLIC_URL). Access tokens
 * stay short-lived and in memory. The CLI keeps its refresh token itself and sends it in the body.
 *
 * The one endpoint that reads the cookie also wants proof that the request comes from the
 * portal's own script, against cross-site request forgery beyond what SameSite stops: a custom
 * header (a page on another origin cannot send one without a CORS preflight, which this API never
 * grants), and `Sec-Fetch-Site`, when the browser sends it, must be `same-origin`.
 */
export const REFRESH_COOKIE = 'sfs_refresh';
export const REFRESH_PATH = '/api/auth/refresh';
export const CSRF_HEADER = 'X-Requested-With';

export function setRefreshCookie(c: Context<AppEnv>, token: string, maxAgeSeconds: number, secure: boolean): void {
  setCookie(c, REFRESH_COOKIE, token, { httpOnly: true, secure, sameSite: 'Strict', path: REFRESH_PATH, maxAge: maxAgeSeconds });
}

export function clearRefreshCookie(c: Context<AppEnv>, secure: boolean): void {
  deleteCookie(c, REFRESH_COOKIE, { path: REFRESH_PATH, secure, httpOnly: true, sameSite: 'Strict' });
}

/** The cookie's token, after the request has shown it comes from the portal itself. */
export function refreshCookieOf(c: Context<AppEnv>): string | undefined {
  const token = getCookie(c, REFRESH_COOKIE);
  if (token === undefined) return undefined;
  const site = c.req.header('sec-fetch-site');
  if (!c.req.header(CSRF_HEADER) || (site !== undefined && site !== 'same-origin')) {
    throw new ApiError(403, 'csrf_refused', `A refresh by cookie must come from the portal (a ${CSRF_HEADER} header, same origin).`);
  }
  return token;
}
