import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, HEADERS, json, jsonBody, problem } from '../../shared/api/contract';
import { CSRF_HEADER, clearRefreshCookie, refreshCookieOf, setRefreshCookie } from '../../shared/api/refresh-cookie';
import { auditInsert } from '../../shared/audit';
import { ApiError } from '../../shared/errors';
import { SessionTokens } from '../../shared/schemas';
import { refreshSession } from '../../shared/sessions';
import { toPublicUser } from '../../shared/users';

const RefreshRequest = z
  .strictObject({
    refreshToken: z
      .string()
      .max(100)
      .optional()
      .meta({ description: 'For programs that keep the token themselves; the portal sends `{}` and the cookie instead.' }),
  })
  .meta({ id: 'RefreshRequest' });

export const route = createRoute({
  method: 'post',
  path: '/api/auth/refresh',
  operationId: 'refreshSession',
  tags: ['Authentication'],
  summary: 'A new access token for the session, and the next refresh token',
  description: `The refresh token comes from the \`sfs_refresh\` cookie (the portal; the request must carry a \`${CSRF_HEADER}\` header and come from the same origin) or from the body (programs), and is used up: the answer carries its successor in the same place. Presenting a used refresh token again ends the whole session, since only a copy can do that. A session that was idle for longer than the idle limit, reached its absolute limit, was signed out, or whose account was disabled cannot be refreshed.`,
  ...access('public', { jsonBody: true }),
  request: { body: jsonBody(RefreshRequest) },
  responses: {
    200: json('The new access token (and, by body, the next refresh token).', SessionTokens, {
      ...HEADERS.noStore,
      ...HEADERS.setRefreshCookie,
    }),
    401: problem(
      'No refresh token, an unknown one, one of a session that is over, or a used one presented again (which ends the session).',
      ['invalid_refresh_token', 'refresh_token_reused'],
      HEADERS.setRefreshCookie,
    ),
    403: problem(`A refresh by cookie without the \`${CSRF_HEADER}\` header, or from another site.`, ['csrf_refused']),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { db, accessTokens, clock, config } = deps(c);
  const now = clock.now();
  const secure = config.publicUrl.startsWith('https:');
  const body = c.req.valid('json');
  const fromBody = body.refreshToken !== undefined;
  const token = fromBody ? body.refreshToken : refreshCookieOf(c);
  c.header('Cache-Control', 'no-store');
  if (!token) throw new ApiError(401, 'invalid_refresh_token', 'No refresh token: sign in again.');
  const outcome = await refreshSession(db, token, now, config.sessions);
  if (!outcome.ok) {
    if (!fromBody) clearRefreshCookie(c, secure);
    if (outcome.reason === 'reused') {
      await auditInsert(db, {
        action: 'session.refresh_reused',
        target: { id: outcome.user.id, name: outcome.user.username },
        details: { sessionId: outcome.sessionId },
        at: now,
      });
      throw new ApiError(401, 'refresh_token_reused', 'This refresh token was already used, so the session has been ended: sign in again.');
    }
    throw new ApiError(401, 'invalid_refresh_token', 'The session is over: sign in again.');
  }
  const { token: accessToken, expiresIn } = await accessTokens.issue(outcome.user, outcome.sessionId, now);
  if (!fromBody) setRefreshCookie(c, outcome.refreshToken, config.sessions.maxSeconds, secure);
  return c.json(
    {
      accessToken,
      tokenType: 'Bearer' as const,
      expiresIn,
      ...(fromBody ? { refreshToken: outcome.refreshToken } : {}),
      sessionExpiresAt: outcome.sessionExpiresAt.toISOString(),
      user: toPublicUser(outcome.user),
    },
    200,
  );
};
