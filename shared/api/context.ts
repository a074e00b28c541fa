import type { Context } from 'hono';
import type { AccessTokenIssuer } from '../access-tokens';
import type { Clock } from '../clock';
import type { CommonPasswords } from '../common-passwords';
import type { Config } from '../config';
import type { Database } from '../db/client';
import type { SqlRunner } from '../db/prepared';
import type { LinkTokens } from '../link-tokens';
import type { Logger } from '../log';
import type { Mailer } from '../mail';
import type { PasswordHasher } from '../passwords';
import type { ObjectStorage } from '../storage';
import type { PublicUser } from '../users';

/** Everything a handler may use, built by a runtime entry and handed to the app factory. */
export interface Deps {
  config: Config;
  db: Database;
  /** The same database, for the prepared hot queries (db/prepared.ts). */
  sql: SqlRunner;
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
  /** Sends one message now; handlers write to the outbox instead (shared/outbox.ts), which uses it. */
  mailer: Mailer;
  /**
   * Lets work go on after the response is sent (delivering the mail a request wrote to the
   * outbox), so the caller never waits on SES. Workers keep the isolate alive for it
   * (waitUntil); on Node the server waits for it when it stops. A failure is logged, never
   * thrown: what did not go stays in the outbox for the sweep.
   */
  afterResponse(task: Promise<unknown>): void;
}

export interface AppEnv {
  Variables: {
    deps: Deps;
    /** Set by the access guard on every route that is not public. */
    user: PublicUser;
    /** The session of the caller's access token, set with `user`. */
    sessionId: string;
    /** The OpenAPI document of the app serving this request (built once, on first use). */
    apiDocument: () => unknown;
  };
}

export const deps = (c: Context<AppEnv>) => c.get('deps');
