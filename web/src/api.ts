import type { ClientResponse, InferResponseType } from 'hono/client';
import type { ResponseFormat } from 'hono/types';
import { ApiError, createApiClient, type Success, unwrap } from '../../api-client/client';
import { session } from './session';

/**
 * The portal speaks only the public API, through the typed client, as the signed-in user. API
 * calls carry the in-memory access token and no cookie; only signing in, refreshing and signing
 * out send and take the refresh cookie (which the browser sends to the refresh path only).
 */
export const client = createApiClient('/', {
  token: () => session.token,
  init: { credentials: 'omit' },
});

export type User = InferResponseType<typeof client.api.me.$get, 200>['user'];
export type FilePage = InferResponseType<typeof client.api.files.$get, 200>;
export type FileItem = FilePage['items'][number];

/** For the calls that set, use or clear the refresh cookie. */
export const WITH_COOKIE = { init: { credentials: 'same-origin' } } as const;
/** What the refresh endpoint wants to see, besides the cookie, to know the portal's own script asked. */
const FROM_PORTAL = { ...WITH_COOKIE, headers: { 'X-Requested-With': 'sfs-portal' } };

/**
 * Refreshes must never overlap, in this tab or another: the cookie is shared, each refresh uses
 * it up, and presenting a used one ends the whole session. The Web Locks API serialises them
 * across every tab of the origin.
 */
function underLock<T>(work: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  return locks ? (locks.request('sfs-refresh', work) as Promise<T>) : work();
}

/** Trades the cookie for a new access token; held under the lock. False when the session is over. */
async function refreshNow(): Promise<boolean> {
  try {
    const tokens = await unwrap(client.api.auth.refresh.$post({ json: {} }, FROM_PORTAL));
    session.set({ token: tokens.accessToken, user: tokens.user });
    return true;
  } catch (error) {
    // 401 invalid_refresh_token / refresh_token_reused, 403 csrf_refused: the session is over.
    if (error instanceof ApiError && error.status >= 400 && error.status < 500) return false;
    throw error; // the service is unreachable: nothing is known yet
  }
}

let restoring: Promise<void> = Promise.resolve();

/** On load: the session the refresh cookie keeps going, if there is one (whoever it belongs to). */
export function restore(): Promise<void> {
  restoring = underLock(async () => {
    // Another tab may have just refreshed and told this one.
    if (!session.token) await refreshNow();
  });
  return restoring;
}

/** Settles once the session of the page load is known (signed in or not). */
export const restored = () => restoring.catch(() => undefined);

/** After `used` was refused: whether there is now a working token to try again with. */
async function renew(used: string): Promise<boolean> {
  return underLock(async () => {
    // A call in this tab, or another tab, refreshed while this one waited: try again with its token.
    if (session.token && session.token !== used) return true;
    if (await refreshNow()) return true;
    session.set({ token: null, user: null, ended: 'expired' });
    return false;
  });
}

/**
 * One API call (built by `make`, so it can be made again) through the typed client, giving its
 * typed body. An access token that expired or was revoked is renewed once, under the lock, and
 * the call made again; when the session is over the portal goes back to sign-in.
 */
export async function call<R extends ClientResponse<unknown, number, ResponseFormat>>(make: () => Promise<R>): Promise<Success<R>> {
  const used = session.token;
  try {
    return await unwrap(make());
  } catch (error) {
    if (!(used && error instanceof ApiError && error.status === 401 && error.code === 'unauthenticated')) throw error;
    if (!(await renew(used))) throw error;
    return await unwrap(make());
  }
}

/** What the portal shows for an error it cannot place next to a field. */
export const messageOf = (error: unknown, fallback = 'Something went wrong; try again.') =>
  error instanceof ApiError
    ? error.message
    : error instanceof Error && error.name === 'ApiUnreachable'
      ? 'The service cannot be reached.'
      : fallback;

/** Any failure as an ApiError, for forms that show field errors. */
export const asApiError = (error: unknown) =>
  error instanceof ApiError ? error : new ApiError(0, 'network', 'The service cannot be reached.');
