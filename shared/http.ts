import { zValidator } from '@hono/zod-validator';
import type { Context, MiddlewareHandler } from 'hono';
import { createFactory } from 'hono/factory';
import type { H } from 'hono/types';
import type { z } from 'zod';
import type { AccessTokenIssuer } from './access-tokens';
import type { Clock } from './clock';
import type { CommonPasswords } from './common-passwords';
import type { Config } from './config';
import type { Database } from './db/client';
import type { Role } from './db/schema';
import { ApiError, forbidden, unauthenticated } from './errors';
import type { LinkTokens } from './link-tokens';
import type { Logger } from './log';
import type { PasswordHasher } from './passwords';
import type { ObjectStorage } from './storage';
import { findUserById, type PublicUser, toPublicUser } from './users';

/** Everything a handler may use, built by the runtime entry and handed to the app factory. */
export interface Deps {
  config: Config;
  db: Database;
  storage: ObjectStorage;
  passwords: PasswordHasher;
  accessTokens: AccessTokenIssuer;
  linkTokens: LinkTokens;
  clock: Clock;
  /**
   * The caller's address as the platform vouches for it (CF-Connecting-IP on Workers; the socket,
   * or a configured proxy's header, on Node): never a header any caller could set. Limits count
   * it through `addressKey` (shared/client-address.ts), which groups IPv6 by /64.
   */
  clientAddress(c: Context<AppEnv>): string;
  log: Logger;
  commonPasswords: CommonPasswords;
}

export interface AppEnv {
  Variables: {
    deps: Deps;
    /** Set by the access guard on every route that is not public. */
    user: PublicUser;
  };
}

export const factory = createFactory<AppEnv>();

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Who may call a route: anyone, any signed-in user, or one role. Deny is the default. */
export type Access = 'public' | 'user' | Role;

export interface ResponseDefinition {
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json when a schema is given. */
  contentType?: string;
}

/** A route's contract: what the OpenAPI document says and what the guard enforces. */
export interface RouteDefinition {
  method: HttpMethod;
  /** OpenAPI-style path, e.g. `/api/files/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  tags: string[];
  access: Access;
  request?: { body?: z.ZodType; query?: z.ZodObject; params?: z.ZodObject };
  responses: Record<number, ResponseDefinition>;
}

/** An endpoint module: its contract and its handler chain (guard → validation → handler). */
export interface Endpoint {
  route: RouteDefinition;
  handlers: readonly H[];
}

export const defineRoute = <const T extends RouteDefinition>(route: T): T => route;

/** `/api/files/{id}` → `/api/files/:id` */
export const honoPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

export const deps = (c: Context<AppEnv>) => c.get('deps');

/**
 * The access guard every endpoint starts with. For non-public routes: a valid Bearer access
 * token, a user that still exists, a token issued after the user's last logout, and the role.
 */
export function guard(route: RouteDefinition): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (route.access === 'public') return next();
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer ([A-Za-z0-9_.~+/=-]+)$/i.exec(header.trim());
    if (!match?.[1]) throw unauthenticated();
    const { accessTokens, clock, db } = deps(c);
    const now = clock.now();
    const claims = await accessTokens.verify(match[1], now);
    if (!claims) throw unauthenticated('The access token is invalid or has expired.');
    const user = await findUserById(db, claims.userId);
    // A deleted user, a changed role, or a token issued before the last logout: refuse.
    if (!user || user.role !== claims.role || claims.issuedAt.getTime() <= user.tokensValidAfter.getTime()) {
      throw unauthenticated('The access token has been revoked.');
    }
    if (route.access !== 'user' && user.role !== route.access) throw forbidden();
    c.set('user', toPublicUser(user));
    return next();
  };
}

export function validationError(error: z.core.$ZodError): ApiError {
  const errors = error.issues.flatMap((issue) => {
    const at = issue.path.map(String);
    // Unknown fields come as one issue on the parent; name each field instead.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: [...at, key].join('.'), message: 'is not a known field' }));
    }
    return [{ path: at.join('.') || '(body)', message: issue.message }];
  });
  return new ApiError(400, 'validation_failed', 'The request has invalid fields.', { errors });
}

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * A JSON body validated by the route's zod schema. Another media type is a 415 and unparseable
 * JSON a 400, both before validation, so the client learns what is actually wrong.
 */
export function jsonBody<T extends z.ZodType>(schema: T) {
  const requireJson: MiddlewareHandler<AppEnv> = async (c, next) => {
    const mediaType = (c.req.header('content-type') ?? '').split(';')[0]?.trim() ?? '';
    if (!JSON_MEDIA_TYPE.test(mediaType)) {
      throw new ApiError(415, 'unsupported_media_type', 'Send the body as application/json.');
    }
    try {
      await c.req.json(); // parsed once and cached for the validator
    } catch {
      throw new ApiError(400, 'malformed_json', 'The body is not valid JSON.');
    }
    return next();
  };
  const validate = zValidator('json', schema, (result) => {
    if (!result.success) throw validationError(result.error);
  });
  return [requireJson, validate] as const;
}

/**
 * Path parameters. An id that is not even an id names nothing, so it is a 404 like any other
 * unknown id, not a 400 that would tell ids apart by their shape.
 */
export function pathParams<T extends z.ZodObject>(schema: T) {
  return zValidator('param', schema, (result) => {
    if (!result.success) throw new ApiError(404, 'not_found', 'No such resource.');
  });
}

export function queryParams<T extends z.ZodObject>(schema: T) {
  return zValidator('query', schema, (result) => {
    if (!result.success) throw validationError(result.error);
  });
}
