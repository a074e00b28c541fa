import type { InferResponseType } from 'hono/client';
import { createApiClient } from '../../api-client/client';
import { session } from './session';

/** The portal speaks only the public API, through the typed client, as the signed-in user. */
export const client = createApiClient('/', {
  token: () => session.token,
  onUnauthenticated: () => {
    if (session.token) session.set(null); // expired or revoked: back to sign-in
  },
  init: { credentials: 'omit' },
});

export type User = InferResponseType<typeof client.api.me.$get, 200>['user'];
export type FilePage = InferResponseType<typeof client.api.files.$get, 200>;
export type FileItem = FilePage['items'][number];
