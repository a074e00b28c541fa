import type { RouteConfig } from '@hono/zod-openapi';
import { z } from 'zod';
import type { ErrorCode } from '../errors';
import { type Access, guard } from './guard';
import { limitBody, requireJson } from './validation';

/**
 * The pieces every endpoint's `createRoute` is written with, so that one declaration validates
 * the request, types the handler's responses, guards the route and documents all of it.
 */

export const TAGS = [
  { name: 'Authentication', description: 'Sign-up, sign-in, sessions and sign-out; password reset and email verification.' },
  { name: 'Account', description: 'The signed-in user: profile, password, sessions.' },
  { name: 'Users', description: 'Ops manage accounts: approve, disable, enable, delete; see what a client has.' },
  { name: 'Invitations', description: 'Ops invite people by email; an invitation is used once to sign up.' },
  { name: 'Audit', description: 'What was done to accounts, invitations, sessions, groups and sharing, by whom and when.' },
  { name: 'Files', description: 'Uploads straight to storage, their verification, listing and deletion.' },
  { name: 'Sharing', description: 'Who may see and download a file, until when, how many times; and who can now.' },
  {
    name: 'Groups',
    description: 'Ops keep named groups of clients. A file shared with a group reaches its active members, while they are members.',
  },
  { name: 'Downloads', description: 'Encrypted download links bound to one client, and the audit of their use.' },
  { name: 'Service', description: 'Health, this document and its reference page.' },
] as const;

export type Tag = (typeof TAGS)[number]['name'];

/** Headers a response may carry, as OpenAPI header objects. */
type Headers = Record<string, { description: string; schema: { type: 'string' | 'integer'; format?: string } }>;

export const HEADERS = {
  retryAfter: { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' } } },
  noStore: { 'Cache-Control': { description: '`no-store`: the answer carries a credential or a link.', schema: { type: 'string' } } },
  wwwAuthenticate: { 'WWW-Authenticate': { description: '`Bearer`.', schema: { type: 'string' } } },
  location: { Location: { description: 'Where to go next.', schema: { type: 'string', format: 'uri-reference' } } },
  requestId: { 'X-Request-Id': { description: 'This request, as the service logs it.', schema: { type: 'string' } } },
  setRefreshCookie: {
    'Set-Cookie': {
      description:
        'The refresh cookie (`sfs_refresh`: HttpOnly, SameSite=Strict, Path=/api/auth/refresh; Secure over https), set or cleared.',
      schema: { type: 'string' },
    },
  },
} satisfies Record<string, Headers>;

/** RFC 9457 problem details; extension members (e.g. `checks`, `file`) may follow. */
export const Problem = z
  .looseObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string().meta({ description: 'Stable snake_case machine code.' }),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });

/** A problem response whose `code` is one of `codes`. */
export const problem = (description: string, codes: readonly [ErrorCode, ...ErrorCode[]], headers?: Headers, schema = Problem) => ({
  description: `${description} Codes: ${codes.map((c) => `\`${c}\``).join(', ')}.`,
  content: { 'application/problem+json': { schema: schema.extend({ code: z.enum(codes) }) } },
  ...(headers ? { headers } : {}),
});

/** A JSON response with its schema. */
export const json = <S extends z.ZodType>(description: string, schema: S, headers?: Headers) => ({
  description,
  content: { 'application/json': { schema } },
  ...(headers ? { headers } : {}),
});

/** A required JSON request body. */
export const jsonBody = <S extends z.ZodType>(schema: S) => ({ content: { 'application/json': { schema } }, required: true });

/**
 * Who may call the route: the guard (and, for a JSON body, the media type and syntax checks)
 * runs before validation, and the document says the same.
 */
export const access = (who: Access, options: { jsonBody?: boolean } = {}) => ({
  middleware: options.jsonBody ? [limitBody, guard(who), requireJson] : [guard(who)],
  security: who === 'public' ? [] : [{ bearerAuth: [] }],
  ...(who === 'ops' || who === 'client' ? { 'x-required-role': who } : {}),
});

/**
 * The answers shared middleware gives on every route of a kind, added to its documented
 * responses unless the route states them itself; and the request id, on every response.
 */
export function withCommonResponses<R extends RouteConfig>(route: R): R {
  const publicRoute = Array.isArray(route.security) && route.security.length === 0;
  const role = (route as { 'x-required-role'?: string })['x-required-role'];
  const common: Record<number, object | undefined> = {
    ...(publicRoute
      ? {}
      : { 401: problem('Missing, invalid, expired or revoked access token.', ['unauthenticated'], HEADERS.wwwAuthenticate) }),
    ...(role ? { 403: problem(`Signed in, but not as ${role}.`, ['forbidden']) } : {}),
    ...(route.request?.params ? { 404: problem('No such resource visible to the caller.', ['not_found']) } : {}),
    ...(route.request?.query ? { 400: problem('Invalid query parameters, named in `errors`.', ['validation_failed']) } : {}),
    ...(route.request?.body
      ? {
          400: problem('Malformed JSON, or invalid fields named in `errors`.', ['validation_failed', 'malformed_json']),
          413: problem('Request body over the configured limit.', ['payload_too_large']),
          415: problem('Body not sent as application/json.', ['unsupported_media_type']),
        }
      : {}),
    503: problem('The database or the object storage is unavailable; nothing was changed.', ['dependency_unavailable'], HEADERS.retryAfter),
  };
  const responses: Record<string, { headers?: unknown }> = { ...common, ...route.responses };
  for (const [status, response] of Object.entries(responses)) {
    responses[status] = { ...response, headers: { ...HEADERS.requestId, ...(response.headers as Headers | undefined) } };
  }
  return { ...route, responses } as R;
}
