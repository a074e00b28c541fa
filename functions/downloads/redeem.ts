import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, HEADERS, json, problem } from '../../shared/api/contract';
import { guard } from '../../shared/api/guard';
import { attachmentDisposition } from '../../shared/content-disposition';
import { recordDownload } from '../../shared/downloads';
import { ApiError, downloadLimitReached, forbidden, notFound } from '../../shared/errors';
import { findVisibleFile } from '../../shared/files';

/**
 * Following a link: the caller must be the client it was issued to; the file must still exist,
 * be ready and be shared with that client now (the one rule, shared/files.ts). Then the
 * redemption is recorded, counted against the client's download limit in the same statement,
 * and the answer is a presigned GET that lives at most a minute and makes the browser save the
 * file.
 */
const TokenParams = z.object({
  token: z
    .string()
    .max(4096)
    .regex(/^[A-Za-z0-9_.-]+$/),
});

const PresignedDownload = z
  .object({ url: z.string().meta({ description: 'Presigned GET of the object, valid ≤ 60 s.' }), expiresAt: z.iso.datetime() })
  .meta({ id: 'PresignedDownload' });

/**
 * A link opened by a browser without credentials (a navigation preferring HTML) goes to the
 * portal, which asks the client to sign in and then completes the download. The token travels
 * in the URL fragment, which browsers never send to a server. API clients keep getting 401.
 */
const browserWithoutCredentials: MiddlewareHandler<AppEnv> = async (c, next) => {
  const accept = c.req.header('accept') ?? '';
  if (!c.req.header('authorization') && accept.includes('text/html') && !accept.includes('application/json')) {
    const token = c.req.param('token') ?? '';
    c.header('Cache-Control', 'no-store');
    c.header('Referrer-Policy', 'no-referrer');
    return c.redirect(`/#/download/${encodeURIComponent(token)}`, 302);
  }
  return next();
};

/** Every answer to a link carries these: it is a credential, and it must not leak onwards. */
const LINK_HEADERS = {
  ...HEADERS.noStore,
  'Referrer-Policy': { description: '`no-referrer`.', schema: { type: 'string' as const } },
};

export const route = createRoute({
  method: 'get',
  path: '/api/download/{token}',
  operationId: 'redeemDownloadLink',
  tags: ['Downloads'],
  summary: 'Follow a download link (the client it was issued to, signed in)',
  description:
    'The caller must be the client the link was issued to; the file must still exist, be ready and be shared with that client by a grant in force. The redemption is recorded and counted against the download limit of the client’s grants (atomically: racing redemptions never exceed it), and the answer is a presigned GET that lives at most a minute and makes the browser save the file.',
  ...access('client'),
  // A browser navigation without credentials goes to the portal before the guard refuses it.
  middleware: [browserWithoutCredentials, guard('client')],
  request: { params: TokenParams },
  responses: {
    200: json('With `Accept: application/json`: the presigned URL instead of a redirect.', PresignedDownload, LINK_HEADERS),
    302: {
      description:
        '`Location:` a presigned GET of the file, valid ≤ 60 s, with `Content-Disposition: attachment`. Also, for a browser navigation without credentials (`Accept` preferring `text/html`): `Location: /#/download/{token}`, the web portal, which signs the client in and completes the download.',
      headers: { ...HEADERS.location, ...LINK_HEADERS },
    },
    403: problem('Signed in as anyone but the client the link was issued to, ops included.', ['forbidden']),
    404: problem(
      'A tampered, truncated or foreign link; or the file was deleted, is not ready or past its expiry, or is no longer shared with the client (every grant removed or ended, or the group left).',
      ['not_found'],
    ),
    410: problem('The link has expired, or the client has made every download its grants allow.', [
      'link_expired',
      'download_limit_reached',
    ]),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { sql, storage, linkTokens, clock, config } = deps(c);
  const client = c.get('user');
  const now = clock.now();
  const link = await linkTokens.read(c.req.valid('param').token, now);
  if (link.status === 'invalid') throw notFound('No such download link.');
  if (link.claims.clientId !== client.id) throw forbidden('This link was issued to another user.');
  if (link.status === 'expired') throw new ApiError(410, 'link_expired', 'This download link has expired; ask for a new one.');

  const file = await findVisibleFile(sql, link.claims.fileId, client, now);
  if (!file?.access) throw notFound('The file is no longer available to you.');
  // Counted and recorded in one statement before anything is handed out.
  if (!(await recordDownload(sql, { fileId: file.id, userId: client.id, at: now, maxDownloads: file.access.maxDownloads }))) {
    throw downloadLimitReached();
  }
  const download = await storage.presignGet(file.storageKey, {
    contentDisposition: attachmentDisposition(file.filename),
    contentType: file.contentType,
    expiresInSeconds: config.downloads.urlTtlSeconds,
    now,
  });

  c.header('Cache-Control', 'no-store');
  c.header('Referrer-Policy', 'no-referrer');
  if ((c.req.header('accept') ?? '').includes('application/json')) {
    return c.json({ url: download.url, expiresAt: download.expiresAt.toISOString() }, 200);
  }
  return c.redirect(download.url, 302);
};
